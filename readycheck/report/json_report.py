"""JSON report (`readycheck.report/1`): the verdict, every finding, and the facts each node was judged on.

Written as a stream: a fleet's facts stay on disk while it is judged and are
read again one node at a time here, so a report of 10,000 nodes never holds
them all in memory. Compact (the C encoder is many times faster than
indenting); `jq .` pretty-prints it.
"""

from __future__ import annotations

import io
import json
from typing import TextIO

from readycheck.engine import Report
from readycheck.report import timestamp

SCHEMA_ID = "readycheck.report/1"


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def write(report: Report, stream: TextIO) -> None:
    head = {
        "schema": SCHEMA_ID,
        "readycheck_version": report.tool_version,
        "generated_at": timestamp(report.generated_at),
        "verdict": report.verdict,
        "fail_on": report.fail_on,
        "summary": report.summary(),
    }
    stream.write(_dump(head)[:-1] + ',"nodes":[')
    for i, node in enumerate(report.nodes):
        entry = {
            "node": node.node,
            "verdict": node.verdict,
            "rack": node.rack,
            "pack": {"name": node.pack.name, "chain": node.pack.chain, "content_hash": node.pack.content_hash,
                     "reason": node.pack.reason},
            "counts": node.decision.counts,
            "blocking": [{"check": f.check, "subject": f.subject, "status": f.status} for f in node.decision.blocking],
            "source": node.source,
        }
        stream.write(("," if i else "") + _dump(entry)[:-1] + ',"facts":' + _dump(node.load_facts()) + "}")
    stream.write('],"racks":' + _dump([_rack(r) for r in report.racks]))
    stream.write(',"findings":[')
    for i, finding in enumerate(report.findings):
        stream.write(("," if i else "") + _dump(finding.as_dict()))
    stream.write("]}\n")


def _rack(rack) -> dict:
    return {
        "name": rack.name, "redundancy": rack.redundancy, "budget_kw": rack.budget_kw,
        "worst_case_kw": rack.worst_case_kw, "headroom_kw": rack.headroom_kw, "projected": rack.projected,
        "basis": rack.basis, "nodes": rack.nodes, "air_heat_kw": rack.air_heat_kw,
        "liquid_heat_kw": rack.liquid_heat_kw, "heat_btu_per_h": rack.heat_btu_per_h,
        "air_cooling_kw": rack.air_cooling_kw, "liquid_cooling_kw": rack.liquid_cooling_kw, "notes": rack.notes,
        "feeds": [vars(feed) for feed in rack.feeds],
    }


def render(report: Report) -> str:
    buffer = io.StringIO()
    write(report, buffer)
    return buffer.getvalue()
