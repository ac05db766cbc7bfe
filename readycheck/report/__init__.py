"""Reporters: each turns judged nodes into one format. They format; they never decide a verdict.

`FORMATS` maps a `--format` name to the module that renders it and the file
extension it is written with; every module has `render(report) -> str`.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TextIO

from readycheck import __version__
from readycheck.budget import RackBudget
from readycheck.engine import NodeResult, findings_by_rack, fleet_verdict
from readycheck.findings import NOT_READY, READY, STATUSES, Finding

FORMATS: dict[str, tuple[str, str]] = {
    "text": ("readycheck.report.text", "txt"),
    "json": ("readycheck.report.json_report", "json"),
    "md": ("readycheck.report.markdown", "md"),
    "html": ("readycheck.report.html", "html"),
    "junit": ("readycheck.report.junit", "xml"),
    "prom": ("readycheck.report.prom", "prom"),
}


@dataclass
class Report:
    """The judged nodes of one run, with the run-wide verdict the engine decided."""

    nodes: list[NodeResult]
    fail_on: str = "fail"
    tool_version: str = __version__
    racks: list[RackBudget] = field(default_factory=list)
    rack_findings: list[Finding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return fleet_verdict(self.nodes, self.rack_findings, self.fail_on)

    @property
    def findings(self) -> list[Finding]:
        """Every finding: each node's, then the racks'."""
        return [f for node in self.nodes for f in node.findings] + self.rack_findings

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for f in self.findings if f.status == status) for status in STATUSES}

    @functools.cached_property
    def _by_rack(self) -> dict[str, list[Finding]]:
        return findings_by_rack(self.rack_findings)

    def node_findings(self, node: NodeResult) -> list[Finding]:
        """A node's own findings and those of its rack, which decide its verdict too."""
        return node.findings + self._by_rack.get(node.rack, [])

    def summary(self) -> dict[str, Any]:
        return {
            "nodes": len(self.nodes),
            "ready": sum(1 for n in self.nodes if n.verdict == READY),
            "not_ready": sum(1 for n in self.nodes if n.verdict == NOT_READY),
            "findings": self.counts(),
        }


def attention_first(findings: list[Finding]) -> list[Finding]:
    """Findings that are not pass, worst first (fail, error, unknown, warn, skip), in check order within."""
    order = {status: rank for rank, status in enumerate(STATUSES)}
    return sorted((f for f in findings if f.status != "pass"), key=lambda f: order[f.status])


def plain(value: Any) -> str:
    """An observed or expected value in words: `a=1, b=2` for a mapping, `x, y` for a list."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def collected_at(facts: dict[str, Any]) -> datetime | None:
    """When the facts were collected, in UTC; None when the snapshot does not say in ISO 8601."""
    try:
        when = datetime.fromisoformat(str(facts.get("collected_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def render(report: Report, fmt: str) -> str:
    return importlib.import_module(FORMATS[fmt][0]).render(report)


def write(report: Report, fmt: str, stream: TextIO) -> None:
    """Write one format to a stream; formats that can stream (JSON) never build the whole text."""
    module = importlib.import_module(FORMATS[fmt][0])
    if hasattr(module, "write"):
        module.write(report, stream)
    else:
        stream.write(module.render(report))
