"""Which subjects run which version: VBIOS per GPU model, firmware per HCA board."""

from __future__ import annotations

from collections.abc import Iterable

from readycheck.findings import listed


def versions_by(entries: Iterable[tuple[str, str, str]]) -> tuple[dict, dict]:
    """Group (key, version, subject) by key and version: (keys with several versions -> version ->
    subjects, keys with one version -> that version)."""
    groups: dict[str, dict[str, list[str]]] = {}
    for key, version, subject in entries:
        groups.setdefault(key, {}).setdefault(version, []).append(subject)
    mixed = {key: versions for key, versions in groups.items() if len(versions) > 1}
    uniform = {key: next(iter(versions)) for key, versions in groups.items() if len(versions) == 1}
    return mixed, uniform


def spread(versions: dict[str, list[str]]) -> str:
    """'96.00.74.00.0D on gpu0 gpu1, 96.00.99.00.01 on gpu2'."""
    return listed(f"{version} on {listed(subjects, sep=' ')}" for version, subjects in versions.items())
