"""Host storage facts: the physical drives (`host.block_devices`) and the real filesystems (`host.filesystems`).

Drives come from `/sys/block` under `ctx.root`. Entries without a `device`
link (loop, device-mapper, md RAID, zram) are not drives and are left out, as
are removable media (a BMC's virtual CD-ROM) and the hidden per-path legs of
NVMe multipath (`nvme0c0n1`). For each drive: `model` and `serial` (NVMe:
the controller's, or with native multipath the subsystem's; SCSI/SATA: the
serial from VPD page 0x80), `size_bytes` (`size` counts 512-byte sectors
whatever the drive's block size), `rotational`, and `transport`: `nvme` for
an NVMe drive on PCIe, `nvme-tcp`/`nvme-rdma`/`nvme-fc` over fabrics, else
from the device path (`sata`, `sas`, `usb`, `virtio`, `scsi`). The PCIe link
(`current_link_speed` as a generation, `current_link_width`, and beyond facts
v1 the `max_link_*` pair as `pcie_link_gen_max`/`pcie_link_width_max`) is
read from the NVMe controller's PCI function; other drives have no PCIe link
of their own ("NotSupported"). A function's `max_link_*` is its own
capability: a Gen5 drive in a slot wired for Gen4 trains at Gen4 by design. So
the upstream port the drive's link ends at (the root port or switch port that
is its parent in the device tree) is read too, beyond facts v1, as
`pcie_link_gen_port_max`/`pcie_link_width_port_max`; a drive whose function
has no PCI parent (it hangs off the host bridge itself) reads "NoUpstreamPort". `numa_node` is that function's, or the
nearest PCI ancestor's (a SATA drive's HBA).

Filesystems come from `/proc/mounts` under the root, real ones only (local
disk filesystems and network or parallel ones such as NFS, Lustre, GPFS,
BeeGFS); tmpfs, overlay, proc and the other kernel filesystems are left out.
Sizes come from `statvfs`, which only describes the live machine: under
another root they are null with the reason "NotLive". A hung network mount
blocks `statvfs`, so each call has a deadline and the mount reads "Timeout".
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path
from typing import Any, Callable

from readycheck.facts import NOT_FOUND, NOT_SUPPORTED, TIMEOUT, Record, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import (
    PCI_ADDRESS,
    _reason,
    entries,
    numa_node,
    pci_function,
    read_bytes,
    read_int,
    read_text,
    read_value,
)

SECTOR_BYTES = 512

# Filesystems that hold data on a disk or a storage server; everything else in /proc/mounts
# (tmpfs, overlay, proc, sysfs, cgroup, squashfs snaps, ...) is the kernel's or a container's.
REAL_FILESYSTEMS = frozenset({
    "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "vfat", "exfat", "ntfs", "ntfs3",
    "nfs", "nfs4", "cifs", "smb3", "lustre", "gpfs", "beegfs", "ceph", "glusterfs", "fuse.glusterfs",
    "wekafs", "panfs",
})

STATVFS_TIMEOUT_S = 5.0
STATVFS_BUDGET_S = 15.0  # all mounts together, well inside the runner's limit for the probe

_GTS_TO_GEN = {2.5: 1, 5.0: 2, 8.0: 3, 16.0: 4, 32.0: 5, 64.0: 6}
_HIDDEN_NVME_PATH = re.compile(r"nvme\d+c\d+n\d+")
_NVME_CONTROLLER = re.compile(r"nvme\d+")


def probe(ctx: ProbeContext) -> dict[str, Any]:
    host = Record()
    try:
        host.set("block_devices", [_drive(block, ctx.root) for block in _drives(ctx)])
    except Unreadable as exc:
        host.set("block_devices", [])
        host.unavailable["block_devices"] = exc.reason
    try:
        host.set("filesystems", filesystems(read_text(ctx.path("/proc/mounts")), ctx.live))
    except Unreadable as exc:
        host.set("filesystems", [])
        host.unavailable["filesystems"] = exc.reason
    return {"host": host.as_dict()}


def _drives(ctx: ProbeContext) -> list[Path]:
    directory = ctx.path("/sys/block")
    if not directory.is_dir():
        raise Unreadable(NOT_FOUND, f"{directory} missing")
    found = []
    for block in entries(directory):
        if _HIDDEN_NVME_PATH.fullmatch(block.name) or not (block / "device").exists():
            continue
        try:
            if read_value(block / "removable") == "1":
                continue
        except Unreadable:
            pass
        found.append(block)
    return found


def _drive(block: Path, root: Path) -> dict[str, Any]:
    record = Record(name=block.name)
    nvme = block.name.startswith("nvme")
    device = block / "device"
    record.read("model", read_value, device / "model")
    record.read("serial", read_value if nvme else _vpd_serial, device / ("serial" if nvme else "vpd_pg80"))
    record.read("size_bytes", lambda: read_int(block / "size") * SECTOR_BYTES)
    record.read("rotational", lambda: read_value(block / "queue" / "rotational") == "1")
    link: Path | Unreadable = Unreadable(NOT_SUPPORTED, f"{block.name} has no PCIe link of its own")
    if nvme:
        controller = _nvme_controller(device)
        if record.read("transport", _nvme_transport, controller) == "nvme":
            link = _attempt(pci_function, controller / "device", root)
        location = link
    else:
        record.read("transport", _transport_from_path, block)
        location = _attempt(_pci_ancestor, block, root)
    port = _attempt(_upstream_port, link) if isinstance(link, Path) else link
    for field, (attribute, reader) in _LINK_FIELDS.items():
        _read_from(record, field, link, attribute, reader)
    for field, (attribute, reader) in _PORT_FIELDS.items():
        _read_from(record, field, port, attribute, reader)
    _read_from(record, "numa_node", location, "numa_node", numa_node)
    return record.as_dict()


_LINK_FIELDS: dict[str, tuple[str, Callable[[Path], int]]] = {
    "pcie_link_gen_current": ("current_link_speed", lambda path: link_gen(read_value(path))),
    "pcie_link_width_current": ("current_link_width", read_int),
    "pcie_link_gen_max": ("max_link_speed", lambda path: link_gen(read_value(path))),
    "pcie_link_width_max": ("max_link_width", read_int),
}


# The upstream port's own maximum: what the slot or switch port can train at.
_PORT_FIELDS = {
    "pcie_link_gen_port_max": _LINK_FIELDS["pcie_link_gen_max"],
    "pcie_link_width_port_max": _LINK_FIELDS["pcie_link_width_max"],
}


def _upstream_port(function: Path) -> Path:
    """The PCI port a function's link ends at: its parent in the device tree (a root port or switch port)."""
    if not PCI_ADDRESS.match(function.parent.name):
        raise Unreadable("NoUpstreamPort", f"{function.name} hangs off {function.parent.name}, not a PCI port")
    return function.parent


