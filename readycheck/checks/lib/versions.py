"""Which subjects run which version: VBIOS per GPU model, firmware per HCA board."""

from __future__ import annotations

from collections.abc import Iterable

from readycheck.checks.lib.unread import missing
from readycheck.facts.versions import fault
from readycheck.findings import FAIL, UNKNOWN, Finding, listed


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


def disagreement(check_id: str, mixed: dict, unread: dict[str, str], expected: str, remedy: str,
                 unread_remedy: str) -> Finding | None:
    """The host finding when versions read already differ (fail, naming the unread ones too) or some are
    unread (unknown); None when every version was read and each key runs one."""
    unread_words = listed((f"{subject}: {why}" for subject, why in unread.items()), sep="; ")
    if mixed:  # the versions read already differ: a fault, whatever the unread ones run
        return Finding(check_id, FAIL, "host", mixed, expected,
                       listed((f"{key}: {spread(versions)}" for key, versions in mixed.items()), sep="; ")
                       + (f" (also unread: {unread_words})" if unread else ""), remedy)
    if unread:
        return Finding(check_id, UNKNOWN, "host", observed=list(unread), message=unread_words, remedy=unread_remedy)
    return None


def unreadable(obj: dict, field: str) -> str:
    """Why `obj[field]` cannot be compared as a version ("driver_version unavailable (Timeout)", or
    "driver_version '...' is not a dotted version number ..."); "" when it can."""
    if obj.get(field) is None:
        return missing(obj, field)
    problem = fault(obj[field])
    return f"{field} {problem}" if problem else ""
