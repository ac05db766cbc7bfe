"""The engine: runs a resolved rule pack's checks over one snapshot and decides the verdict.

Checks only describe; the engine applies the pack's policy to what they say:
`severity = "warn"` turns a check's failures into warnings, `required = false`
keeps its `unknown` results from blocking readiness, and a check that raises
becomes an `error` finding (the node is then not ready) while the others
still run. Reporters receive the result and never recompute it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from readycheck import checks
from readycheck.findings import ERROR, FAIL, STATUSES, WARN, Finding, verdict
from readycheck.rulepack import Pack

POLICY_KEYS = ("enabled", "required", "severity")


@dataclass
class NodeResult:
    """Everything a report says about one node: its facts, the pack, the findings, the verdict."""

    node: str
    facts: dict[str, Any]
    pack: Pack
    findings: list[Finding] = field(default_factory=list)
    verdict: str = ""

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for f in self.findings if f.status == status) for status in STATUSES}


def node_name(snapshot: dict[str, Any]) -> str:
    return snapshot.get("host", {}).get("hostname") or "unknown-host"


def run_check(check_id: str, snapshot: dict[str, Any], table: dict[str, Any], node: str) -> list[Finding]:
    """One check under the pack's policy; a check that raises becomes a single `error` finding."""
    settings = {key: value for key, value in table.items() if key not in POLICY_KEYS}
    required = table["required"]
    try:
        found = list(checks.load(check_id).check(snapshot, settings))
    except Exception as exc:  # a bug in one check must not hide the other checks' results
        return [Finding(check_id, ERROR, "host", message=f"check raised {type(exc).__name__}: {exc}",
                        remedy="report this readycheck bug with the snapshot; judge this check by hand",
                        node=node, required=required)]
    if not found:
        return [Finding(check_id, ERROR, "host", message="check produced no finding",
                        remedy="report this readycheck bug with the snapshot", node=node, required=required)]
    downgrade = table["severity"] == WARN
    return [item._replace(node=node, required=required,
                          status=WARN if downgrade and item.status == FAIL else item.status)
            for item in found]


def judge(snapshot: dict[str, Any], pack: Pack, fail_on: str = FAIL) -> NodeResult:
    node = node_name(snapshot)
    result = NodeResult(node=node, facts=snapshot, pack=pack)
    for check_id in pack.enabled():
        result.findings.extend(run_check(check_id, snapshot, pack.checks[check_id], node))
    result.verdict = verdict(result.findings, fail_on)
    return result
