"""Terminal summary: verdict first, then what needs a technician, then counts; fits one screen.

Colour only when the caller says the output is a terminal, and never when `NO_COLOR` is set
to anything but the empty string (https://no-color.org).
"""

from __future__ import annotations

import os

from readycheck.engine import Report
from readycheck.findings import READY, Finding, listed
from readycheck.report import attention_first, needs_attention, plain, printable
from readycheck.report.perf import summary as perf_summary

MAX_LISTED = 25
# ANSI SGR colour codes (red, magenta, yellow, blue, green) written as click.style writes them, without
# importing click: a plain `scan` (readycheck/entry.py) prints this summary and never loads it.
COLOURS = {"fail": 31, "error": 31, "unknown": 35, "warn": 33, "skip": 34, "pass": 32}


def safe(text: str) -> str:
    """No control character reaches the terminal (cursor moves, colours, a retitled window): shown escaped."""
    return printable(text, one_line=True)


def _group(findings) -> list[tuple[tuple, list[Finding]]]:
    """Fold findings that say the same thing (eight GPUs with the same fault, a dozen checks
    waiting on a missing driver) into one entry, so the summary fits a screen."""
    groups: dict[tuple, list[Finding]] = {}
    for item in findings:
        key = (item.status, item.message, item.remedy, plain(item.observed), plain(item.expected))
        groups.setdefault(key, []).append(item)
    return list(groups.items())


def _attention(node) -> list[tuple[tuple, list[Finding]]]:
    """What a technician must look at on this node (skips are in the counts only), grouped."""
    return _group(needs_attention(node.decision.findings))


def render(report: Report, colour: bool = False) -> str:
    """`colour`: the output goes to a terminal (the CLI passes `isatty()`); `NO_COLOR` overrides it."""
    colour = colour and not os.environ.get("NO_COLOR")

    def paint(text: str, status: str) -> str:
        text = safe(text)
        if not colour:
            return text
        bold = "\033[1m" if status in ("fail", "error") else ""
        return f"\033[{COLOURS[status]}m{bold}{text}\033[0m"

    lines: list[str] = []
    fleet = len(report.nodes) > 1
    quiet = [n for n in report.nodes if n.verdict == READY and not _attention(n)]
    quiet_ids = {id(n) for n in quiet}
    for node in report.nodes:
        if fleet and id(node) in quiet_ids:
            continue
        word = "READY" if node.verdict == READY else "NOT READY"
        lines.append(paint(f"{node.node}: {word}", "pass" if node.verdict == READY else "fail"))
        lines.append(safe(f"  rules: {node.pack.name} ({node.pack.reason or 'chosen with --rules'}), "
                          f"sha256 {node.pack.content_hash[:12]}"))
        groups = _attention(node)
        for (status, message, remedy, observed, expected), items in groups[:MAX_LISTED]:
            checks = ", ".join(dict.fromkeys(f.check for f in items))
            subjects = listed(dict.fromkeys(f.subject for f in items))
            optional = " (optional)" if status == "unknown" and not any(f.required for f in items) else ""
            lines.append(f"  {paint(status.upper().ljust(7), status)} {safe(f'{checks} {subjects}: {message}')}"
                         f"{optional}")
            if observed != "None" or expected != "None":
                lines.append(safe(f"          observed {observed}; expected {expected}"))
            if remedy:
                lines.append(safe(f"          -> {remedy}"))
        if len(groups) > MAX_LISTED:
            lines.append(f"  ... {len(groups) - MAX_LISTED} more (see --format json or md)")
        counts = node.decision.counts
        lines.append("  " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
        lines.append(safe(f"  {node.load_words}"))
        perf = perf_summary(node.load_facts()) if node.perf_run else None
        if perf:
            lines.append(safe(f"  {perf}"))
    for rack in report.racks:
        worst = attention_first(report.about_rack(rack.name))
        status = worst[0].status if worst else "pass"
        used = "unknown" if rack.worst_case_kw is None else (
            f"{rack.worst_case_kw:.1f} of {rack.budget_kw:.1f} kW ({rack.used_fraction:.0%})")
        lines.append(paint(f"rack {rack.name}: {used}{', projected' if rack.projected else ''}", status))
        for finding in worst:
            described = safe(f"{finding.check} {finding.subject}: {finding.message}")
            lines.append(f"  {paint(finding.status.upper().ljust(7), finding.status)} {described}")
            if finding.remedy:
                lines.append(safe(f"          -> {finding.remedy}"))
    if fleet:
        if quiet:
            names = ", ".join(n.node for n in quiet[:MAX_LISTED])
            more = f" and {len(quiet) - MAX_LISTED} more" if len(quiet) > MAX_LISTED else ""
            lines.append(safe(f"ready, nothing to report: {names}{more}"))
        summary = report.summary()
        lines.append(f"{summary['ready']} of {summary['nodes']} nodes ready")
    return "\n".join(lines) + "\n"
