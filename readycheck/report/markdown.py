"""Markdown for a ticket comment: verdict, the findings that need attention, the inventory.

Everything taken from the facts is escaped, so a hostile hostname or GPU
name cannot inject markup or raw HTML into the ticket.
"""

from __future__ import annotations

import re

from readycheck.engine import Report
from readycheck.findings import READY
from readycheck.report import attention_first, printable

# Characters that start markup, links, HTML or table cells anywhere in a line; facts never start a line.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")


def escape(value) -> str:
    """Make any value safe inside a Markdown table cell: no markup, no HTML, no line breaks."""
    text = "" if value is None else printable(value)
    text = " ".join(text.split())
    return _SPECIAL.sub(r"\\\1", text)


def render(report: Report) -> str:
    out: list[str] = []
    for node in report.nodes:
        facts = node.load_facts()
        word = "READY" if node.verdict == READY else "NOT READY"
        out.append(f"## {escape(node.node)}: **{word}**\n")
        out.append(f"Rule pack {escape(node.pack.name)} (sha256 `{node.pack.content_hash[:12]}`): "
                   f"{escape(node.pack.reason or 'chosen with --rules')}. Facts collected "
                   f"{escape(facts.get('collected_at'))} by readycheck {escape(report.tool_version)}; "
                   f"{escape(node.load_words)}.\n")
        attention = attention_first(node.decision.findings)
        if attention:
            out.append("| status | check | subject | observed | expected | remedy |")
            out.append("|---|---|---|---|---|---|")
            for f in attention:
                out.append(f"| {f.status} | {f.check} | {escape(f.subject)} | {escape(f.observed)} | "
                           f"{escape(f.expected)} | {escape(f.remedy or f.message)} |")
        else:
            out.append("Every check passed.")
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
    return "\n".join(out)
