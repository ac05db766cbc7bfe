"""Markdown for a ticket comment (GitHub Flavored Markdown): verdict, what needs attention, the inventory.

Per node: the verdict, then one table row per finding that needs attention with
its message beside its remedy (commands in them, written between backticks by
the checks, render as code), one line per skipped check with the reason, the
counts, and the system and GPU inventory. A fleet report longer than a GitHub
comment holds (65,536 characters) starts with a summary that fits one, the
not-ready nodes and what blocks them, and says that every node's details follow
under "Node details".

Everything taken from the facts is escaped, so a hostile hostname or GPU name
cannot inject markup or raw HTML into the ticket; inside code spans, which
Markdown prints literally, only the table's pipe is escaped.
"""

from __future__ import annotations

import re

from readycheck.engine import NodeResult, Report
from readycheck.findings import READY, SKIP, STATUSES
from readycheck.report import CODE_SPAN, needs_attention, printable, timestamp
from readycheck.report.perf import markdown as perf_markdown

# GitHub refuses a comment, issue or pull request body longer than this many characters.
GITHUB_COMMENT_LIMIT = 65_536
SUMMARY_BUDGET = 60_000  # the summary's own size, below the limit with room for its closing lines
# Characters that start markup, links, HTML or table cells anywhere in a line; facts never start a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def escape(value) -> str:
    """Make any value safe inside a Markdown table cell: no markup, no HTML, no line breaks."""
    text = "" if value is None else printable(value)
    text = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", text)


def with_code(value) -> str:
    """Text whose backtick spans are commands: those become code spans (their pipes escaped, as a GFM
    table cell needs even inside code), everything else is escaped."""
    text = " ".join(printable(value).split()) if value is not None else ""
    pieces = CODE_SPAN.split(text)  # even indexes: prose; odd: what backticks delimited
    return "".join(f"`{piece.replace('|', chr(92) + '|')}`" if i % 2 else _SPECIAL.sub(r"\\\1", piece)
                   for i, piece in enumerate(pieces))


def verdict_word(verdict: str) -> str:
    return "READY" if verdict == READY else "NOT READY"


def skipped(findings) -> list[str]:
    """One line per skipped check: its subjects and why, reasons told apart when a check has several."""
    by_check: dict[str, dict[str, list[str]]] = {}
    for f in findings:
        if f.status == SKIP:
            by_check.setdefault(f.check, {}).setdefault(f.message, []).append(f.subject)
    lines = []
    for check, reasons in by_check.items():
        if len(reasons) == 1:
            ((reason, subjects),) = reasons.items()
            lines.append(f"- `{check}` on {escape(subjects)}: {with_code(reason)}")
        else:
            lines.append(f"- `{check}`: " + "; ".join(f"on {escape(subjects)}, {with_code(reason)}"
                                                      for reason, subjects in reasons.items()))
    return lines


def node_section(report: Report, node: NodeResult) -> str:
    facts = node.load_facts()
    out = [f"## {escape(node.node)}: **{verdict_word(node.verdict)}**\n",
           f"Rule pack {escape(node.pack.name)} (sha256 `{node.pack.content_hash[:12]}`): "
           f"{escape(node.pack.reason or 'chosen with --rules')}. Facts collected "
           f"{escape(facts.get('collected_at'))} by readycheck {escape(facts.get('readycheck_version'))} and judged "
           f"by readycheck {escape(report.tool_version)}, {escape(node.load_words)}; report generated "
           f"{timestamp(report.generated_at)}.\n"]
    attention = needs_attention(node.decision.findings)
    if attention:
        out.append("| status | check | subject | finding | remedy | observed | expected |")
        out.append("|---|---|---|---|---|---|---|")
        for f in attention:
            status = f"{f.status} (optional)" if f.status == "unknown" and not f.required else f.status
            out.append(f"| {status} | {f.check} | {escape(f.subject)} | {with_code(f.message)} | "
                       f"{with_code(f.remedy)} | {escape(f.observed)} | {escape(f.expected)} |")
    else:
        out.append("Nothing needs attention.")
    skips = skipped(node.decision.findings)
    if skips:
        out.append("\nSkipped:\n")
        out.extend(skips)
    counts = ", ".join(f"{n} {s}" for s, n in node.decision.counts.items() if n)
    out.append(f"\n{counts}\n")
    dmi = (facts.get("host") or {}).get("dmi") or {}
    out.append(f"System {escape(dmi.get('sys_vendor'))} {escape(dmi.get('product_name'))}, serial "
               f"{escape(dmi.get('product_serial'))}, BIOS {escape(dmi.get('bios_version'))}.\n")
    gpus = facts.get("gpus") or []
    if gpus:
        out.append("| GPU | model | serial | VBIOS | PCI |")
        out.append("|---|---|---|---|---|")
        for g in gpus:
            out.append(f"| {escape(g.get('index'))} | {escape(g.get('name'))} | {escape(g.get('serial'))} | "
                       f"{escape(g.get('vbios_version'))} | {escape(g.get('pci_bus_id'))} |")
        out.append("")
    out.extend(perf_markdown(facts, escape))
    return "\n".join(out)


def summary(report: Report, length: int) -> str:
    """The head of a fleet report too long for one GitHub comment: counts, the not-ready nodes with the
    checks that block them (as many as fit the comment), and where the rest is."""
    counts = report.summary()
    findings = ", ".join(f"{counts['findings'][s]} {s}" for s in STATUSES if counts["findings"].get(s))
    out = [f"# readycheck summary: {counts['ready']} of {counts['nodes']} nodes ready, "
           f"{verdict_word(report.verdict)}\n",
           f"Report generated {timestamp(report.generated_at)} by readycheck {escape(report.tool_version)}; "
           f"{findings}.\n"]
    not_ready = [n for n in report.nodes if n.verdict != READY]
    listed = 0
    if not_ready:
        out += ["| node | verdict | blocked by |", "|---|---|---|"]
        size = sum(len(line) + 1 for line in out)
        for node in not_ready:
            checks = ", ".join(dict.fromkeys(f"`{f.check}`" for f in node.decision.blocking))
            line = f"| {escape(node.node)} | NOT READY | {checks} |"
            if size + len(line) + 1 > SUMMARY_BUDGET:
                break
            out.append(line)
            size += len(line) + 1
            listed += 1
        if listed < len(not_ready):
            out.append(f"\n... and {len(not_ready) - listed} more not-ready nodes, listed under Node details.")
    out.append(f"\nThe details of every node, {length:,} characters, are more than one GitHub comment holds "
               f"({GITHUB_COMMENT_LIMIT:,}): paste this summary, down to here, and attach the whole file. They "
               f"follow under **Node details** below: each node's findings, skips and inventory.\n")
    out.append("---\n\n# Node details\n")
    return "\n".join(out)


def render(report: Report) -> str:
    details = "\n".join(node_section(report, node) for node in report.nodes)
    if len(report.nodes) > 1 and len(details) > GITHUB_COMMENT_LIMIT:
        return summary(report, len(details)) + "\n" + details
    return details
