"""Why a value is missing, in words for a finding: the one place checks read `unavailable` maps and
`probe_errors`, so every check words an unread value the same way and none mistakes it for zero."""

from __future__ import annotations

from typing import Any

from readycheck.facts import NOT_SUPPORTED

READ_BY_HAND = "read the value by hand (nvidia-smi -q) and re-run readycheck as root"
NOT_COLLECTED = "not collected"


def reason(obj: dict[str, Any] | None, field: str, default: str | None = NOT_COLLECTED) -> str | None:
    """The reason word `obj`'s `unavailable` map gives for `field` (dotted sub-fields such as
    `fabricmanager.version` are keyed whole), or `default`."""
    return ((obj or {}).get("unavailable") or {}).get(field, default)


def missing(obj: dict[str, Any] | None, *fields: str) -> str:
    """Why the first of `fields` that is null in `obj` could not be read ("power_draw_w unavailable
    (NotSupported)"), or "" when all were read."""
    if obj is None:
        return NOT_COLLECTED
    for name in fields:
        if obj.get(name) is None:
            return f"{name} unavailable ({reason(obj, name)})"
    return ""


def lacks(obj: dict[str, Any], field: str) -> bool:
    """The device said it does not have the feature behind `field` at all (NotSupported)."""
    return obj.get(field) is None and reason(obj, field) == NOT_SUPPORTED


def probe_failure(facts: dict[str, Any], probe: str) -> str:
    """The error of `probe` as a whole (its list in the facts is then empty because it was not read,
    not because there is nothing), or "" when it ran."""
    return next((item["error"] for item in facts.get("probe_errors") or [] if item.get("probe") == probe), "")


def bmc_failure(facts: dict[str, Any]) -> str:
    """Why the BMC named with --bmc (or found in SMBIOS) could not be read, in its own sentence; "" when it
    was read or none was asked."""
    return (facts.get("bmc") or {}).get("error") or ""
