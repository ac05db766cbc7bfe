"""Nodes built from real captures: the GPUs as `nvidia-smi -q` printed them, on the host side of a platform's
healthy node.

A capture shows the GPUs only; a node needs a host, a driver stack and a fabric too. `node(captures, pack)`
takes the healthy node of the pack's platform (factsbuilder.platform) and puts the captured GPUs on it: every
value the capture holds replaces the healthy node's, and what `nvidia-smi -q` does not print (NUMA node,
NVLink states, energy) stays the healthy node's. A capture of fewer GPUs than the platform holds (a VM's one
H200, four of an A100 board's eight) stands for every GPU of the board: GPU i takes the values of captured GPU
i mod n, keeping its own identity (index, UUID, serial, PCI bus id, NUMA node). A capture's known faults are
named by the test that clears them, never edited in the file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from factsbuilder import platform

from readycheck.facts import NOT_IN_SOURCE
from readycheck.importers import import_files

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
IDENTITY = ("index", "uuid", "serial", "pci_bus_id", "numa_node")


def node(captures: list[str], pack: str, gpus: int | None = None) -> dict[str, Any]:
    """The healthy `pack` node carrying the GPUs of `captures` (files in tests/data/captures); `gpus` keeps
    only the first so many of them (a 4-GPU workstation from an 8-GPU capture)."""
    facts = import_files([CAPTURES / name for name in captures])
    imported = [gpu for gpu in facts["gpus"] if gpu.get("name")]  # a `topo -m` alone names no GPU
    if gpus is not None:
        imported = imported[:gpus]
    snapshot = platform(pack)
    if gpus is not None:
        del snapshot["gpus"][gpus:]
        snapshot["topology"] = [t for t in snapshot["topology"] if t["gpu_b"] < gpus]
    for gpu in snapshot["gpus"]:
        captured = imported[gpu["index"] % len(imported)]
        for field, value in captured.items():
            if field in IDENTITY or field == "unavailable":
                continue
            if value is not None:
                gpu[field] = copy.deepcopy(value)
                gpu["unavailable"].pop(field, None)
            elif captured["unavailable"].get(field) != NOT_IN_SOURCE:
                gpu[field] = None
                gpu["unavailable"][field] = captured["unavailable"][field]
    if facts["topology"] and any(pair.get("link") for pair in facts["topology"]):
        snapshot["topology"] = [{k: v for k, v in pair.items() if k != "unavailable"} for pair in facts["topology"]]
    return snapshot


def blocking(result) -> set[tuple[str, str]]:
    return {(f.check, f.subject) for f in result.findings if f.blocks_readiness}
