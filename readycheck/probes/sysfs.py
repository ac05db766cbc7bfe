"""Reading single files and links under /sys, /proc and /etc, the way every file probe needs it.

Probes read small kernel files (`/sys/class/net/eth0/speed`) and a few larger
ones (`/proc/cpuinfo`, a kernel log). Each read either returns text or raises
`Unreadable` with the reason word a snapshot stores, so a probe can hand the
reader straight to `Record.read`. Reads are bounded: a file under a --root is
untrusted and a kernel log can be gigabytes, so nothing is read whole without
a limit. procfs and sysfs report size 0, so the limit is enforced by reading,
not by `stat`.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

from readycheck.facts import NO_PERMISSION, NOT_FOUND, NOT_SUPPORTED, Record, Unreadable

SMALL_FILE_BYTES = 4 * 1024 * 1024
"""Enough for /proc/cpuinfo of a 512-thread host; sysfs attribute files are at most a page."""

READ_ERROR = "ReadError"

_CHUNK = 1024 * 1024

PCI_ADDRESS = re.compile(r"^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")


def _reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return NOT_FOUND
    if exc.errno in (errno.EACCES, errno.EPERM):
        return NO_PERMISSION
    # sysfs answers EINVAL / EOPNOTSUPP for an attribute the device cannot
    # report right now (the speed of a link that is down, a RoCE-only GID
    # attribute on an InfiniBand port).
    if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENODEV, errno.ENXIO):
        return NOT_SUPPORTED
    return READ_ERROR


def read_bytes(path: Path, limit: int = SMALL_FILE_BYTES, *, tail: bool = False) -> bytes:
    """Read at most `limit` bytes of `path`: the first ones, or with `tail` the last whole lines.

    `tail` seeks when the file has a size (a log on disk) and otherwise keeps a
    rolling window while reading, so memory stays bounded either way; when it
    cut the file, the partial first line is dropped.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise Unreadable(_reason(exc), f"{path}: {exc.strerror or exc}") from None
    try:
        cut = False
        if tail:
            size = os.fstat(fd).st_size
            if size > limit:
                os.lseek(fd, size - limit, os.SEEK_SET)
                cut = True
        data = bytearray()
        while True:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            data += chunk
            if len(data) > limit:
                if not tail:
                    return bytes(data[:limit])
                del data[:-limit]
                cut = True
    except OSError as exc:
        raise Unreadable(_reason(exc), f"{path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if cut:
        del data[:data.find(b"\n") + 1]
    return bytes(data)


def read_text(path: Path, limit: int = SMALL_FILE_BYTES, *, tail: bool = False) -> str:
    """`read_bytes` decoded as UTF-8; undecodable bytes become U+FFFD rather than an error."""
    return read_bytes(path, limit, tail=tail).decode("utf-8", errors="replace")


def read_value(path: Path) -> str:
    """One sysfs attribute, surrounding whitespace and the trailing newline removed."""
    return read_text(path).strip()


def read_int(path: Path) -> int:
    """A sysfs attribute holding one integer (`mtu`, `numa_node`, a counter)."""
    text = read_value(path)
    try:
        return int(text)
    except ValueError:
        raise Unreadable("Malformed", f"{path}: expected an integer, found {text[:40]!r}") from None


def link_name(path: Path) -> str:
    """The last component of a symlink's target (`device` → `0000:18:00.0`, `driver` → `mlx5_core`).

    Only the link itself is read, so a relative link in a fake tree or an
    offline image works even when its target is outside the tree.
    """
    try:
        return os.path.basename(os.readlink(path).rstrip("/"))
    except OSError as exc:
        raise Unreadable(_reason(exc), f"{path}: {exc.strerror or exc}") from None


def pci_function(device: Path, root: Path) -> Path:
    """The PCI function directory behind a `device` link: the link's target, or its parent.

    A NIC or HCA links straight to its function (`0000:18:00.0`); a virtio NIC
    links to `virtio2`, whose parent is the function. Anything else (USB,
    platform devices) is "NotPci". The link is resolved, so a link that leads
    out of `root` (an absolute link in a fake tree) is refused rather than
    read from the machine running the probe.
    """
    try:
        target = device.resolve(strict=True)
    except OSError as exc:
        raise Unreadable(_reason(exc), f"{device}: {exc.strerror or exc}") from None
    if not target.is_relative_to(root.resolve()):
        raise Unreadable("OutsideRoot", f"{device} points outside {root}")
    for candidate in (target, target.parent):
        if PCI_ADDRESS.match(candidate.name):
            return candidate
    raise Unreadable("NotPci", f"{device} points at {target.name}, not a PCI function")


def numa_node(path: Path) -> int:
    """A device's `numa_node`; -1 (the firmware gave no affinity) is "NotReported", not a node."""
    node = read_int(path)
    if node < 0:
        raise Unreadable("NotReported", f"{path} is {node}")
    return node


def read_pci_location(record: Record, device: Path, root: Path) -> None:
    """Fill `pci_bus_id` and `numa_node` of a NIC's or HCA's record from its `device` link."""
    try:
        function = pci_function(device, root)
    except Unreadable as exc:
        record.missing("pci_bus_id", exc.reason)
        record.missing("numa_node", exc.reason)
        return
    record.set("pci_bus_id", function.name)
    record.read("numa_node", numa_node, function / "numa_node")


def entries(directory: Path) -> list[Path]:
    """The entries of a directory sorted naturally (`mlx5_2` before `mlx5_10`); missing → empty."""
    try:
        found = list(directory.iterdir())
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise Unreadable(_reason(exc), f"{directory}: {exc.strerror or exc}") from None
    return sorted(found, key=lambda p: natural_key(p.name))


def natural_key(name: str) -> list[object]:
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part]