def _attempt(reader: Callable[..., Path], *args: Any) -> Path | Unreadable:
    try:
        return reader(*args)
    except Unreadable as exc:
        return exc


def _read_from(record: Record, field: str, function: Path | Unreadable, attribute: str,
               reader: Callable[[Path], Any]) -> None:
    """Read `attribute` of a PCI function into `field`, or record why there is no function to read."""
    if isinstance(function, Unreadable):
        record.missing(field, function.reason)
    else:
        record.read(field, reader, function / attribute)


def link_gen(speed: str) -> int:
    """The PCIe generation of a `current_link_speed` such as "32.0 GT/s PCIe" (Gen5) or "8 GT/s"."""
    match = re.match(r"(\d+(?:\.\d+)?) GT/s", speed)
    gen = _GTS_TO_GEN.get(float(match.group(1))) if match else None
    if gen is None:
        raise Unreadable(NOT_SUPPORTED, f"link speed {speed!r} is not a PCIe generation")
    return gen


def _nvme_controller(device: Path) -> Path:
    """The NVMe controller behind a namespace's `device` link.

    Without native multipath the link is the controller (`nvme0`); with it, the
    subsystem (`nvme-subsys0`), whose controllers are the `nvme<N>` entries in it:
    the first one stands for the drive.
    """
    if _NVME_CONTROLLER.fullmatch(device.resolve().name):
        return device
    controllers = [entry for entry in entries(device) if _NVME_CONTROLLER.fullmatch(entry.name)]
    return controllers[0] if controllers else device


