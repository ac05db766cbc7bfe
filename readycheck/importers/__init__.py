"""Importers: vendor and field captures of one node → one facts v1 snapshot.

Procurement often gets evidence, not access: a burn-in report with
`nvidia-smi -q`, a topology matrix pasted into a ticket, an `ibstat` from a
remote site. `readycheck import FILE... [-o OUT]` detects each file's format
and merges the files of one node into one snapshot; `readycheck check` takes a
capture wherever it takes a snapshot (one file, one node). Formats (the module
of each says what it maps):

| format (`source`) | command | module |
|---|---|---|
| `nvidia-smi-xml` | `nvidia-smi -q -x` (DTD v10 to v13, none on 418) | `nvidia_smi_xml`, `nvidia_smi` |
| `nvidia-smi-text` | `nvidia-smi -q`, `-q -i N`, `-q -d ...` (drivers 418 to 610+) | `nvidia_smi_text`, `nvidia_smi` |
| `nvidia-smi-topo` | `nvidia-smi topo -m` | `topo` |
| `nvidia-smi-nvlink` | `nvidia-smi nvlink -s` | `nvlink_status` |
| `ibstat`, `ibstatus` | `ibstat`, `ibstatus` | `ibstat` |

The snapshot's `source` joins the formats that went in
(`"nvidia-smi-xml+ibstat"`), `imported_from` (added beyond facts v1) lists
each file's name, format and the timestamp it prints, and `collected_at` is
the time of the import (a capture's own timestamp has no time zone).

What no capture carries is null with the reason `NotInSource`, so the checks
say `unknown` rather than guess: the whole `host` (a capture has no host
name, OS or PSUs), the driver's kernel modules, Fabric Manager and
persistenced, and each GPU field its captures lack. Lists that cannot hold a
null say so in `probe_errors` under the probe whose facts they are, so the
checks that read them report `unknown`: `xid` and `network` always,
`infiniband` without an ibstat or ibstatus, and `nvml` without any nvidia-smi
capture. An import is therefore judged on what its captures show; the checks
for what they do not show are `unknown`, which keeps the node from READY
unless the rule pack marks those checks `required = false`.

An InfiniBand-only import (ibstat alone) has no GPU side: `nvidia`
says NVML is not available, with `nvml_error` "NotInSource: ...", every GPU
check is `unknown` ("no GPU in the facts"), and so is nvml.available, so the
node is not ready on any GPU pack, while ib.ports, ib.errors and ib.firmware
judge the ports as on a live node. Judge it with the platform's pack
(`--rules hgx-h100`) to read the fabric findings.

Merging: GPUs are matched by UUID where both captures have a unique one, else
by PCI bus id, else by index (`topo -m` and `nvlink -s` number the GPUs
themselves and are merged first; `-q` numbers them in the order it prints
them, and a `-q -i N` capture of some of the node's GPUs leaves the index
null, `NotInSource`, until another capture of the node gives it). The order
of the files does not matter. For a field two captures both have, the first
non-null value wins. Two captures that give one GPU index or bus id different
UUIDs are not of one node: refused. When the merged GPUs are fewer than the
driver's "Attached GPUs", `probe_errors` (probe `nvml`) says the others are
`NotInSource`. Ports merge by device and port; a `topo -m` capture adds the
NUMA node of each NIC it places.

`imported_from[].notes` lists what an importer skipped in that file and why
(a line that is not the tool's output, such as a prompt pasted into an
`ibstat` capture); it is empty for a clean capture.

Captures are untrusted: larger than 64 MiB, NUL bytes or not UTF-8 is
refused; XML is parsed with entity declarations refused (see
`nvidia_smi_xml`); a file in no known format is an input error (exit 2)
naming the file and the formats tried.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from pathlib import Path
from typing import Any, Callable, NamedTuple

from readycheck import __version__
from readycheck.facts import NOT_IN_SOURCE, Record, SnapshotError, empty_snapshot
from readycheck.facts.fields import GPU_FIELDS, IB_COUNTERS
from readycheck.facts.schema import validate
from readycheck.facts.snapshot import MAX_SNAPSHOT_BYTES, empty_host, empty_nvidia, parse_snapshot
from readycheck.importers.common import Capture, CaptureError, capture_text, read_capture
from readycheck.inputs import decode_text, read_bytes

__all__ = ["CaptureError", "formats", "import_files", "load_input", "read_input"]


class Format(NamedTuple):
    name: str
    command: str
    detect: Callable[[str], bool]
    parse: Callable[[str, str], Capture]
    numbers_gpus: bool = False  # numbers GPUs as nvidia-smi does, whatever the capture leaves out


@functools.cache
def formats() -> tuple[Format, ...]:
    """The capture formats, in the order they are tried. Their parsers are imported here, on first use:
    judging facts snapshots, the common case, needs none of them."""
    from readycheck.importers import ibstat, nvidia_smi_text, nvidia_smi_xml, nvlink_status, topo

    return (
        Format(nvidia_smi_xml.NAME, "nvidia-smi -q -x", nvidia_smi_xml.detect, nvidia_smi_xml.parse),
        Format(nvidia_smi_text.NAME, "nvidia-smi -q", nvidia_smi_text.detect, nvidia_smi_text.parse),
        Format(topo.NAME, "nvidia-smi topo -m", topo.detect, topo.parse, numbers_gpus=True),
        Format(nvlink_status.NAME, "nvidia-smi nvlink -s", nvlink_status.detect, nvlink_status.parse,
               numbers_gpus=True),
        Format(ibstat.IBSTAT, "ibstat", ibstat.detect_ibstat, ibstat.parse_ibstat),
        Format(ibstat.IBSTATUS, "ibstatus", ibstat.detect_ibstatus, ibstat.parse_ibstatus),
    )
PORT_FIELDS = ("state", "phys_state", "rate_gbps", "link_layer", "fw_version", "board_id", "hca_type",
               "pci_bus_id", "numa_node", "netdev")
NVIDIA_NOT_IN_CAPTURES = ("kernel_modules", "fabricmanager.installed", "fabricmanager.active",
                          "fabricmanager.version", "persistenced.active")


def tried(snapshot: bool = False) -> str:
    names = ["facts snapshot (JSON)"] if snapshot else []
    return ", ".join(names + [fmt.command for fmt in formats()])


def load_input(path: str | Path) -> dict[str, Any]:
    """A facts snapshot from a file (`-`: standard input) that is either a snapshot (`*.json`, or text
    starting with `{`: read as `load_snapshot` reads it, unchanged) or a capture of a known format
    (imported)."""
    return read_input(path)[0]


def read_input(path: str | Path) -> tuple[dict[str, Any], str]:
    """`load_input`, and the SHA-256 of the file's bytes as read (hex): what a report names the input by.
    The file is read once, through the bounded reader."""
    data = read_bytes(path, MAX_SNAPSHOT_BYTES, "facts snapshot or capture", SnapshotError)
    if str(path).lower().endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        snapshot = parse_snapshot(str(path), decode_text(path, data, "facts snapshot", SnapshotError))
        return snapshot, hashlib.sha256(data).hexdigest()
    snapshot = _import([(path, data)], snapshot_too=True)
    return snapshot, snapshot["imported_from"][0]["sha256"]


def import_files(paths: list[str] | list[Path]) -> dict[str, Any]:
    """One snapshot of one node from capture files; `CaptureError` names the file that is wrong."""
    return _import([(path, read_capture(path)) for path in paths], snapshot_too=False)


def _import(files: list[tuple[str | Path, bytes]], snapshot_too: bool) -> dict[str, Any]:
    captures = [_capture(path, data, snapshot_too) for path, data in files]
    snapshot = merge(captures)
    problems = validate(snapshot)
    if problems:
        names = ", ".join(str(path) for path, _ in files)
        raise CaptureError(f"{names}: imported facts do not validate: {problems[0]}")
    return snapshot


def _capture(path: str | Path, data: bytes, snapshot_too: bool) -> Capture:
    text = capture_text(path, data)
    for fmt in formats():
        if fmt.detect(text):
            capture = fmt.parse(text, str(path))
            capture.source, capture.sha256 = Path(path).name, hashlib.sha256(data).hexdigest()
            capture.numbers_gpus = fmt.numbers_gpus
            return capture
    raise CaptureError(f"{path}: not a format readycheck knows (tried: {tried(snapshot_too)})")


def merge(captures: list[Capture]) -> dict[str, Any]:
    """One facts v1 snapshot from the captures of one node (see the module docstring)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    source = "+".join(dict.fromkeys(capture.format for capture in captures))
    snapshot = empty_snapshot(collected_at=now.isoformat().replace("+00:00", "Z"), version=__version__,
                              source=source)
    snapshot["imported_from"] = [{"file": c.source, "format": c.format, "timestamp": c.timestamp, "notes": c.notes,
                                  "sha256": c.sha256} for c in captures]
    host = empty_host(NOT_IN_SOURCE)
    host["unavailable"].update(dict.fromkeys(("psus", "block_devices", "filesystems"), NOT_IN_SOURCE))
    snapshot["host"] = host
    snapshot["nvidia"] = _nvidia(captures, source)
    gpus = _gpus(captures)
    snapshot["gpus"] = gpus
    attached = snapshot["nvidia"].get("attached_gpus")
    snapshot["topology"] = next((c.topology for c in captures if c.topology is not None), None) \
        or _pairs_not_in_source(gpus)
    snapshot["infiniband"] = _ports(captures)
    errors = [error for capture in captures for error in capture.probe_errors]
    if attached is not None and len(gpus) < attached:
        errors.append({"probe": "nvml", "error": (
            f"{source}: {len(gpus)} of the node's {attached} attached GPUs are in the capture (as with "
            f"nvidia-smi -q -i N); the others are {NOT_IN_SOURCE}")})
    missing = {"xid": "no kernel log", "network": "no network interface list"}
    if not any(c.infiniband is not None for c in captures):
        missing["infiniband"] = "no ibstat or ibstatus"
    if not any(c.nvidia is not None or c.gpus for c in captures):
        missing["nvml"] = "no nvidia-smi output"
    errors.extend({"probe": probe, "error": f"{NOT_IN_SOURCE}: {what} among the imported captures ({source})"}
                  for probe, what in missing.items())
    snapshot["probe_errors"] = errors
    return snapshot


