"""topology.nic_affinity: every compute HCA sits on the same NUMA node as GPUs it can serve.

GPUDirect RDMA moves data between a GPU and an HCA straight over PCIe. When
the HCA hangs off the other CPU socket, every transfer crosses the CPU
interconnect (UPI/xGMI): bandwidth drops and latency rises for every rank
that uses that HCA, and NCCL may refuse GPUDirect for it altogether. On HGX
boards each GPU has its own HCA behind the same PCIe switch (`PIX` in
`nvidia-smi topo -m`); an HCA moved to a slot on the other socket, or a BIOS
that reports no NUMA affinity, is found here.

Each compute port (`<hca>/<port>`) passes when its HCA's NUMA node also holds
at least one GPU, and fails when it holds none. When `expected_pairs` names
the GPU an HCA serves, the HCA must share that GPU's NUMA node. A port whose
NUMA node the firmware did not report (`-1`) is `unknown`, as is a node where
no GPU's NUMA node is known. Storage and management ports are left out as in
ib.ports (each gets a `skip`); a node with no HCA is skipped (ib.ports judges
whether it should have one).

Where the port carries `gpu_paths` (the PCIe path from the HCA to each GPU in
`nvidia-smi topo -m` words, read from sysfs by the InfiniBand probe), the path
decides instead: a compute port whose closest GPU (or, with `expected_pairs`,
its own GPU) is `PIX` or `PXB` passes, as GPUDirect RDMA needs; one only at
`PHB` or `NODE` warns (GPUDirect works, but every transfer crosses the host
bridge); one only at `SYS` fails, as on the NUMA judgement. Without
`gpu_paths` (older snapshots, imports, a host whose /sys/bus/pci could not be
read, or no path to its own GPU) the NUMA judgement above stands, and the PCIe
switch is not known: the finding is the NUMA-only one, unchanged.
"""

from __future__ import annotations

import re

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import PORT_FILTER, excluded, exclusion, no_hca
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.unread import missing
from readycheck.facts.decode import pci_device
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject, port_subject

ID = "topology.nic_affinity"
SETTINGS = {
    "expected_pairs": Setting("list[str]", [], "the GPU each HCA serves, \"<hca>=gpu<index>\" "
                                               "(e.g. [\"mlx5_0=gpu0\"]): they must share a NUMA node"),
    **PORT_FILTER,
}

MOVE = ("move the HCA to a slot on its GPUs' CPU socket (see the platform's slot map), or fix the BIOS NUMA "
        "settings, and re-run")
FIX_PACK = "fix expected_pairs in the rule pack"
MOVE_BESIDE = ("move the HCA to a slot behind the same PCIe switch as its GPU (see the platform's slot map; "
               "`nvidia-smi topo -m` should show PIX), and re-run")
PATH_RANK = {"PIX": 0, "PXB": 1, "PHB": 2, "NODE": 3, "SYS": 4}
CLOSE_ENOUGH = "PIX or PXB to a GPU"
READ_GPU_NODE = "read the GPUs' NUMA affinity by hand (`nvidia-smi topo -m`) and re-run readycheck as root"


def check(facts, settings):
    gpus = facts["gpus"]
    if not gpus:
        yield no_gpus(ID, facts)
        return
    if not facts["infiniband"]:
        yield no_hca(ID, facts)
        return
    pairs, bad = {}, []
    for entry in settings["expected_pairs"]:
        match = re.fullmatch(r"\s*([^=\s]+)\s*=\s*(gpu\d+)\s*", entry)
        if match:
            pairs[match.group(1)] = match.group(2)
        else:
            bad.append(entry)
    if bad:
        yield Finding(ID, UNKNOWN, "host", bad, "<hca>=gpu<index>",
                      f"expected_pairs entries not of the form <hca>=gpu<index>: {', '.join(map(repr, bad))}", FIX_PACK)
        return
    by_subject = {gpu_subject(gpu): gpu for gpu in gpus}
    by_node: dict[int, list[str]] = {}
    for subject, gpu in by_subject.items():
        if gpu.get("numa_node") is not None:
            by_node.setdefault(gpu["numa_node"], []).append(subject)
    if not by_node:
        yield Finding(ID, UNKNOWN, "host", message="no GPU's NUMA node is known: "
                      + "; ".join(f"{gpu_subject(gpu)}: {missing(gpu, 'numa_node')}" for gpu in gpus),
                      remedy=READ_GPU_NODE)
        return
    for port in facts["infiniband"]:
        why = exclusion(port, settings)
        yield excluded(ID, port, why) if why else _judge(port, by_node, by_subject, pairs.get(port["device"]))


