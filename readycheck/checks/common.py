"""Shapes shared by many checks, so each check module holds only its own judgement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


def per_rack(check_id: str, fleet: Any, judge: Callable[[Any], Finding]) -> Iterator[Finding]:
    """For the rack checks: one finding per rack from `judge(rack_budget)`, and what stops it.

    Without a site file every node gets a `skip` saying so; a node whose hostname no rack's globs
    match is `unknown` (its rack's budget cannot include it); a rack with a node whose worst case
    is unknown is `unknown`, naming it."""
    if fleet.site is None:
        for n in fleet.nodes:
            yield Finding(check_id, SKIP, "host", node=n.node, message="no --site given: rack budgets not judged",
                          remedy="pass --site FILE with the racks' feeds and cooling")
        return
    for n in fleet.nodes:
        if n.rack is None:
            yield Finding(check_id, UNKNOWN, "host", node=n.node,
                          message=f"hostname {n.node} matches no rack in {fleet.site.path}",
                          remedy="add the node to its rack's `nodes` globs in the site file")
    for rack in fleet.racks:
        if rack.worst_case_kw is None:
            yield Finding(check_id, UNKNOWN, f"rack:{rack.name}", message="; ".join(rack.notes),
                          remedy="collect the missing power limits (run readycheck as root on those nodes)")
        else:
            yield judge(rack)


def versions_by(entries: Iterable[tuple[str, str, str]]) -> tuple[dict, dict]:
    """Group (key, version, subject) by key and version: (keys with several versions -> version ->
    subjects, keys with one version -> that version). VBIOS per GPU model, firmware per board id."""
    groups: dict[str, dict[str, list[str]]] = {}
    for key, version, subject in entries:
        groups.setdefault(key, {}).setdefault(version, []).append(subject)
    mixed = {key: versions for key, versions in groups.items() if len(versions) > 1}
    uniform = {key: next(iter(versions)) for key, versions in groups.items() if len(versions) == 1}
    return mixed, uniform


def spread(versions: dict[str, list[str]]) -> str:
    """Which subjects run which version: '96.00.74.00.0D on gpu0 gpu1, 96.00.99.00.01 on gpu2'."""
    return ", ".join(f"{version} on {' '.join(subjects)}" for version, subjects in versions.items())


def contains(text: str | None, pattern: str) -> bool:
    """Whether `pattern` occurs in `text`, case ignored: how model names are matched (a null text never)."""
    return text is not None and pattern.casefold() in text.casefold()