def _overlay(target: Record, values: dict[str, Any], unavailable: dict[str, str]) -> None:
    """Fill `target` from another capture's record: a value where it has none, else a better reason."""
    for name, value in values.items():
        if target.values.get(name) is not None:
            continue
        if value is not None:
            target.set(name, value)
        elif name in unavailable and target.unavailable.get(name, NOT_IN_SOURCE) == NOT_IN_SOURCE:
            target.missing(name, unavailable[name])


def _nvidia(captures: list[Capture], source: str) -> dict[str, Any]:
    found = [c.nvidia for c in captures if c.nvidia is not None]
    gpu_side = bool(found) or any(c.gpus for c in captures)
    base = empty_nvidia(NOT_IN_SOURCE)
    nvidia = Record(**{k: v for k, v in base.items() if k != "unavailable"})
    nvidia.unavailable = {**base["unavailable"], **dict.fromkeys(NVIDIA_NOT_IN_CAPTURES, NOT_IN_SOURCE)}
    if gpu_side:
        nvidia.set("nvml_available", True)
        nvidia.set("nvml_error", None)
    else:
        nvidia.set("nvml_error", f"{NOT_IN_SOURCE}: the imported captures ({source}) carry no GPU data")
    for record in found:
        _overlay(nvidia, record.values, record.unavailable)
    return nvidia.as_dict()


