"""health.xid: the kernel log shows no Xid after which NVIDIA's catalogue asks for a reset, a reboot or a person.

The NVIDIA driver logs every GPU error as an Xid in the kernel log
(`NVRM: Xid (PCI:0000:18:00): 79, ...`). NVIDIA's Xid catalogue gives each
code an immediate action (the table below). The judgement follows it:

- fail: the action needs a reset, a reboot or a person (RESET_GPU,
  RESTART_BM, RESTART_VM, CHECK_MECHANICALS, CONTACT_SUPPORT, UPDATE_SWFW,
  the double-bit ECC workflow of Xid 48, the NVLink workflow of Xid 74);
- pass, listed: the action is RESTART_APP or IGNORE (13, 31, 43, 94: the
  application failed, not the node; 63, a row remap, which
  health.remapped_rows judges);
- warn: the action depends on what else happened (45, 159), the catalogue
  gives none (162-172), or the code is not in it.

Xid 154 names its recovery action in the line ("... to 0x2 (Node Reboot
Required)"): "None" passes, any other fails, and only the latest 154 of a
GPU counts. Xid 144-150 (NVLink5) are decoded with the catalogue's
decode sheet from the line's IntrInfo and error status, for the driver's
version; a line that does not decode warns. Each finding is on the GPU whose
PCI address the line names (`gpu<index>`, also for MIG lines, which add
`GPU-I:05` or `GPU-I:05 GPU-CI:02`), or on `host` when the address matches
no GPU, and lists every Xid of that subject with NVIDIA's action; where the
catalogue's investigatory action is to contact support, the remedy says so.

The kernel log covers the current boot. After the reset NVIDIA prescribes,
set `since` (or pass `--xid-since`) to the time of the reset: older events
are listed, not judged. Events the log gave no date for are judged. A pack
may list codes in `fatal` (they fail whatever the catalogue says) or
`ignore` (left out). When the log could not be read (it can need root) the
check is `unknown`, not a pass.

NotSupported does not apply: the events come from the kernel log.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from typing import Any

from readycheck.catalogue import xid as catalogue
from readycheck.checks import Setting
from readycheck.facts.decode import pci_device
from readycheck.findings import FAIL, PASS, STATUSES, UNKNOWN, WARN, Finding, gpu_subject, listed, nvidia_smi_id

ID = "health.xid"
SETTINGS = {
    "fatal": Setting("list[int]", [], "Xids that fail whatever NVIDIA's catalogue says (a site's stricter rule)"),
    "ignore": Setting("list[int]", [], "Xids to leave out entirely"),
    "since": Setting("str", "", "judge only Xids logged from this time on: an RFC 3339 time "
                                "(\"2026-11-27T08:00:00Z\") or hours before the facts were collected (\"24h\"); "
                                "older ones are listed, not judged; empty: the whole log"),
}

# NVIDIA's immediate action -> readycheck's judgement.
JUDGEMENT = {
    **dict.fromkeys(("RESET_GPU", "RESTART_BM", "RESTART_VM", "CHECK_MECHANICALS", "CONTACT_SUPPORT", "UPDATE_SWFW",
                     "WORKFLOW_XID_48", "WORKFLOW_NVLINK_ERR"), FAIL),
    **dict.fromkeys(("RESTART_APP", "IGNORE", "XID_154_EVAL"), PASS),
}
EXPECTED = "no Xid whose catalogue action needs a reset, a reboot or a person"
_HOURS = re.compile(r"\s*(\d+(?:\.\d+)?)\s*h\s*")


def validate(settings):
    """A `since` that is neither an RFC 3339 time nor "<hours>h" is refused when the pack loads."""
    since_limit(settings["since"], "2000-01-01T00:00:00Z")


def since_limit(since: str, collected_at: str | None) -> datetime.datetime | None:
    """The time `since` stands for (hours back count from `collected_at`), or None for the whole log;
    ValueError naming the value when it is neither form."""
    if not since:
        return None
    hours = _HOURS.fullmatch(since)
    if hours:
        if collected_at is None:
            raise ValueError("the facts have no collected_at time to count hours back from")
        return parse_time(collected_at) - datetime.timedelta(hours=float(hours.group(1)))
    try:
        return parse_time(since)
    except ValueError:
        raise ValueError(f"since {since!r} is neither an RFC 3339 time (2026-11-27T08:00:00Z) nor hours "
                         "back (24h)") from None


def parse_time(text: str) -> datetime.datetime:
    """An RFC 3339 time (a `Z` or an offset; none is taken as UTC; any number of fraction digits)."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?", text.strip())
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    stamp, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return datetime.datetime.fromisoformat(f"{stamp.replace(' ', 'T')}.{(fraction or '0')[:6]:0<6}{zone}")


