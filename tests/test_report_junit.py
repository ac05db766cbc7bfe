"""JUnit XML: valid against Jenkins' published JUnit schema (the xUnit plugin's junit-10.xsd, copied with its
origin in tests/data/jenkins/NOTICE.md), one suite per node, the node's name in every testcase's classname."""

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

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parent / "data" / "jenkins" / "junit-10.xsd")))


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
    """The check has teeth: a testcase without a name, a suite without its failure count, or an element
    Jenkins does not know fails it."""
    suite = b'<testsuite name="n" tests="1" failures="0" errors="0">'
    assert SCHEMA.validate(etree.fromstring(b"<testsuites>" + suite + b'<testcase name="t"/></testsuite></testsuites>'))
    assert not SCHEMA.validate(etree.fromstring(b"<testsuites>" + suite + b'<testcase classname="c"/>'
                                                b"</testsuite></testsuites>"))
    assert not SCHEMA.validate(etree.fromstring(b'<testsuites><testsuite name="n" tests="1" errors="0"/></testsuites>'))
    assert not SCHEMA.validate(etree.fromstring(b"<testsuites>" + suite + b'<testcase name="t"><warning/>'
                                                b"</testcase></testsuite></testsuites>"))


def test_one_suite_per_node_one_case_per_finding_and_the_verdict():
    report = judged(load_snapshot(HEALTHY), load_snapshot(FAULTY))
    root = valid(render(report, "junit"))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["gpu-b07-03", "gpu-b07-04"]
    for suite, node in zip(suites, report.nodes):
        cases = suite.findall("testcase")
        assert len(cases) == len(node.findings) + 1 == int(suite.get("tests"))
        assert [(c.get("classname"), c.get("name")) for c in cases[:-1]] == [(f"{node.node}.{f.check}", f.subject)
                                                                            for f in node.findings]
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped"))
        assert suite.get("timestamp") == "2026-11-27T12:00:00"
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["verdict"] == node.verdict and len(properties["rule_pack_sha256"]) == 64
    healthy, faulty = suites
    assert healthy.findall("testcase")[-1].find("failure") is None
    verdict = faulty.findall("testcase")[-1]
    assert verdict.get("classname") == "gpu-b07-04.readycheck.verdict"
    assert verdict.find("failure").get("type") == "not-ready"
    assert "fail pcie.link gpu2" in verdict.find("failure").text
    link = faulty.find("testcase[@classname='gpu-b07-04.pcie.link'][@name='gpu2']/failure")
    assert link.get("message").startswith("link capped at Gen4, the GPU can do Gen5")
    assert "observed: width_max=16, gen_max=4" in link.text and "remedy: set the slot's PCIe speed" in link.text
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
    cases = {c.get("classname").removeprefix("n1."): c for c in suite.findall("testcase")}
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
    assert suite.find("testcase[@classname='n1.a.unknown']/skipped") is not None
    assert "unknown a.unknown gpu1" in suite.find("testcase[@classname='n1.readycheck.verdict']/failure").text
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


def test_in_a_fleet_every_testcase_is_its_own_and_names_its_node():
    """Nodes judged alike say the same things: Jenkins keys a result by classname and name, so each
    node's name is in its classname and no two testcases of the fleet share both."""
    names = [f"gpu-{n:02d}" for n in range(5)]
    snapshots = []
    for name in names:
        facts = load_snapshot(FAULTY)
        facts["host"]["hostname"] = name
        snapshots.append(facts)
    root = valid(render(judged(*snapshots), "junit"))
    keys = [(case.get("classname"), case.get("name")) for case in root.iter("testcase")]
    assert len(keys) == len(set(keys)) == 5 * (len(judged(load_snapshot(FAULTY)).nodes[0].findings) + 1)
    for suite, name in zip(root.findall("testsuite"), names):
        assert suite.get("name") == name
        assert all(case.get("classname").startswith(f"{name}.") for case in suite.findall("testcase"))
