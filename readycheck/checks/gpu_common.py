"""Shapes shared by the GPU checks for features some GPUs do not have at all (ECC, MIG, page retirement).

NVML answers `NotSupported` for a feature the GPU lacks (ECC on GeForce, MIG
before Ampere, retired pages on HBM GPUs that remap rows instead). That is a
fact about the model, not a failed read: such a GPU gets `skip`, never
`unknown` and never `pass`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from readycheck.checks.common import no_gpus, per_gpu
from readycheck.findings import SKIP, UNKNOWN, Finding, gpu_subject

NOT_SUPPORTED = "NotSupported"


def unavailable_reason(gpu: dict[str, Any], field: str) -> str:
    """The reason the GPU's `unavailable` map gives for `field`, or "not collected"."""
    return (gpu.get("unavailable") or {}).get(field, "not collected")


def lacks(gpu: dict[str, Any], field: str) -> bool:
    """NVML said the GPU does not have the feature behind `field` at all."""
    return gpu.get(field) is None and unavailable_reason(gpu, field) == NOT_SUPPORTED


def skip_unsupported(check_id: str, gpu: dict[str, Any], field: str) -> Finding:
    return Finding(check_id, SKIP, gpu_subject(gpu),
                   message=f"{gpu.get('name') or 'this GPU'} does not support {field} ({NOT_SUPPORTED})")


def per_gpu_feature(check_id: str, facts: dict[str, Any], fields: tuple[str, ...],
                    judge: Callable[[dict[str, Any]], Finding],
                    lacking: Callable[[dict[str, Any]], Finding] | None = None) -> Iterator[Finding]:
    """`per_gpu` for a feature some GPUs lack: where `fields[0]` is NotSupported the GPU gets
    `lacking(gpu)` (by default a `skip` that says so) instead of `unknown`."""
    if not facts["gpus"]:
        yield no_gpus(check_id, facts)
        return
    for gpu in facts["gpus"]:
        if lacks(gpu, fields[0]):
            yield lacking(gpu) if lacking else skip_unsupported(check_id, gpu, fields[0])
        else:
            yield from per_gpu(check_id, {**facts, "gpus": [gpu]}, fields, judge)


def counters_unread(check_id: str, gpu: dict[str, Any], group: str, remedy: str) -> Finding:
    """A GPU whose `group` counters (`ecc_errors`, `retired_pages`) are null or incomplete:
    `skip` where NVML says the GPU has no such counters, else `unknown` with the reason."""
    reason = unavailable_reason(gpu, group)
    if reason == NOT_SUPPORTED:
        return skip_unsupported(check_id, gpu, group)
    return Finding(check_id, UNKNOWN, gpu_subject(gpu), observed=gpu.get(group),
                   message=f"{group} unavailable ({reason})", remedy=remedy)
