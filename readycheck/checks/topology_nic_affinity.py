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
ib.ports, by HCA name and by the pack's [platform] `compute_link_layer` (each
gets a `skip`); a node with no HCA is skipped (ib.ports judges
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

A NUMA node that could not be read (NotSupported included) is `unknown`. MIG does not
change where a GPU sits.
"""

from __future__ import annotations

import re

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import PORT_FILTER, compute_layer, excluded, exclusion, no_hca
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.unread import missing
from readycheck.facts.decode import pci_device
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject, listed, port_subject

ID = "topology.nic_affinity"
SETTINGS = {
    "expected_pairs": Setting("list[str]", [], "the GPU each HCA serves, \"<hca>=gpu<index>\" "
                                               "(e.g. [\"mlx5_0=gpu0\"]): they must share a NUMA node"),
    **PORT_FILTER,
}
NEEDS = ("platform",)

MOVE = ("move the HCA to a slot on its GPUs' CPU socket (see the platform's slot map), or fix the BIOS NUMA "
        "settings, and re-run")
MOVE_BESIDE = ("move the HCA to a slot behind the same PCIe switch as its GPU (see the platform's slot map; "
               "`nvidia-smi topo -m` should show PIX), and re-run")
READ_GPU_NODE = "read the GPUs' NUMA affinity by hand (`nvidia-smi topo -m`) and re-run readycheck as root"
PAIR = re.compile(r"\s*([^=\s]+)\s*=\s*(gpu\d+)\s*")
# PCIe path from the HCA to its GPU (nvidia-smi topo -m words, nearest first) -> status and what it means.
PATHS = {
    "PIX": (PASS, "behind the same PCIe switch"),
    "PXB": (PASS, "through PCIe switches, not the host bridge"),
    "PHB": (WARN, "GPUDirect RDMA works but every transfer crosses the host bridge"),
    "NODE": (WARN, "GPUDirect RDMA works but every transfer crosses the host bridge between root complexes"),
    "SYS": (FAIL, "the HCA is on another NUMA node"),
}


def validate(settings):
    """A pairing that is not `<hca>=gpu<index>` is a mistake in the pack: refused when the pack loads."""
    bad = [entry for entry in settings["expected_pairs"] if not PAIR.fullmatch(entry)]
    if bad:
        raise ValueError(f"expected_pairs entries must read <hca>=gpu<index>, not {', '.join(map(repr, bad))}")


def check(facts, settings, platform=None):
    gpus = facts["gpus"]
    if not gpus:
        yield no_gpus(ID, facts)
        return
    if not facts["infiniband"]:
        yield no_hca(ID, facts)
        return
    pairs = dict(PAIR.fullmatch(entry).groups() for entry in settings["expected_pairs"])
    by_subject = {gpu_subject(gpu): gpu for gpu in gpus}
    by_node: dict[int, list[str]] = {}
    for subject, gpu in by_subject.items():
        if gpu.get("numa_node") is not None:
            by_node.setdefault(gpu["numa_node"], []).append(subject)
    if not by_node:
        yield Finding(ID, UNKNOWN, "host", message="no GPU's NUMA node is known: "
                      + listed((f"{gpu_subject(gpu)}: {missing(gpu, 'numa_node')}" for gpu in gpus), sep="; "),
                      remedy=READ_GPU_NODE)
        return
    by_device = {pci_device(gpu.get("pci_bus_id")): subject for subject, gpu in by_subject.items()}
    for port in facts["infiniband"]:
        why = exclusion(port, settings, compute_layer(platform))
        partner = pairs.get(port["device"])
        yield excluded(ID, port, why) if why else (_by_path(port, by_device, partner)
                                                   or _by_numa(port, by_node, by_subject, partner))


def _by_path(port, by_device, partner):
    """The finding from the port's `gpu_paths` (`by_device`: GPU subject by PCI device), or None when they
    cannot decide (absent, empty, no path to its own GPU): then the NUMA judgement stands."""
    paths = port.get("gpu_paths")
    if not isinstance(paths, dict):
        return None
    known = {by_device.get(pci_device(bus), bus): path for bus, path in paths.items() if path in PATHS}
    if partner is not None:
        if partner not in known:
            return None
        path, closest = known[partner], [partner]
        expected, observed = {partner: "PIX or PXB"}, {partner: path}
    elif known:
        path = min(known.values(), key=list(PATHS).index)
        closest = sorted((name for name, p in known.items() if p == path), key=lambda n: (len(n), n))
        expected, observed = "PIX or PXB to a GPU", {"closest": path, "gpus": closest}
    else:
        return None
    status, meaning = PATHS[path]
    best = " at best" if partner is None and status != PASS else ""
    remedy = {PASS: "", WARN: MOVE_BESIDE, FAIL: MOVE}[status]
    return Finding(ID, status, port_subject(port), observed, expected, f"{path} to {' '.join(closest)}{best}: "
                   f"{meaning}{' than ' + ('its GPU' if partner else 'every GPU') if status == FAIL else ''}", remedy)


def _by_numa(port, by_node, by_subject, partner):
    """The HCA's NUMA node against its GPU's (with `expected_pairs`) or against every GPU's."""
    subject, node = port_subject(port), port.get("numa_node")
    if node is None:
        return Finding(ID, UNKNOWN, subject, message=missing(port, "numa_node"),
                       remedy=f"the firmware gives {port['device']} no NUMA node: enable NUMA (ACPI SRAT) reporting "
                              "in the BIOS, or read the slot's socket from the platform's slot map")
    if partner is None:
        local = by_node.get(node, [])
        observed, expected = {"numa_node": node, "gpus": local}, "a NUMA node with GPUs"
        if local:
            return Finding(ID, PASS, subject, observed, expected, f"NUMA node {node}, with {' '.join(local)}")
        return Finding(ID, FAIL, subject, observed, expected, f"NUMA node {node} has no GPU (GPUs are on NUMA node "
                       f"{', '.join(map(str, sorted(by_node)))})", MOVE)
    if partner not in by_subject:
        return Finding(ID, UNKNOWN, subject, message=f"expected_pairs pairs {port['device']} with {partner}, "
                       "which this node does not have", remedy="fix expected_pairs in the rule pack")
    gpu_node = by_subject[partner].get("numa_node")
    observed, expected = {"numa_node": node, partner: gpu_node}, {partner: node}
    if gpu_node is None:
        return Finding(ID, UNKNOWN, subject, observed, expected,
                       f"{partner}: {missing(by_subject[partner], 'numa_node')}", READ_GPU_NODE)
    if gpu_node != node:
        return Finding(ID, FAIL, subject, observed, expected,
                       f"NUMA node {node}, its GPU {partner} is on NUMA node {gpu_node}", MOVE)
    return Finding(ID, PASS, subject, observed, expected, f"NUMA node {node}, with its GPU {partner}")
