"""Terminal summary: verdict first, then what needs a technician, then counts; fits one screen."""

from __future__ import annotations

import click

from readycheck.findings import READY
from readycheck.report import Report, attention_first

MAX_LISTED = 25
COLOURS = {"fail": "red", "error": "red", "unknown": "magenta", "warn": "yellow", "skip": "blue", "pass": "green"}


def _value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def render(report: Report, colour: bool = False) -> str:
    def paint(text: str, status: str) -> str:
        return click.style(text, fg=COLOURS[status], bold=status in ("fail", "error")) if colour else text

    lines: list[str] = []
    for node in report.nodes:
        word = "READY" if node.verdict == READY else "NOT READY"
        lines.append(paint(f"{node.node}: {word}", "pass" if node.verdict == READY else "fail"))
        lines.append(f"  rules: {node.pack.name} ({node.pack.reason or 'chosen with --rules'}), "
                     f"sha256 {node.pack.content_hash[:12]}")
        shown = [f for f in attention_first(node.findings) if f.status != "skip"]
        for item in shown[:MAX_LISTED]:
            optional = "" if item.required or item.status != "unknown" else " (optional)"
            lines.append(f"  {paint(item.status.upper().ljust(7), item.status)} {item.check} {item.subject}: "
                         f"{item.message}{optional}")
            if item.observed is not None or item.expected is not None:
                lines.append(f"          observed {_value(item.observed)}; expected {_value(item.expected)}")
            if item.remedy:
                lines.append(f"          -> {item.remedy}")
        if len(shown) > MAX_LISTED:
            lines.append(f"  ... {len(shown) - MAX_LISTED} more (see --format json or md)")
        counts = node.counts()
        lines.append("  " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
        idle = "load" not in {f.check.split(".")[0] for f in node.findings}
        if idle:
            lines.append("  judged at idle only (no load phase ran)")
    if len(report.nodes) > 1:
        summary = report.summary()
        lines.append(f"{summary['ready']} of {summary['nodes']} nodes ready")
    return "\n".join(lines) + "\n"
