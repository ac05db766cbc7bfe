"""What to measure on this node, read from the facts just collected: its GPUs, its HCA ports, sizes.

The tests take the node as the probes saw it rather than asking NVML again: the GPU indices are
NVML's (the tools run with CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA numbers the GPUs the same way), and
the ports are the active InfiniBand ones (an Ethernet port, RoCE included, is storage or management
on the platforms the packs describe, and needs a GID index readycheck cannot guess). Each port is
paired with the GPU nearest to it (`gpu_paths` PIX, else PXB), whose memory `ib_write_bw` then uses
for GPUDirect RDMA, as Azure's health checks do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from readycheck.facts.decode import pci_device

GIB = 1024**3
# all_reduce_perf message: Azure's health checks judge 8-GPU nodes at 16 GiB (azurehpc-health-checks,
# conf/nd96isr_h100_v5.conf: `check_nccl_allreduce 460.0 1 16G`); a GPU with less memory gets the largest
# power of two that leaves it room for the send and receive buffers and NCCL's own.
NCCL_MAX_BYTES = 16 * GIB
NEAR = ("PIX", "PXB")


class Port(NamedTuple):
    device: str
    port: int
    gpu: int | None  # the GPU nearest to the HCA, whose memory the test uses; None: host memory


@dataclass(frozen=True)
class Plan:
    gpus: list[int]
    bus_ids: dict[str, int]  # PCI device (no function) -> GPU index
    ports: list[Port]
    nccl_bytes: int


def plan(facts: dict[str, Any]) -> Plan:
    gpus = [g for g in facts.get("gpus") or [] if isinstance(g.get("index"), int)]
    bus_ids = {pci_device(g.get("pci_bus_id")): g["index"] for g in gpus if pci_device(g.get("pci_bus_id"))}
    ports = [Port(p["device"], p["port"], _nearest_gpu(p, bus_ids)) for p in facts.get("infiniband") or []
             if (p.get("state") or "").upper() == "ACTIVE" and p.get("link_layer") == "InfiniBand"]
    return Plan([g["index"] for g in gpus], bus_ids, ports, _nccl_bytes(gpus))


def _nearest_gpu(port: dict[str, Any], bus_ids: dict[str, int]) -> int | None:
    paths = port.get("gpu_paths") or {}
    for word in NEAR:
        near = sorted(bus_ids[pci_device(bus)] for bus, path in paths.items()
                      if path == word and pci_device(bus) in bus_ids)
        if near:
            return near[0]
    return None


def _nccl_bytes(gpus: list[dict[str, Any]]) -> int:
    memories = [g.get("memory_total_mib") for g in gpus]
    if not memories or None in memories:
        return NCCL_MAX_BYTES // 4  # unknown memory: a size every data-center GPU holds twice
    room = min(memories) * 1024**2 // 4
    size = NCCL_MAX_BYTES
    while size > room:
        size //= 2
    return size