def _judge_paths(port, by_subject, partner):
    """The finding from the port's `gpu_paths`, or None when they cannot decide (absent, empty, no path to
    its own GPU): then the NUMA judgement stands."""
    paths = port.get("gpu_paths")
    if not isinstance(paths, dict):
        return None
    names = {pci_device(gpu.get("pci_bus_id")): subject for subject, gpu in by_subject.items()
             if gpu.get("pci_bus_id")}
    known = {names.get(pci_device(bus), bus): path for bus, path in paths.items() if path in PATH_RANK}
    subject = port_subject(port)
    if partner is not None:
        if partner not in known:
            return None
        path, closest, expected = known[partner], [partner], {partner: "PIX or PXB"}
        observed = {partner: path}
    else:
        if not known:
            return None
        path = min(known.values(), key=PATH_RANK.__getitem__)
        closest = sorted((name for name, p in known.items() if p == path), key=lambda n: (len(n), n))
        expected = CLOSE_ENOUGH
        observed = {"closest": path, "gpus": closest}
    to = " ".join(closest)
    if path in ("PIX", "PXB"):
        where = "behind the same PCIe switch" if path == "PIX" else "through PCIe switches, not the host bridge"
        return Finding(ID, PASS, subject, observed, expected, f"{path} to {to}: {where}")
    if path in ("PHB", "NODE"):
        return Finding(ID, WARN, subject, observed, expected,
                       f"{path} to {to}{'' if partner else ' at best'}: GPUDirect RDMA works but every transfer "
                       "crosses the host bridge" + ("" if path == "PHB" else " between root complexes"),
                       MOVE_BESIDE)
    return Finding(ID, FAIL, subject, observed, expected,
                   f"SYS to {to}{'' if partner else ' at best'}: the HCA is on another NUMA node than "
                   f"{'its GPU' if partner else 'every GPU'}", MOVE)


def _judge(port, by_node, by_subject, partner):
    by_path = _judge_paths(port, by_subject, partner)
    if by_path is not None:
        return by_path
    subject = port_subject(port)
    node = port.get("numa_node")
    if node is None:
        return Finding(ID, UNKNOWN, subject, message=missing(port, "numa_node"),
                       remedy=f"the firmware gives {port['device']} no NUMA node: enable NUMA (ACPI SRAT) reporting "
                              "in the BIOS, or read the slot's socket from the platform's slot map")
    if partner is None:
        local = by_node.get(node, [])
        observed = {"numa_node": node, "gpus": local}
        if not local:
            return Finding(ID, FAIL, subject, observed, "a NUMA node with GPUs",
                           f"NUMA node {node} has no GPU (GPUs are on NUMA node "
                           f"{', '.join(map(str, sorted(by_node)))})", MOVE)
        return Finding(ID, PASS, subject, observed, "a NUMA node with GPUs",
                       f"NUMA node {node}, with {' '.join(local)}")
    if partner not in by_subject:
        return Finding(ID, UNKNOWN, subject, message=f"expected_pairs pairs {port['device']} with {partner}, "
                       "which this node does not have", remedy=FIX_PACK)
    gpu_node = by_subject[partner].get("numa_node")
    observed = {"numa_node": node, partner: gpu_node}
    if gpu_node is None:
        return Finding(ID, UNKNOWN, subject, observed, {partner: node},
                       f"{partner}: {missing(by_subject[partner], 'numa_node')}", READ_GPU_NODE)
    if gpu_node != node:
        return Finding(ID, FAIL, subject, observed, {partner: node},
                       f"NUMA node {node}, its GPU {partner} is on NUMA node {gpu_node}", MOVE)
    return Finding(ID, PASS, subject, observed, {partner: node}, f"NUMA node {node}, with its GPU {partner}")
