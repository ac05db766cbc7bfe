"""Shapes shared by many checks, so each check module holds only its own judgement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from readycheck.findings import SKIP, UNKNOWN, Finding, gpu_subject, missing_reason

READ_BY_HAND = "read the value by hand (nvidia-smi -q) and re-run readycheck as root"


def no_gpus(check_id: str, facts: dict[str, Any]) -> Finding:
    """The finding for a per-GPU check on a node where no GPU was read."""
    nvidia = facts["nvidia"]
    why = "no GPU in the facts"
    if not nvidia.get("nvml_available"):
        why += f" (NVML not available: {nvidia.get('nvml_error') or 'unknown reason'})"
    return Finding(check_id, UNKNOWN, "host", message=why,
                   remedy="fix the driver first (see nvml.available), then re-run")


def per_gpu(check_id: str, facts: dict[str, Any], fields: tuple[str, ...],
            judge: Callable[[dict[str, Any]], Finding]) -> Iterator[Finding]:
    """One finding per GPU: `unknown` naming the first missing field, else `judge(gpu)`."""
    if not facts["gpus"]:
        yield no_gpus(check_id, facts)
        return
    for gpu in facts["gpus"]:
        why = missing_reason(gpu, *fields)
        if why:
            yield Finding(check_id, UNKNOWN, gpu_subject(gpu), message=why, remedy=READ_BY_HAND)
        else:
            yield judge(gpu)


def not_configured(check_id: str, setting: str) -> Finding:
    """The pack gives this check nothing to compare against: said plainly, never a pass."""
    return Finding(check_id, SKIP, "host", message=f"the rule pack sets no '{setting}' for this check",
                   remedy=f"set [checks.\"{check_id}\"] {setting} in the rule pack to enable it")
