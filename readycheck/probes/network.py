"""One facts object per network interface except loopback, from `/sys/class/net`.

sysfs is the only source so a fake tree or offline image reads like the live
host. `up` is operstate "up"; the raw word is kept as `operstate` (added
beyond facts v1, string) because "unknown" and "dormant" are not "down".
`speed_mbps` is null with the reason "LinkDown" when the link is not up (the
kernel answers EINVAL or -1 then), "Unknown" when an up link reports -1.
Interfaces with no `device` link (bridges, bonds, veth, VLANs) are virtual:
`driver`, `pci_bus_id` and `numa_node` are null with the reason "Virtual".
A device that is not a PCI function (virtio, USB) gives `pci_bus_id` null
with "NotPci".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from readycheck.facts import Record, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import entries, link_name, read_int, read_pci_location, read_value

VIRTUAL = "Virtual"


def probe(ctx: ProbeContext) -> dict[str, Any]:
    interfaces = [_interface(path, ctx.root) for path in entries(ctx.path("/sys/class/net"))
                  if path.name != "lo" and path.is_dir()]  # `bonding_masters` is a plain file
    return {"network_interfaces": interfaces}


def _interface(path: Path, root: Path) -> dict[str, Any]:
    record = Record(name=path.name)
    operstate = record.read("operstate", read_value, path / "operstate")
    if operstate is None:
        record.missing("up", record.unavailable["operstate"])
    else:
        record.set("up", operstate == "up")
    try:
        speed = read_int(path / "speed")
    except Unreadable as exc:
        speed, reason = None, exc.reason
    else:
        reason = "Unknown"
    if speed is not None and speed >= 0:
        record.set("speed_mbps", speed)
    else:
        record.missing("speed_mbps", "LinkDown" if operstate in ("down", "lowerlayerdown") else reason)
    record.read("mtu", read_int, path / "mtu")
    device = path / "device"
    if not device.is_symlink() and not device.exists():
        for field in ("driver", "pci_bus_id", "numa_node"):
            record.missing(field, VIRTUAL)
        return record.as_dict()
    record.read("driver", link_name, device / "driver")
    read_pci_location(record, device, root)
    return record.as_dict()
