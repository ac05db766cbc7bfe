"""health.xid: the kernel log shows no XID error that means a GPU or its links are faulty.

The NVIDIA driver logs every GPU error as an XID in the kernel log
(`NVRM: Xid (PCI:0000:18:00): 79, ...`). Some XIDs mean the hardware is in
trouble: the GPU fell off the bus (79), a double-bit ECC error (48), a row
remap failed (64), an NVLink fault (74), a GSP firmware error (119/120). A
node whose log holds one of the `fatal` XIDs fails: the finding is on the GPU
whose PCI address the log line names (`gpu<index>`), or on `host` when the
address matches no GPU, and lists every fatal XID of that subject with
NVIDIA's recommended action. XID 92 (high single-bit ECC rate) is a "watch"
item in NVIDIA's catalogue: it warns, unless the pack lists it as fatal.

Other XIDs, such as 13, 31, 43 and 45, are raised by applications (a bad
kernel, an illegal memory access) and say nothing about the node: they are
named in the passing finding, never failed. The kernel log covers the
current boot, so after the fault is fixed a reboot clears it. When the log
could not be read (it can need root) the check is `unknown`, not a pass.
"""

from __future__ import annotations

from collections import Counter

from readycheck.checks import Setting
from readycheck.facts.decode import pci_device
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject, listed

ID = "health.xid"

# NVIDIA's XID catalogue (https://docs.nvidia.com/deploy/xid-errors/): xid -> (meaning, action).
CATALOGUE = {
    46: ("GPU stopped processing", "reset the GPU"),
    48: ("double-bit ECC error", "reset the GPU; RMA it if it repeats"),
    54: ("auxiliary power not connected", "check the GPU's auxiliary power cabling"),
    62: ("internal micro-controller halt", "reset the GPU"),
    63: ("row remapping event", "reset the GPU to apply the remap"),
    64: ("row remapping failure", "reset the GPU; RMA it"),
    74: ("NVLink error", "check the NVLink connections; contact support if it repeats"),
    79: ("GPU fell off the bus", "reboot the host; RMA the GPU if it repeats"),
    92: ("high single-bit ECC rate", "watch the GPU's ECC counters; RMA it if they keep rising"),
    94: ("contained memory error", "restart the application"),
    95: ("uncontained memory error", "reset the GPU"),
    109: ("context-switch timeout", "reset the GPU"),
    119: ("GSP RPC timeout", "reset the GPU; check the driver"),
    120: ("GSP error", "reset the GPU; check the driver"),
    136: ("link training failed", "reset the GPU; check the link"),
    140: ("ECC unrecovered error", "reset the GPU"),
    143: ("GPU initialization error", "reset the GPU"),
    **{xid: ("NVLink5 error", "check the NVLink connections") for xid in range(144, 151)},
    158: ("GPU fatal timeout", "reset the GPU"),
}
WATCH = (92,)

SETTINGS = {
    "fatal": Setting("list[int]", sorted(set(CATALOGUE) - set(WATCH)), "XIDs that make the node not ready"),
    "ignore": Setting("list[int]", [], "XIDs to leave out entirely"),
}

EXPECTED = "no fatal XID in the kernel log"


def check(facts, settings):
    unread = [item["error"] for item in facts["probe_errors"] if item["probe"] == "xid"]
    if unread:
        yield Finding(ID, UNKNOWN, "host", message=f"kernel log not read: {'; '.join(unread)}",
                      remedy="re-run readycheck as root, or read `dmesg | grep -i xid` by hand")
    ignore = set(settings["ignore"])
    events = [event for event in facts["xid_events"] if event["xid"] not in ignore]
    if not events:
        if not unread:
            ignored = len(facts["xid_events"])
            yield Finding(ID, PASS, "host", observed=[], expected=EXPECTED,
                          message="no XID in the kernel log" + (f" ({ignored} ignored)" if ignored else ""))
        return
    subjects = {pci_device(gpu["pci_bus_id"]): gpu_subject(gpu) for gpu in facts["gpus"] if gpu.get("pci_bus_id")}
    by_subject: dict[str, Counter] = {subject: Counter() for subject in [*subjects.values(), "host"]}
    for event in events:
        by_subject[subjects.get(pci_device(event.get("pci_bus_id")), "host")][event["xid"]] += 1
    fatal = set(settings["fatal"])
    for subject, seen in by_subject.items():
        if seen:
            yield _judge(subject, seen, fatal)


def _judge(subject, seen, fatal):
    faults = [xid for xid in sorted(seen) if xid in fatal]
    watched = [xid for xid in sorted(seen) if xid in WATCH and xid not in fatal]
    others = [xid for xid in sorted(seen) if xid not in faults and xid not in watched]
    also = f"; not node faults: {listed(_times(xid, seen) for xid in others)}" if others else ""
    bad = faults or watched
    if not bad:
        return Finding(ID, PASS, subject, sorted(seen), EXPECTED, "no fatal XID" + also)
    return Finding(ID, FAIL if faults else WARN, subject, sorted(seen), EXPECTED,
                   listed(f"{_times(xid, seen)} ({_entry(xid)[0]})" for xid in bad) + also,
                   listed((f"Xid {xid}: {_entry(xid)[1]}" for xid in bad), sep="; "))


def _times(xid, seen):
    """'Xid 79' or 'Xid 79 x3'."""
    return f"Xid {xid}" + (f" x{seen[xid]}" if seen[xid] > 1 else "")


def _entry(xid):
    return CATALOGUE.get(xid, ("not in readycheck's catalogue", "look it up in NVIDIA's XID catalog"))
