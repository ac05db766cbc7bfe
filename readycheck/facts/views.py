"""What several readers derive from the facts in one way, so two checks never count one thing twice over.

A snapshot is facts as read; some questions need a small derivation from them that more than one
check asks. Each is answered here once.
"""

from __future__ import annotations

from typing import Any


def gpu_count(facts: dict[str, Any]) -> int:
    """The number of GPUs the node has.

    Live facts list every GPU NVML enumerates. An imported capture of some of the node's GPUs
    (`nvidia-smi -q -i N`) lists only those, but its header says how many the driver has ("Attached
    GPUs", kept as `nvidia.attached_gpus`): that count is the node's."""
    attached = facts["nvidia"].get("attached_gpus")
    return attached if isinstance(attached, int) and not isinstance(attached, bool) else len(facts["gpus"])


def nvme_drives(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The node's local NVMe drives (host.block_devices of transport `nvme`)."""
    return [drive for drive in facts["host"].get("block_devices") or [] if drive.get("transport") == "nvme"]


def infiniband_hcas(facts: dict[str, Any]) -> dict[str, str | None]:
    """HCA device -> its type (`MT4129`), for the RDMA devices with an InfiniBand port: the node's
    InfiniBand adapters, not its Ethernet functions (storage NICs, RoCE)."""
    return {port["device"]: port.get("hca_type") for port in facts.get("infiniband") or []
            if port.get("link_layer") == "InfiniBand"}
