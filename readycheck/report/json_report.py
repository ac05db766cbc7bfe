"""JSON report (`readycheck.report/2`): the verdict, the findings, and what each node was judged on.

One node: its facts embedded and every finding listed, so the file alone is the evidence a ticket carries.
A fleet: each node's snapshot named by its path and the SHA-256 of the bytes judged (`source`,
`source_sha256`) instead of embedded, and the findings that need attention (fail, error, unknown, warn,
and every rack's) listed in full; each node's passes and skips are in `nodes[].not_listed` as check ->
subjects. The snapshot, the pack's hash and the tool's version reproduce every finding left out
(`readycheck check FILE` prints them), and 10,000 nodes fit in tens of megabytes instead of a gigabyte.
`check --embed-facts` gives a fleet the one-node shape. `findings_listed` says which shape a file has:
"all", or "attention" (see docs/report-json.md).

Written as a stream, one node at a time: a fleet's facts stay packed in memory until their node is
written. Compact (the C encoder is many times faster than indenting); `jq .` pretty-prints it.
"""

from __future__ import annotations

import io
import json
from typing import TextIO

from readycheck.engine import NodeResult, Report
from readycheck.findings import PASS, SKIP, Finding
from readycheck.report import timestamp

SCHEMA_ID = "readycheck.report/2"
NOT_LISTED = (PASS, SKIP)  # what a fleet's report leaves to nodes[].not_listed


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def write(report: Report, stream: TextIO) -> None:
    embed = report.embed_facts if report.embed_facts is not None else len(report.nodes) == 1
    head = {
        "schema": SCHEMA_ID,
        "readycheck_version": report.tool_version,
        "generated_at": timestamp(report.generated_at),
        "verdict": report.verdict,
        "fail_on": report.fail_on,
        "summary": report.summary(),
        "findings_listed": "all" if embed else "attention",
    }
    stream.write(_dump(head)[:-1] + ',"nodes":[')
    attention: list[Finding] = []  # a fleet's listed findings, gathered on the one pass over its nodes
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
            "source_sha256": node.source_sha256,
        }
        tail = _dump(node.load_facts()) if embed else _dump(_not_listed(node, attention))
        stream.write(("," if i else "") + _dump(entry)[:-1] + (',"facts":' if embed else ',"not_listed":') + tail + "}")
    stream.write('],"racks":' + _dump([_rack(r) for r in report.racks]))
    stream.write(',"findings":[')
    listed = report.findings if embed else attention + report.rack_findings
    for i, finding in enumerate(listed):
        stream.write(("," if i else "") + _dump(finding.as_dict()))
    stream.write("]}\n")


def _not_listed(node: NodeResult, listed: list[Finding]) -> dict[str, dict[str, list[str]]]:
    """The node's own passes and skips as status -> check -> subjects, in the order the checks ran; its
    other findings go to `listed`."""
    grouped: dict[str, dict[str, list[str]]] = {status: {} for status in NOT_LISTED}
    for finding in node.findings:
        if finding.status in grouped:
            grouped[finding.status].setdefault(finding.check, []).append(finding.subject)
        else:
            listed.append(finding)
    return grouped


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
