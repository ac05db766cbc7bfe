"""JSON report (`readycheck.report/1`): the verdict, every finding, and the facts each node was judged on."""

from __future__ import annotations

import json

from readycheck.report import Report

SCHEMA_ID = "readycheck.report/1"


def render(report: Report) -> str:
    document = {
        "schema": SCHEMA_ID,
        "readycheck_version": report.tool_version,
        "verdict": report.verdict,
        "fail_on": report.fail_on,
        "summary": report.summary(),
        "nodes": [{
            "node": node.node,
            "verdict": node.verdict,
            "pack": {"name": node.pack.name, "chain": node.pack.chain, "content_hash": node.pack.content_hash,
                     "reason": node.pack.reason},
            "counts": node.counts(),
            "facts": node.facts,
        } for node in report.nodes],
        "findings": [f.as_dict() for f in report.findings],
    }
    # Compact: the C encoder is many times faster than indenting, which matters for fleet reports;
    # `jq .` pretty-prints it for reading.
    return json.dumps(document, separators=(",", ":")) + "\n"
