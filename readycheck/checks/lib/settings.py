"""A rule pack that gives a check nothing to compare against: said plainly, never a pass."""

from __future__ import annotations

from readycheck.findings import SKIP, Finding


def not_configured(check_id: str, setting: str) -> Finding:
    return Finding(check_id, SKIP, "host", message=f"the rule pack sets no '{setting}' for this check",
                   remedy=f"set [checks.\"{check_id}\"] {setting} in the rule pack to enable it")
