"""inventory.match: the node is what was ordered, item by item, so procurement can sign off the delivery.

Only judged with an order file (`--order FILE`, TOML or CSV; see
readycheck/order.py for the keys): every key it gives is compared with the
facts and gets its own finding (subject `order:<key>`), so the report reads
as a delivery checklist:

- `system_model` and `system_serial` against the DMI product name (substring)
  and serial; `cpu_model` a substring of the CPU model; `gpu_model` a
  substring of every GPU's name, `gpu_count` the number of GPUs (as gpu.count
  counts them: an imported `nvidia-smi -q -i N` counts the driver's
  "Attached GPUs", not the one GPU it shows);
- `memory_gib`, the installed memory: MemTotal is that less what the firmware
  and kernel reserve, so it matches from 95 % of the ordered size up to it;
- `hca_count` and `hca_model`: the RDMA devices with an InfiniBand port
  (Ethernet functions such as storage NICs are not counted), and their type
  (`MT4129` is ConnectX-7);
- `nvme_count` and `nvme_size_tb` (one finding, `order:nvme`): the local NVMe
  drives of the ordered size (within 2 %; the OS boot drives are of another
  size and are named, not counted);
- `gpu_serials` and `nvme_serials`, the serials on the delivery note: each
  one missing from the node and each serial found that is not on the note is
  named (a swapped GPU shows as one of each).

A fact that could not be read is `unknown` (serials often need root); so are
the HCA items when the InfiniBand probe failed or the facts carry no
InfiniBand data (an import without `ibstat`), never "0 HCAs".

The order file (`--order`) says what to compare.

A part that differs from the order fails even when another is unread; otherwise an unread
fact (NotSupported included) is `unknown`. MIG: NVML lists physical GPUs, as the order does.
"""

from __future__ import annotations

from readycheck.checks.lib.fabric import unread_ports
from readycheck.checks.lib.gpus import contains, no_gpus
from readycheck.checks.lib.unread import missing, reason
from readycheck.facts.views import gpu_count, infiniband_hcas, nvme_drives
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, gpu_subject, listed

ID = "inventory.match"
SETTINGS: dict = {}
NEEDS = ("order",)

MEMORY_RESERVED = 0.05  # MemTotal may be this much below the installed size
SIZE_TOLERANCE = 0.02
REMEDY = "raise it with the vendor against the order: the delivered part differs"


def check(facts, settings, order=None):
    if order is None:
        yield Finding(ID, SKIP, "host", message="no --order given: the delivery is not compared with an order",
                      remedy="pass --order FILE (TOML or CSV) with what was ordered")
        return
    items = order.items
    if not items:
        yield Finding(ID, SKIP, "host", message=f"{order.path} names nothing to compare")
        return
    parts = _parts(facts)
    for key, judge in _ITEMS.items():
        if key in items:
            yield judge(key, facts, parts, items[key])
    if "nvme_count" in items or "nvme_size_tb" in items:
        yield _nvme(parts["nvme"], items.get("nvme_count"), items.get("nvme_size_tb"))


def _parts(facts):
    """Each kind of part the order names: (subject -> the part, why none could be listed or "")."""
    host, gpus_unread = facts["host"], "" if facts["gpus"] else no_gpus(ID, facts).message
    why = reason(host, "block_devices", None)
    drives = nvme_drives(facts)
    ib_error = unread_ports(ID, facts)
    return {
        "gpus": ({gpu_subject(g): g for g in facts["gpus"]}, gpus_unread),
        "nvme": ({d["name"]: d for d in drives},
                 f"block_devices unavailable ({why})" if why and not host.get("block_devices") else ""),
        "hcas": ({device: {"name": kind} for device, kind in infiniband_hcas(facts).items()},
                 ib_error.message if ib_error else ("" if facts.get("infiniband") is not None
                                                    else "InfiniBand ports not collected")),
    }


def _finding(key, ok, observed, expected, message, unread="", definite=False):
    """One item of the checklist: `unknown` when a fact it needs was unread, unless what was read already
    differs from the order (`definite`), else pass or fail."""
    if unread and not (definite and not ok):
        return Finding(ID, UNKNOWN, f"order:{key}", observed, expected, unread,
                       "read it by hand, or re-run readycheck as root")
    also = f" (also unread: {unread})" if unread else ""
    return Finding(ID, PASS if ok else FAIL, f"order:{key}", observed, expected, message + also,
                   "" if ok else REMEDY)


def _says(text, ok, wanted):
    return text if ok else f"{text}, the order says {wanted}"


def _fact(holder, field, label, matches):
    """An item one fact must match (the CPU model contains the ordered one; the serial is it)."""
    def judge(key, facts, parts, wanted):
        obj = holder(facts)
        found = obj.get(field)
        ok = found is not None and matches(found, wanted)
        return _finding(key, ok, found, wanted, _says(f"{label} {found}", ok, wanted), missing(obj, field))
    return judge


