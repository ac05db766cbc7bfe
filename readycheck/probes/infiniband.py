"""One facts object per InfiniBand / RoCE HCA port, from `/sys/class/infiniband`.

sysfs is read rather than `ibstat` so the probe needs no rdma-core package and
works on a fake tree or offline image. A host without `/sys/class/infiniband`
has no HCAs: that is a fact (an empty list), not a failure. Values keep the
words the kernel uses (`state` "ACTIVE", `phys_state` "LinkUp") with the
numeric prefix removed; `rate_gbps` is the number before "Gb/sec" (400, 200,
or 2.5 for a 1X SDR link). `numa_node` -1 (firmware gave no affinity) is null
with the reason "NotReported". `pci_bus_id` is the PCI function the `device`
link resolves to.

Each port object has its own `unavailable` map; a counter that cannot be read
is null in `counters` with its reason under `counters.<name>`. Added beyond
facts v1: `hca_type` (`<dev>/hca_type`, e.g. "MT4129" for ConnectX-7).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from readycheck.facts import NOT_FOUND, Record, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import entries, read_int, read_pci_location, read_value

COUNTERS = ("symbol_error", "link_downed", "link_error_recovery", "port_rcv_errors")


def probe(ctx: ProbeContext) -> dict[str, Any]:
    ports = []
    for device in entries(ctx.path("/sys/class/infiniband")):
        for port in entries(device / "ports"):
            if port.name.isdigit():
                ports.append(_port(device, port, ctx.root))
    return {"infiniband": ports}


def strip_code(text: str) -> str:
    """`4: ACTIVE` → `ACTIVE`, `5: LinkUp` → `LinkUp`."""
    return re.sub(r"^\d+:\s*", "", text)


def parse_rate_gbps(text: str) -> int | float:
    """`400 Gb/sec (4X NDR)` → 400, `2.5 Gb/sec (1X SDR)` → 2.5."""
    match = re.match(r"(\d+(?:\.\d+)?)\s*Gb/sec", text)
    if not match:
        raise Unreadable("Malformed", f"rate {text[:40]!r} is not '<n> Gb/sec ...'")
    rate = float(match.group(1))
    return int(rate) if rate.is_integer() else rate


def _netdev(device: Path, port: Path) -> str:
    """The port's network interface: the RoCE GID's netdev, else the PCI function's only (or matching) one."""
    try:
        return read_value(port / "gid_attrs" / "ndevs" / "0")
    except Unreadable:
        pass
    nets = entries(device / "device" / "net")
    if len(nets) == 1:
        return nets[0].name
    for net in nets:  # a dual-port HCA: dev_port counts from 0, IB ports from 1
        try:
            if read_int(net / "dev_port") == int(port.name) - 1:
                return net.name
        except Unreadable:
            continue
    raise Unreadable(NOT_FOUND, f"no network interface for {device.name} port {port.name}")


def _port(device: Path, port: Path, root: Path) -> dict[str, Any]:
    record = Record(device=device.name, port=int(port.name))
    record.read("state", lambda: strip_code(read_value(port / "state")))
    record.read("phys_state", lambda: strip_code(read_value(port / "phys_state")))
    record.read("rate_gbps", lambda: parse_rate_gbps(read_value(port / "rate")))
    record.read("link_layer", read_value, port / "link_layer")
    record.read("fw_version", read_value, device / "fw_ver")
    record.read("board_id", read_value, device / "board_id")
    record.read("hca_type", read_value, device / "hca_type")
    read_pci_location(record, device / "device", root)
    record.read("netdev", _netdev, device, port)
    counters: dict[str, int | None] = {}
    for name in COUNTERS:
        try:
            counters[name] = read_int(port / "counters" / name)
        except Unreadable as exc:
            counters[name] = None
            record.unavailable[f"counters.{name}"] = exc.reason
    record.set("counters", counters)
    return record.as_dict()
