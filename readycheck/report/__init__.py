"""Reporters: each turns judged nodes into one format. They format; they never decide a verdict.

`FORMATS` maps a `--format` name to the module that renders it and the file
extension it is written with; every module has `render(report) -> str`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from readycheck import __version__
from readycheck.budget import RackBudget
from readycheck.engine import NodeResult
from readycheck.findings import NOT_READY, READY, STATUSES, Finding

FORMATS: dict[str, tuple[str, str]] = {
    "text": ("readycheck.report.text", "txt"),
    "json": ("readycheck.report.json_report", "json"),
    "md": ("readycheck.report.markdown", "md"),
}


@dataclass
class Report:
    """The judged nodes of one run, with the run-wide verdict the engine decided."""

    nodes: list[NodeResult]
    fail_on: str = "fail"
    tool_version: str = __version__
    racks: list[RackBudget] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return READY if all(n.verdict == READY for n in self.nodes) else NOT_READY

    @property
    def findings(self) -> list[Finding]:
        return [f for node in self.nodes for f in node.findings]

    def counts(self) -> dict[str, int]:
        return {status: sum(node.counts()[status] for node in self.nodes) for status in STATUSES}

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


def render(report: Report, fmt: str) -> str:
    return importlib.import_module(FORMATS[fmt][0]).render(report)
