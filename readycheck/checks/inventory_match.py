"""inventory.match: the node is what was ordered, item by item, so procurement can sign off the delivery.

Only judged with an order file (`--order FILE`, TOML or CSV; see
readycheck/order.py for the keys): every key it gives is compared with the
facts and gets its own finding (subject `order:<key>`), so the report reads
as a delivery checklist:

- `system_model` and `system_serial` against the DMI product name (substring)
  and serial; `cpu_model` a substring of the CPU model; `gpu_model` a
  substring of every GPU's name, `gpu_count` the number of GPUs;
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

from readycheck.checks.lib.gpus import contains, no_gpus
from readycheck.checks.lib.unread import missing, probe_failure, reason
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, gpu_subject

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
    for key, judge in _ITEMS.items():
        if key in items:
            yield judge(facts, items[key])
    if "nvme_count" in items or "nvme_size_tb" in items:
        yield _nvme(facts, items.get("nvme_count"), items.get("nvme_size_tb"))


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


def _substring(key, holder, field, label):
    """An item that a fact must contain (case ignored), such as the CPU model."""
    def judge(facts, wanted):
        obj = holder(facts)
        found = obj.get(field)
        ok = contains(found, wanted)
        return _finding(key, ok, found, wanted, _says(f"{label} {found}", ok, wanted), missing(obj, field))
    return judge


def _system_serial(facts, wanted):
    dmi = facts["host"]["dmi"]
    found = dmi.get("product_serial")
    ok = found is not None and found.strip() == wanted.strip()
    return _finding("system_serial", ok, found, wanted, _says(f"serial {found}", ok, wanted),
                    missing(dmi, "product_serial"))


def _memory(facts, wanted_gib):
    host = facts["host"]
    mib = host.get("memory_total_mib")
    gib = None if mib is None else round(mib / 1024, 1)
    ok = gib is not None and wanted_gib * (1 - MEMORY_RESERVED) <= gib <= wanted_gib
    return _finding("memory_gib", ok, gib, wanted_gib,
                    _says(f"MemTotal {gib} GiB", ok, f"{wanted_gib:g} GiB installed"),
                    missing(host, "memory_total_mib"))


def _gpus_unread(facts):
    return "" if facts["gpus"] else no_gpus(ID, facts).message


def _gpu_model(facts, wanted):
    names = {gpu_subject(g): g.get("name") for g in facts["gpus"]}
    wrong = [f"{subject} {name}" for subject, name in names.items() if name is not None and not contains(name, wanted)]
    unread = _gpus_unread(facts) or "; ".join(f"{gpu_subject(g)} {missing(g, 'name')}" for g in facts["gpus"]
                                              if g.get("name") is None)
    return _finding("gpu_model", not wrong, sorted(set(names.values()), key=str), wanted,
                    f"not {wanted}: {', '.join(wrong)}" if wrong else f"{len(names)} x {wanted}", unread, definite=True)


def _gpu_count(facts, wanted):
    found = len(facts["gpus"])
    unread = "" if facts["nvidia"].get("nvml_available") else no_gpus(ID, facts).message
    return _finding("gpu_count", found == wanted, found, wanted, _says(f"{found} GPUs", found == wanted, wanted),
                    unread)


def _serials(key, parts, where, wanted, unread):
    """Serials of `parts` (GPUs, drives; `where` names one) against the delivery note's: every difference named.

    A serial found that is not on the note fails outright; one on the note that was not found is
    `unknown` while some serial could not be read (it may be that one)."""
    unread = unread or "; ".join(f"{where(p)} {missing(p, 'serial')}" for p in parts if p.get("serial") is None)
    found = {p["serial"]: where(p) for p in parts if p.get("serial") is not None}
    absent = [s for s in wanted if s not in found]
    extra = [f"{s} ({place})" for s, place in found.items() if s not in wanted]
    problems = ([f"on the order, not found: {', '.join(absent)}"] if absent else []) + \
               ([f"found, not on the order: {', '.join(extra)}"] if extra else [])
    return _finding(key, not problems, sorted(found), sorted(wanted),
                    "; ".join(problems) or f"all {len(wanted)} serials found", unread, definite=bool(extra))


def _gpu_serials(facts, wanted):
    return _serials("gpu_serials", facts["gpus"], gpu_subject, wanted, _gpus_unread(facts))


def _nvme_drives(facts):
    """The local NVMe drives, and why none could be listed (empty when they could)."""
    host = facts["host"]
    drives = host.get("block_devices") or []
    why = reason(host, "block_devices", None)
    unread = f"block_devices unavailable ({why})" if why and not drives else ""
    return [d for d in drives if d.get("transport") == "nvme"], unread


def _nvme_serials(facts, wanted):
    drives, unread = _nvme_drives(facts)
    return _serials("nvme_serials", drives, lambda drive: drive["name"], wanted, unread)


def _ib_unread(facts):
    """Why the facts cannot say which HCAs the node has ("" when the InfiniBand probe ran)."""
    error = probe_failure(facts, "infiniband")
    if error:
        return f"InfiniBand ports not read: {error}"
    return "" if facts.get("infiniband") is not None else "InfiniBand ports not collected"


def _hcas(facts):
    """HCA device -> its type, for the devices with an InfiniBand port."""
    return {p["device"]: p.get("hca_type") for p in facts.get("infiniband") or []
            if p.get("link_layer") == "InfiniBand"}


def _hca_count(facts, wanted):
    found = len(_hcas(facts))
    return _finding("hca_count", found == wanted, found, wanted,
                    _says(f"{found} InfiniBand HCAs", found == wanted, wanted), _ib_unread(facts))


def _hca_model(facts, wanted):
    hcas = _hcas(facts)
    wrong = [f"{device} {kind}" for device, kind in hcas.items() if kind is not None and not contains(kind, wanted)]
    unread = _ib_unread(facts) or ("" if hcas else "no InfiniBand HCA in the facts") or \
        ", ".join(f"{device} hca_type unread" for device, kind in hcas.items() if kind is None)
    return _finding("hca_model", not wrong, sorted(set(hcas.values()), key=str), wanted,
                    f"not {wanted}: {', '.join(wrong)}" if wrong else f"{len(hcas)} x {wanted}", unread,
                    definite=True)


def _nvme(facts, count, size_tb):
    drives, unread = _nvme_drives(facts)
    sized = [d for d in drives if d.get("size_bytes") is not None]
    ordered = [d for d in sized if size_tb is None or abs(d["size_bytes"] / 1e12 - size_tb) <= SIZE_TOLERANCE * size_tb]
    others = [f"{d['name']} {d['size_bytes'] / 1e12:.2f} TB" for d in sized if d not in ordered]
    ok = len(ordered) == count if count is not None else bool(ordered)
    what = f"{len(ordered)} NVMe drives" + (f" of {size_tb:g} TB" if size_tb is not None else "")
    message = _says(what, ok, count if count is not None else f"some of {size_tb:g} TB") + \
        (f"; other NVMe: {', '.join(others)}" if others else "")
    if not ok and len(sized) < len(drives):
        unread = unread or "size unreadable: " + ", ".join(d["name"] for d in drives if d not in sized)
    return _finding("nvme", ok, len(ordered), {"count": count, "size_tb": size_tb}, message, unread)


_ITEMS = {
    "system_model": _substring("system_model", lambda f: f["host"]["dmi"], "product_name", "system"),
    "system_serial": _system_serial,
    "cpu_model": _substring("cpu_model", lambda f: f["host"], "cpu_model", "CPU"),
    "memory_gib": _memory,
    "gpu_model": _gpu_model,
    "gpu_count": _gpu_count,
    "gpu_serials": _gpu_serials,
    "hca_count": _hca_count,
    "hca_model": _hca_model,
    "nvme_serials": _nvme_serials,
}
