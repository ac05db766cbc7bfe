"""JUnit XML: valid against the Jenkins/Surefire schema (tests/data/junit.xsd), one suite per node."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from lxml import etree
from test_report_formats import FAULTY, HEALTHY, HOSTILE_HOST, faulty_report, hostile_facts, judged

from readycheck import rulepack
from readycheck.engine import NodeResult, Report, decide
from readycheck.facts import load_snapshot
from readycheck.findings import NOT_READY, READY, Finding
from readycheck.report import render

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parent / "data" / "junit.xsd")))


def valid(out: str) -> ET.Element:
    document = etree.fromstring(out.encode("utf-8"))
    assert SCHEMA.validate(document), SCHEMA.error_log
    return ET.fromstring(out.encode("utf-8"))


@pytest.mark.parametrize("report", [
    pytest.param(faulty_report, id="faulty"),
    pytest.param(lambda: judged(load_snapshot(HEALTHY), load_snapshot(FAULTY)), id="fleet"),
    pytest.param(lambda: judged(hostile_facts()), id="hostile"),
])
def test_passes_the_junit_schema(report):
    valid(render(report(), "junit"))


def test_the_schema_rejects_what_it_should():
    """The check has teeth: a testcase without a name, or a count that is not a number, fails it."""
    assert not SCHEMA.validate(etree.fromstring(b'<testsuites><testsuite name="n" tests="1">'
                                                b'<testcase classname="c"/></testsuite></testsuites>'))
    assert not SCHEMA.validate(etree.fromstring(b'<testsuites><testsuite name="n" tests="x"/></testsuites>'))


def test_one_suite_per_node_one_case_per_finding_and_the_verdict():
    report = judged(load_snapshot(HEALTHY), load_snapshot(FAULTY))
    root = valid(render(report, "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["gpu-b07-03", "gpu-b07-04"]
    for suite, node in zip(suites, report.nodes):
        cases = suite.findall("testcase")
        assert len(cases) == len(node.findings) + 1 == int(suite.get("tests"))
        assert [(c.get("classname"), c.get("name")) for c in cases[:-1]] == [(f.check, f.subject)
                                                                            for f in node.findings]
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
        assert suite.get("timestamp") == "2026-11-27T12:00:00"
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["verdict"] == node.verdict and len(properties["rule_pack_sha256"]) == 64
    healthy, faulty = suites
    assert healthy.findall("testcase")[-1].find("failure") is None
    verdict = faulty.findall("testcase")[-1]
    assert verdict.get("classname") == "readycheck.verdict" and verdict.find("failure").get("type") == "not-ready"
    assert "fail pcie.link gpu2" in verdict.find("failure").text
    link = faulty.find("testcase[@classname='pcie.link'][@name='gpu2']/failure")
    assert link.get("message") == "link trained at x8 of x16"
    assert "observed: width=8" in link.text and "remedy: reseat the GPU" in link.text
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites)


def _node(findings: list[Finding], verdict: str) -> Report:
    node = NodeResult(node="n1", facts={"collected_at": "not a date"}, pack=rulepack.load("base"), findings=findings,
                      decision=decide(findings))
    assert node.verdict == verdict
    return Report(nodes=[node], verdict=node.verdict)


def test_each_status_maps_to_its_element():
    findings = [
        Finding("a.fail", "fail", "gpu0", 1, 2, "broken", "fix it"),
        Finding("a.error", "error", "host", message="check raised KeyError: 'x'", remedy="report it"),
        Finding("a.skip", "skip", "host", message="not on this platform"),
        Finding("a.unknown", "unknown", "gpu1", message="temperature unavailable (NoPermission)"),
        Finding("a.warn", "warn", "gpu2", message="close to the limit", remedy="look at it"),
        Finding("a.pass", "pass", "gpu3", message="fine"),
    ]
    root = valid(render(_node(findings, NOT_READY), "junit"))
    suite = root.find("testsuite")
    assert suite.get("timestamp") is None  # an unparsable collection time is left out, not invented
    cases = {c.get("classname"): c for c in suite.findall("testcase")}
    assert cases["a.fail"].find("failure").get("type") == "fail"
    error = cases["a.error"].find("error")
    assert error.get("message") == "check raised KeyError: 'x'" and "remedy: report it" in error.text
    assert cases["a.skip"].find("skipped").get("message") == "not on this platform"
    assert cases["a.unknown"].find("skipped").get("message").startswith("unknown: temperature unavailable")
    assert "warning: close to the limit" in cases["a.warn"].find("system-out").text
    assert len(cases["a.pass"]) == 0
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "7", "2", "1", "2")


def test_a_required_unknown_fails_the_verdict_case_only():
    findings = [Finding("a.unknown", "unknown", "gpu1", message="unread", required=True)]
    suite = valid(render(_node(findings, NOT_READY), "junit")).find("testsuite")
    assert suite.find("testcase[@classname='a.unknown']/skipped") is not None
    assert "unknown a.unknown gpu1" in suite.find("testcase[@classname='readycheck.verdict']/failure").text
    ready = valid(render(_node([], READY), "junit")).find("testsuite")
    assert ready.find("testcase/failure") is None and ready.get("failures") == "0"


def test_markup_and_control_characters_are_escaped():
    findings = [Finding("a.fail", "fail", "gpu0", message="bad <b>\x07\x1b[31m & \"quoted\"", remedy="]]>")]
    report = _node(findings, NOT_READY)
    report.nodes[0].node = HOSTILE_HOST
    out = render(report, "junit")
    root = valid(out)
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == "bad <b>\\x07\\x1b[31m & \"quoted\""  # shown escaped, as in every format
    assert root.find("testsuite").get("name") == HOSTILE_HOST
    assert "<b>" not in out
