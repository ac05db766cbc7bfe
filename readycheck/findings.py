"""Findings: what a check says about one subject (the engine decides what they add up to).

A finding is immutable and self-contained (flake8's Violation is the model):
reporters format it, nothing downstream recomputes it. Subjects are `host`,
`gpu<index>`, `<hca>/<port>` and `rack:<name>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

PASS = "pass"
WARN = "warn"
FAIL = "fail"
UNKNOWN = "unknown"
SKIP = "skip"
ERROR = "error"
STATUSES = (FAIL, ERROR, UNKNOWN, WARN, SKIP, PASS)  # worst first: the order reports list them in

READY = "ready"
NOT_READY = "not-ready"


class Finding(NamedTuple):
    check: str
    status: str
    subject: str
    observed: Any = None
    expected: Any = None
    message: str = ""
    remedy: str = ""
    node: str = ""
    required: bool = True

    def as_dict(self) -> dict[str, Any]:
        return self._asdict()

    @property
    def blocks_readiness(self) -> bool:
        """Fail and error always block; unknown blocks when the check is required by the pack."""
        return self.status in (FAIL, ERROR) or (self.status == UNKNOWN and self.required)


def worst_first(findings) -> list[Finding]:
    """Findings sorted worst status first (fail, error, unknown, warn, skip, pass), in their order within."""
    return sorted(findings, key=lambda f: _RANK[f.status])


_RANK = {status: rank for rank, status in enumerate(STATUSES)}


LISTED = 10  # what a finding names of a list before it counts the rest


def listed(items: Iterable[Any], sep: str = ", ") -> str:
    """Items in words, the first LISTED and how many more ("a, b, c and 40 more"): a finding stays
    short however many GPUs, ports, drives or events a node has."""
    items = list(items)
    shown = sep.join(map(str, items[:LISTED]))
    return shown if len(items) <= LISTED else f"{shown} and {len(items) - LISTED} more"


def gpu_subject(gpu: dict[str, Any]) -> str:
    """`gpu3`; a GPU whose index was not read (an imported `nvidia-smi -q -i N` of one GPU of many) by
    its PCI bus id, `gpu@00000000:5D:00.0` (or UUID), so its findings never land on another GPU's."""
    if gpu.get("index") is not None:
        return f"gpu{gpu['index']}"
    return f"gpu@{gpu.get('pci_bus_id') or gpu.get('uuid') or '?'}"


def nvidia_smi_id(gpu: dict[str, Any]) -> str:
    """What `nvidia-smi -i` takes for this GPU in a remedy: its index, else its bus id or UUID."""
    return str(gpu["index"]) if gpu.get("index") is not None else gpu_subject(gpu)[len("gpu@"):]


def port_subject(port: dict[str, Any]) -> str:
    return f"{port['device']}/{port['port']}"


def pair_subject(pair: dict[str, Any]) -> str:
    """A GPU pair of a --perf peer-to-peer test: `gpuA-gpuB` with A < B."""
    a, b = sorted((pair["gpu_a"], pair["gpu_b"]))
    return f"gpu{a}-gpu{b}"

