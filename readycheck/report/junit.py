"""JUnit XML for CI systems (Jenkins, GitLab, GitHub Actions test reporters): a node is a test suite.

One `<testsuite>` per node, one `<testcase>` per finding: `classname` is the node
name and the check id (`gpu-b07-04.pcie.link`) and `name` the subject, so that a CI
server that keys results by classname and name (Jenkins) keeps every node's results
apart in a fleet. `fail` becomes `<failure>` and `error` becomes
`<error>`, each with the message and the remedy; `skip` and `unknown` become
`<skipped>` with the reason; a warning passes and says so in `<system-out>`.
Because a required `unknown` (or, with `--fail-on warn`, a warning) makes a node
not ready without failing a testcase, each suite ends with one more testcase,
`readycheck.verdict`, that fails when the engine called the node not ready, so
a pipeline that gates on failures gates on the verdict.

Written one suite at a time: a fleet's file (hundreds of megabytes for 10,000 nodes) is never held whole,
as a tree or as text; the root's totals come from the engine's counts first.

The layout is the common Jenkins/Surefire one: the tests validate it against the schema
Jenkins' xUnit plugin checks JUnit files with (`tests/data/jenkins/junit-10.xsd`). Text from
the facts is escaped by the XML writer; characters XML 1.0 cannot carry at all
(control characters) are replaced by U+FFFD.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from typing import TextIO

from readycheck.engine import Report
from readycheck.findings import ERROR, FAIL, READY, SKIP, UNKNOWN, WARN
from readycheck.report import collected_at, plain, printable

VERDICT_CHECK = "readycheck.verdict"
# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value) -> str:
    return _NOT_XML.sub("\ufffd", printable(value))


def _details(finding) -> str:
    lines = [finding.message]
    if finding.observed is not None or finding.expected is not None:
        lines.append(f"observed: {plain(finding.observed)}; expected: {plain(finding.expected)}")
    if finding.remedy:
        lines.append(f"remedy: {finding.remedy}")
    return text("\n".join(lines))


def _testcase(suite: ET.Element, node: str, check: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", classname=text(f"{node}.{check}"), name=text(name), time="0")


def _tally(node) -> dict[str, int]:
    """A suite's counts, from the engine's decision (the verdict testcase included)."""
    counts = node.decision.counts
    return {"tests": len(node.decision.findings) + 1, "failures": counts[FAIL] + (node.verdict != READY),
            "errors": counts[ERROR], "skipped": counts[SKIP] + counts[UNKNOWN]}


def _suite(report: Report, node) -> ET.Element:
    facts = node.load_facts()
    findings = node.decision.findings
    ready = node.verdict == READY
    suite = ET.Element("testsuite", name=text(node.node), hostname=text(node.node),
                       **{key: str(value) for key, value in _tally(node).items()}, time="0")
    when = collected_at(facts)
    if when is not None:
        suite.set("timestamp", when.strftime("%Y-%m-%dT%H:%M:%S"))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("verdict", node.verdict), ("rule_pack", node.pack.name),
                        ("rule_pack_sha256", node.pack.content_hash), ("readycheck_version", report.tool_version),
                        ("collected_at", facts.get("collected_at"))):
        ET.SubElement(properties, "property", name=name, value=text(value))
    for finding in findings:
        case = _testcase(suite, node.node, finding.check, finding.subject)
        if finding.status in (FAIL, ERROR):
            tag = "failure" if finding.status == FAIL else "error"
            ET.SubElement(case, tag, message=text(finding.message), type=finding.status).text = _details(finding)
        elif finding.status in (SKIP, UNKNOWN):
            reason = finding.message if finding.status == SKIP else f"unknown: {finding.message}"
            ET.SubElement(case, "skipped", message=text(reason)).text = _details(finding)
        elif finding.status == WARN:
            ET.SubElement(case, "system-out").text = text(f"warning: {_details(finding)}")
    case = _testcase(suite, node.node, VERDICT_CHECK, node.node)
    if not ready:
        blocking = [f"{f.status} {f.check} {f.subject}" for f in node.decision.blocking]
        ET.SubElement(case, "failure", message=text(f"{node.node} is not ready"), type="not-ready").text = text(
            "\n".join(blocking))
    return suite


def write(report: Report, stream: TextIO) -> None:
    totals = {"tests": 0, "failures": 0, "errors": 0}  # the root carries no `skipped` in the Jenkins schema
    for node in report.nodes:
        tally = _tally(node)
        for key in totals:
            totals[key] += tally[key]
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="readycheck"'
                 + "".join(f' {key}="{value}"' for key, value in totals.items()) + ">")
    for node in report.nodes:
        suite = _suite(report, node)
        ET.indent(suite, level=1)  # as ET.indent lays out the whole tree: two spaces a level
        stream.write("\n  " + ET.tostring(suite, encoding="unicode"))
    stream.write("\n</testsuites>\n")


def render(report: Report) -> str:
    buffer = io.StringIO()
    write(report, buffer)
    return buffer.getvalue()