def _memory(key, facts, parts, wanted_gib):
    host = facts["host"]
    mib = host.get("memory_total_mib")
    gib = None if mib is None else round(mib / 1024, 1)
    ok = gib is not None and wanted_gib * (1 - MEMORY_RESERVED) <= gib <= wanted_gib
    return _finding(key, ok, gib, wanted_gib, _says(f"MemTotal {gib} GiB", ok, f"{wanted_gib:g} GiB installed"),
                    missing(host, "memory_total_mib"))


def _every(kind):
    """Every part of a kind is of the ordered model (GPU names, HCA types)."""
    def judge(key, facts, parts, wanted):
        found, unread = parts[kind]
        names = {subject: part.get("name") for subject, part in found.items()}
        wrong = [f"{subject} {name}" for subject, name in names.items()
                 if name is not None and not contains(name, wanted)]
        unread = unread or ("" if names else f"no {kind[:-1].upper()} in the facts") or \
            listed((f"{subject} {missing(part, 'name')}" for subject, part in found.items()
                    if part.get("name") is None), sep="; ")
        return _finding(key, not wrong, sorted(set(names.values()), key=str), wanted,
                        f"not {wanted}: {listed(wrong)}" if wrong else f"{len(names)} x {wanted}", unread,
                        definite=True)
    return judge


def _count(kind, label):
    def judge(key, facts, parts, wanted):
        found, unread = parts[kind]
        return _counted(key, len(found), label, wanted, unread)
    return judge


def _gpu_count(key, facts, parts, wanted):
    """GPUs counted as gpu.count counts them: no GPU with NVML up is 0 GPUs, not an unread count."""
    unread = "" if facts["nvidia"].get("nvml_available") else no_gpus(ID, facts).message
    return _counted(key, gpu_count(facts), "GPUs", wanted, unread)


def _counted(key, number, label, wanted, unread):
    return _finding(key, number == wanted, number, wanted, _says(f"{number} {label}", number == wanted, wanted),
                    unread)


def _serials(kind):
    """Serials of a kind of part against the delivery note's: every difference named. A serial found
    that is not on the note fails outright; one on the note not found is `unknown` while some serial
    could not be read (it may be that one)."""
    def judge(key, facts, parts, wanted):
        found_parts, unread = parts[kind]
        unread = unread or listed((f"{subject} {missing(part, 'serial')}" for subject, part in found_parts.items()
                                   if part.get("serial") is None), sep="; ")
        found = {part["serial"]: subject for subject, part in found_parts.items() if part.get("serial") is not None}
        absent = [s for s in wanted if s not in found]
        extra = [f"{s} ({place})" for s, place in found.items() if s not in wanted]
        problems = ([f"on the order, not found: {listed(absent)}"] if absent else []) + \
                   ([f"found, not on the order: {listed(extra)}"] if extra else [])
        return _finding(key, not problems, sorted(found), sorted(wanted),
                        "; ".join(problems) or f"all {len(wanted)} serials found", unread, definite=bool(extra))
    return judge


def _nvme(nvme, count, size_tb):
    by_name, unread = nvme
    drives = list(by_name.values())
    sized = [d for d in drives if d.get("size_bytes") is not None]
    ordered = [d for d in sized if size_tb is None or abs(d["size_bytes"] / 1e12 - size_tb) <= SIZE_TOLERANCE * size_tb]
    others = [f"{d['name']} {d['size_bytes'] / 1e12:.2f} TB" for d in sized if d not in ordered]
    ok = len(ordered) == count if count is not None else bool(ordered)
    what = f"{len(ordered)} NVMe drives" + (f" of {size_tb:g} TB" if size_tb is not None else "")
    message = _says(what, ok, count if count is not None else f"some of {size_tb:g} TB") + \
        (f"; other NVMe: {listed(others)}" if others else "")
    if not ok and len(sized) < len(drives):
        unread = unread or "size unreadable: " + listed(d["name"] for d in drives if d not in sized)
    return _finding("nvme", ok, len(ordered), {"count": count, "size_tb": size_tb}, message, unread)


_ITEMS = {
    "system_model": _fact(lambda f: f["host"]["dmi"], "product_name", "system", contains),
    "system_serial": _fact(lambda f: f["host"]["dmi"], "product_serial", "serial",
                           lambda found, wanted: found.strip() == wanted.strip()),
    "cpu_model": _fact(lambda f: f["host"], "cpu_model", "CPU", contains),
    "memory_gib": _memory,
    "gpu_model": _every("gpus"),
    "gpu_count": _gpu_count,
    "gpu_serials": _serials("gpus"),
    "hca_count": _count("hcas", "InfiniBand HCAs"),
    "hca_model": _every("hcas"),
    "nvme_serials": _serials("nvme"),
}
