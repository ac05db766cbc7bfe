"""One finding per GPU, and GPUs that lack a feature.

A per-GPU check on a node where no GPU was read says so (`unknown`); a GPU whose field is unread is
`unknown` naming the field and reason. NVML answers `NotSupported` for a feature the GPU lacks (ECC on
GeForce, MIG before Ampere, retired pages on HBM GPUs that remap rows instead): such a GPU gets
`skip` where the pack does not say the platform has the feature, and `unknown` where it does
(`readycheck.checks.lib.expects`); never `pass`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from readycheck.checks.lib import expects
from readycheck.checks.lib.unread import READ_BY_HAND, lacks, missing, reason
from readycheck.facts import NOT_SUPPORTED
from readycheck.findings import SKIP, UNKNOWN, Finding, gpu_subject


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
        why = missing(gpu, *fields)
        if why:
            yield Finding(check_id, UNKNOWN, gpu_subject(gpu), message=why, remedy=READ_BY_HAND)
        else:
            yield judge(gpu)


def skip_unsupported(check_id: str, gpu: dict[str, Any], field: str) -> Finding:
    return Finding(check_id, SKIP, gpu_subject(gpu),
                   message=f"{gpu.get('name') or 'this GPU'} does not support {field} ({NOT_SUPPORTED})")


def unsupported(check_id: str, gpu: dict[str, Any], field: str, features: frozenset[str] | None,
                remedy: str = READ_BY_HAND) -> Finding:
    """A GPU whose `field` is NotSupported: `skip` where the pack does not say the platform has the feature
    behind it, `unknown` where it does (then the answer hides what the platform has)."""
    feature = expects.feature_of(field)
    if feature is None or not expects.has(features, feature):
        return skip_unsupported(check_id, gpu, field)
    return Finding(check_id, UNKNOWN, gpu_subject(gpu), message=f"{field} unavailable ({NOT_SUPPORTED}), but the "
                   f"platform's GPUs have {expects.WORDS[feature]} (the rule pack says so)", remedy=remedy)


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


def counters_unread(check_id: str, gpu: dict[str, Any], group: str, remedy: str,
                    features: frozenset[str] | None) -> Finding:
    """A GPU whose `group` counters (`ecc_errors`, `retired_pages`) are null or incomplete: as
    `unsupported` where NVML says the GPU has no such counters, else `unknown` with the reason."""
    why = reason(gpu, group)
    if why == NOT_SUPPORTED and gpu.get(group) is None:
        return unsupported(check_id, gpu, group, features, remedy)
    return Finding(check_id, UNKNOWN, gpu_subject(gpu), observed=gpu.get(group),
                   message=f"{group} unavailable ({why})", remedy=remedy)


def contains(text: str | None, pattern: str) -> bool:
    """Whether `pattern` occurs in `text`, case ignored: how model names are matched (a null text never)."""
    return text is not None and pattern.casefold() in text.casefold()