def documentation_extra() -> str:
    """The catalogue as `readycheck checks health.xid` prints it: each code, NVIDIA's immediate action and
    what readycheck makes of it."""
    lines = [f"NVIDIA's Xid catalogue ({catalogue.SOURCE}):",
             f"  {'Xid':>4}  {'immediate action':22} {'judged':7} name"]
    for code, entry in catalogue.entries().items():
        judged = "by line" if entry.action in ("XID_154", "WORKFLOW_NVLINK5_ERR") else \
            JUDGEMENT.get(entry.action, WARN)
        lines.append(f"  {code:>4}  {entry.action or '(none)':22} {judged:7} {entry.name}")
    return "\n".join(lines)


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
                          message="no Xid in the kernel log" + (f" ({ignored} ignored)" if ignored else ""))
        return
    limit = since_limit(settings["since"], facts.get("collected_at"))
    gpus = {pci_device(gpu["pci_bus_id"]): gpu for gpu in facts["gpus"] if gpu.get("pci_bus_id")}
    by_subject: dict[str, list[dict[str, Any]]] = {}
    smi_ids: dict[str, str] = {}  # subject -> what `nvidia-smi -i` takes for it, in remedies
    for event in events:
        gpu = gpus.get(pci_device(event.get("pci_bus_id")))
        subject = gpu_subject(gpu) if gpu else "host"
        by_subject.setdefault(subject, []).append(event)
        if gpu:
            smi_ids[subject] = nvidia_smi_id(gpu)
    driver = facts["nvidia"].get("driver_version")
    fatal = set(settings["fatal"])
    for subject, logged in by_subject.items():
        yield _judge(subject, logged, fatal, limit, driver, smi_ids.get(subject, "N"))


def _judge(subject: str, logged: list[dict[str, Any]], fatal: set[int], limit, driver: str | None,
           index: str) -> Finding:
    """One finding for the Xids of one subject: the worst judgement among those it judges; `index` is the
    GPU as `nvidia-smi -i` takes it ("N" for Xids of no GPU found)."""
    judged, older = [], []
    for event in logged:
        (older if limit is not None and _before(event, limit) else judged).append(event)
    last_154 = next((event for event in reversed(judged) if event["xid"] == 154), None)
    verdicts = []  # (status, words, remedy)
    for event in judged:
        if event["xid"] == 154 and event is not last_154:
            verdicts.append((PASS, "Xid 154 (a later one changed the recovery action again)", ""))
        else:
            verdicts.append(_verdict(event, fatal, driver, index))
    status = min((status for status, _, _ in verdicts), key=STATUSES.index, default=PASS)
    bad = [(words, remedy) for item_status, words, remedy in verdicts if item_status != PASS]
    fine = [words for item_status, words, _ in verdicts if item_status == PASS]
    parts = [listed(_counted([words for words, _ in bad]), sep="; ")] if bad else []
    if fine:
        parts.append("not node faults: " + listed(_counted(fine), sep="; "))
    if older:
        parts.append(f"before {limit.isoformat()}, not judged: " + listed(_counted([f"Xid {e['xid']}"
                                                                                    for e in older])))
    undated = sum(1 for event in judged if limit is not None and not event.get("timestamp"))
    if undated:
        parts.append(f"{undated} without a time in the log, judged")
    message = "; ".join(parts) if parts else "no Xid"
    observed = sorted({event["xid"] for event in logged})
    return Finding(ID, status, subject, observed, EXPECTED, message,
                   listed(dict.fromkeys(remedy for _, remedy in bad), sep="; "))


def _before(event: dict[str, Any], limit: datetime.datetime) -> bool:
    try:
        return bool(event.get("timestamp")) and parse_time(event["timestamp"]) < limit
    except ValueError:
        return False  # an unreadable time is judged, as an undated one


def _verdict(event: dict[str, Any], fatal: set[int], driver: str | None, index: str) -> tuple[str, str, str]:
    """(status, words, remedy) for one logged Xid."""
    code = event["xid"]
    entry = catalogue.entry(code)
    found = catalogue.verdict(code, event.get("message") or "", driver)
    name = entry.name if entry else "not in NVIDIA's catalogue"
    instance = "" if event.get("gpu_instance") is None else f" on MIG GPU instance {event['gpu_instance']}"
    detail = f", {found.detail}" if found.detail and entry else ""  # an unlisted code's detail repeats the name
    words = f"Xid {code}{instance} ({name}{detail}: {found.action or 'no catalogue action'})"
    remedy = f"Xid {code}: {catalogue.remedy(found.action, entry.investigatory if entry else '', index)}"
    if code in fatal:
        return FAIL, words + ", fatal in the rule pack", remedy
    return JUDGEMENT.get(found.action, WARN), words, remedy


def _counted(words: list[str]) -> list[str]:
    """Each distinct text once, with `xN` when it repeats."""
    return [text + (f" x{count}" if count > 1 else "") for text, count in Counter(words).items()]