def _nvme_transport(controller: Path) -> str:
    transport = read_value(controller / "transport")
    return "nvme" if transport == "pcie" else f"nvme-{transport}"


def _transport_from_path(block: Path) -> str:
    path = block.resolve().as_posix()
    if block.name.startswith("vd") or "/virtio" in path:
        return "virtio"
    for marker, transport in (("/usb", "usb"), ("/ata", "sata"), ("/end_device-", "sas")):
        if marker in path:
            return transport
    if block.name.startswith("sd"):
        return "scsi"
    raise Unreadable("NotInSource", f"{block.name}: the device path {path} does not tell the transport")


def _pci_ancestor(block: Path, root: Path) -> Path:
    """The nearest PCI function above a block device in the device tree (a SATA drive's HBA)."""
    target = block.resolve()
    if not target.is_relative_to(root.resolve()):
        raise Unreadable("OutsideRoot", f"{block} points outside {root}")
    for parent in target.parents:
        if PCI_ADDRESS.match(parent.name):
            return parent
    raise Unreadable("NotPci", f"{block.name} is not below a PCI function")


def _vpd_serial(path: Path) -> str:
    """The unit serial number of SCSI VPD page 0x80: a 4-byte header, then the length it gives."""
    page = read_bytes(path, 256)
    if len(page) < 4 or page[1] != 0x80:
        raise Unreadable("Malformed", f"{path}: not VPD page 0x80")
    serial = page[4:4 + page[3]].decode("ascii", errors="replace").strip()
    if not serial:
        raise Unreadable("NotInSource", f"{path}: empty serial")
    return serial


def filesystems(mounts: str, live: bool, statvfs: Callable[[str], Any] = os.statvfs) -> list[dict[str, Any]]:
    """One `{mountpoint, device, fstype, size_bytes, free_bytes}` per real filesystem in `/proc/mounts` text.

    `free_bytes` is what an unprivileged user may still write (`f_bavail`), as `df` shows it.
    """
    found = []
    deadline = time.monotonic() + STATVFS_BUDGET_S
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[2] not in REAL_FILESYSTEMS:
            continue
        device, mountpoint = (_unescape(field) for field in fields[:2])
        record = Record(mountpoint=mountpoint, device=device, fstype=fields[2])
        try:
            if not live:
                raise Unreadable("NotLive", f"statvfs({mountpoint}) describes the running machine, not the root")
            stats = _bounded(statvfs, mountpoint, min(STATVFS_TIMEOUT_S, deadline - time.monotonic()))
        except Unreadable as exc:
            record.missing("size_bytes", exc.reason)
            record.missing("free_bytes", exc.reason)
        else:
            record.set("size_bytes", stats.f_blocks * stats.f_frsize)
            record.set("free_bytes", stats.f_bavail * stats.f_frsize)
        found.append(record.as_dict())
    return found


def _unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash in paths as octal escapes (`\\040`)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def _bounded(function: Callable[[str], Any], argument: str, timeout: float) -> Any:
    """`function(argument)` on a daemon thread; a call still blocked after `timeout` is given up as Timeout."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = function(argument)
        except OSError as exc:
            box["error"] = Unreadable(_reason(exc), f"{argument}: {exc.strerror or exc}")

    thread = threading.Thread(target=target, name="statvfs", daemon=True)
    thread.start()
    thread.join(max(timeout, 0.0))
    if thread.is_alive():
        raise Unreadable(TIMEOUT, f"statvfs({argument}) gave no answer within {timeout:.1f}s")
    if "error" in box:
        raise box["error"]
    return box["value"]