def _gpus(captures: list[Capture]) -> list[dict[str, Any]]:
    merged: list[tuple[Record, str]] = []  # with the file each GPU came from first
    for capture in sorted(captures, key=lambda c: not c.numbers_gpus):
        uuids = [gpu.values.get("uuid") for gpu in capture.gpus]
        for gpu in capture.gpus:
            target = _match(merged, gpu, uuids.count(gpu.values.get("uuid")) == 1, capture.source)
            if target is None:
                target = Record(index=None)
                merged.append((target, capture.source))
            _overlay(target, gpu.values, gpu.unavailable)
    gpus = []
    for record, _ in sorted(merged, key=lambda item: _order(item[0].values)):
        _not_in_source(record, GPU_FIELDS)
        record.values = {name: record.values[name] for name in GPU_FIELDS}  # in the probe's order
        gpus.append(record.as_dict())
    return gpus


def _order(gpu: dict[str, Any]) -> tuple:
    """By index; GPUs no capture gave an index to last, by bus id."""
    index = gpu.get("index")
    return (index is None, index or 0, gpu.get("pci_bus_id") or "")


def _not_in_source(record: Record, fields: tuple[str, ...]) -> None:
    for name in fields:
        if name not in record.values:
            record.missing(name, NOT_IN_SOURCE)


def _pairs_not_in_source(gpus: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pairs = []
    gpus = [gpu for gpu in gpus if gpu["index"] is not None]  # a pair names its GPUs by index
    for i, a in enumerate(gpus):
        for b in gpus[i + 1:]:
            pair = Record(gpu_a=a["index"], gpu_b=b["index"])
            pair.missing("link", NOT_IN_SOURCE)
            pairs.append(pair.as_dict())
    return pairs


def _match(merged: list[tuple[Record, str]], gpu: Record, unique_uuid: bool, source: str) -> Record | None:
    """The merged GPU that `gpu` is: the first of its UUID (when unique in its capture: some collectors
    write one placeholder UUID for every GPU), bus id and index that a merged GPU shares. Two captures
    that place one GPU alike but give it different UUIDs or bus ids are of two nodes: refused."""
    for key in ("uuid", "pci_bus_id", "index"):
        value = gpu.values.get(key)
        if value is None or (key == "uuid" and not unique_uuid):
            continue
        for record, first in merged:
            if record.values.get(key) == value:
                for other in ("uuid", "pci_bus_id"):
                    ours, theirs = gpu.values.get(other), record.values.get(other)
                    if ours is not None and theirs is not None and ours != theirs:
                        raise CaptureError(f"{source}: GPU {value} is {ours}, {first} says {theirs}: "
                                           "not captures of one node")
                return record
    return None


def _ports(captures: list[Capture]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, int], Record] = {}
    for capture in captures:
        for port in capture.infiniband or ():
            key = (port.values["device"], port.values["port"])
            _overlay(merged.setdefault(key, Record(device=key[0], port=key[1])), port.values, port.unavailable)
    numa_nodes = {device: node for capture in captures for device, node in capture.hca_numa_nodes.items()}
    ports = []
    for record in merged.values():
        _not_in_source(record, PORT_FIELDS)
        if record.values["numa_node"] is None and record.values["device"] in numa_nodes:
            record.set("numa_node", numa_nodes[record.values["device"]])
        record.set("counters", dict.fromkeys(IB_COUNTERS))
        record.unavailable.update({f"counters.{name}": NOT_IN_SOURCE for name in IB_COUNTERS})
        ports.append(record.as_dict())
    return ports
