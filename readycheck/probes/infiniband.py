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
facts v1: `hca_type` (`<dev>/hca_type`, e.g. "MT4129" for ConnectX-7), and
`gpu_paths`: for each NVIDIA GPU (PCI vendor 0x10de, class 0x0300xx or
0x0302xx under `/sys/bus/pci/devices`), keyed by its bus id as NVML writes it
("00000000:19:00.0"), the PCIe path between the HCA's function and the GPU in
`nvidia-smi topo -m` words, from where sysfs places the two devices
(`/sys/bus/pci/devices/<bdf>` resolved: `pci<domain>:<bus>` is the root
complex, the PCI functions after it the bridges above the device):

- PIX: their closest shared bridge is directly above each of them, or one
  level higher (a PCIe switch shows in sysfs as an upstream port with a
  downstream port per device): at most one switch between them;
- PXB: they share bridges, but further up (more than one switch);
- PHB: the same root complex, no shared bridge (the path crosses the host bridge);
- NODE: different root complexes on the same NUMA node;
- SYS: different NUMA nodes (the path crosses the CPU interconnect).

A GPU on another root complex is left out, rather than guessed, when its or
the HCA's `numa_node` is unknown. `gpu_paths` is null, with the reason, when
`/sys/bus/pci/devices` or the HCA's own entry there cannot be read; `{}` when
the host has no NVIDIA GPU.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, NamedTuple

from readycheck.facts import NOT_FOUND, Record, Unreadable
from readycheck.facts.decode import normal_bus_id, parse_rate_gbps, strip_code
from readycheck.facts.fields import IB_COUNTERS
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import PCI_ADDRESS, entries, numa_node, read_int, read_pci_location, read_value

PCI_DEVICES = "/sys/bus/pci/devices"
NVIDIA_VENDOR = "0x10de"
GPU_CLASSES = ("0x0300", "0x0302")  # VGA-compatible (PCIe H100 in graphics mode) and 3D controller
ROOT_COMPLEX = re.compile(r"^pci[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}$")


class PciPlace(NamedTuple):
    """Where sysfs puts a PCI function: its root complex, the functions from there down to it, its NUMA node."""
    root_complex: str
    chain: tuple[str, ...]
    numa_node: int | None


def probe(ctx: ProbeContext) -> dict[str, Any]:
    ports = []
    gpus: dict[str, PciPlace] | Unreadable | None = None
    for device in entries(ctx.path("/sys/class/infiniband")):
        for port in entries(device / "ports"):
            if port.name.isdigit():
                if gpus is None:
                    try:
                        gpus = nvidia_gpus(ctx)
                    except Unreadable as exc:
                        gpus = exc
                ports.append(_port(device, port, ctx, gpus))
    return {"infiniband": ports}


def pci_place(ctx: ProbeContext, bdf: str) -> PciPlace:
    """Resolve `/sys/bus/pci/devices/<bdf>` (below ctx.root) into its root complex and chain of functions."""
    link = ctx.path(PCI_DEVICES) / bdf
    try:
        target = link.resolve(strict=True)
    except OSError as exc:
        raise Unreadable(NOT_FOUND if isinstance(exc, FileNotFoundError) else "ReadError",
                         f"{link}: {exc.strerror or exc}") from None
    root = ctx.root.resolve()
    if not target.is_relative_to(root):
        raise Unreadable("OutsideRoot", f"{link} points outside {ctx.root}")
    parts = target.relative_to(root).parts
    for index, part in enumerate(parts):
        if ROOT_COMPLEX.match(part):
            chain = tuple(p for p in parts[index + 1:] if PCI_ADDRESS.match(p))
            if chain and chain[-1] == target.name:
                try:
                    node: int | None = numa_node(target / "numa_node")
                except Unreadable:
                    node = None
                return PciPlace(part.lower(), tuple(p.lower() for p in chain), node)
            break
    raise Unreadable("NotPci", f"{link} does not resolve to a PCI function under a root complex")


def nvidia_gpus(ctx: ProbeContext) -> dict[str, PciPlace]:
    """Every NVIDIA GPU function under /sys/bus/pci/devices, by NVML-style bus id; one not placed is left out."""
    directory = ctx.path(PCI_DEVICES)
    if not directory.is_dir():
        raise Unreadable(NOT_FOUND, f"{directory} is not a directory")
    gpus = {}
    for entry in entries(directory):
        try:
            if read_value(entry / "vendor").lower() != NVIDIA_VENDOR:
                continue
            if not read_value(entry / "class").lower().startswith(GPU_CLASSES):
                continue
            gpus[normal_bus_id(entry.name)] = pci_place(ctx, entry.name)
        except Unreadable:
            continue
    return gpus


def pcie_path(a: PciPlace, b: PciPlace) -> str | None:
    """The `nvidia-smi topo -m` word for the path between two PCI functions; None when it cannot be told."""
    if a.root_complex == b.root_complex:
        shared = 0
        for left, right in zip(a.chain[:-1], b.chain[:-1]):
            if left != right:
                break
            shared += 1
        if shared == 0:
            return "PHB"
        # levels from each device up to the closest shared bridge: 1 = directly above it
        return "PIX" if max(len(a.chain), len(b.chain)) - shared <= 2 else "PXB"
    if a.numa_node is None or b.numa_node is None:
        return None
    return "NODE" if a.numa_node == b.numa_node else "SYS"


def _gpu_paths(ctx: ProbeContext, pci_bus_id: str | None, gpus: dict[str, PciPlace] | Unreadable,
               reason: str | None) -> dict[str, str]:
    if isinstance(gpus, Unreadable):
        raise gpus
    if pci_bus_id is None:
        raise Unreadable(reason or NOT_FOUND, "the HCA has no PCI function")
    hca = pci_place(ctx, pci_bus_id)
    paths = {}
    for bus_id, gpu in sorted(gpus.items()):
        path = pcie_path(hca, gpu)
        if path is not None:
            paths[bus_id] = path
    return paths


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


def _port(device: Path, port: Path, ctx: ProbeContext, gpus: dict[str, PciPlace] | Unreadable) -> dict[str, Any]:
    root = ctx.root
    record = Record(device=device.name, port=int(port.name))
    record.read("state", lambda: strip_code(read_value(port / "state")))
    record.read("phys_state", lambda: strip_code(read_value(port / "phys_state")))
    record.read("rate_gbps", lambda: parse_rate_gbps(read_value(port / "rate")))
    record.read("link_layer", read_value, port / "link_layer")
    record.read("fw_version", read_value, device / "fw_ver")
    record.read("board_id", read_value, device / "board_id")
    record.read("hca_type", read_value, device / "hca_type")
    read_pci_location(record, device / "device", root)
    record.read("gpu_paths", _gpu_paths, ctx, record.values["pci_bus_id"], gpus,
                record.unavailable.get("pci_bus_id"))
    record.read("netdev", _netdev, device, port)
    counters: dict[str, int | None] = {}
    for name in IB_COUNTERS:
        try:
            counters[name] = read_int(port / "counters" / name)
        except Unreadable as exc:
            counters[name] = None
            record.unavailable[f"counters.{name}"] = exc.reason
    record.set("counters", counters)
    return record.as_dict()
