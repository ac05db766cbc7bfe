"""Every format says the same thing about every node: the engine decides once, reporters only format.

One report of three nodes, rendered in every format and read back: per node, the verdict, the
number of failing findings and which checks fail must be the same in all of them. The fleet is
built so that a reporter that picks its own findings is caught: gpu-a01 is healthy but its rack is
over budget (NOT READY only because of its rack), gpu-b01 has faults of its own, gpu-b02 is ready.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from readycheck import rulepack, site
from readycheck.facts import load_snapshot
from readycheck.report import FORMATS, render
from readycheck.run import judge_snapshots

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SITE = """
[site]
name = "agreement"

[[rack]]
name = "A"                 # one DGX H100 at 10.2 kW on a 16 A single-phase feed: over budget
nodes = ["gpu-a*"]
air_cooling_kw = 40.0
[[rack.feed]]
name = "A1"
volts = 230
amps = 16
phases = 1

[[rack]]
name = "B"                 # two nodes on 415 V / 63 A three-phase: 34.4 kW, enough
nodes = ["gpu-b*"]
air_cooling_kw = 40.0
[[rack.feed]]
name = "B1"
volts = 415
amps = 63
phases = 3
"""


def _named(path: Path, hostname: str) -> dict:
    facts = load_snapshot(path)
    facts["host"]["hostname"] = hostname
    return facts


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    site_file = tmp_path_factory.mktemp("site") / "site.toml"
    site_file.write_text(SITE, encoding="utf-8")
    snapshots = [_named(EXAMPLES / "hgx-h100-healthy.json", "gpu-a01"),
                 _named(EXAMPLES / "hgx-h100-faulty.json", "gpu-b01"),
                 _named(EXAMPLES / "hgx-h100-healthy.json", "gpu-b02")]
    pack = site_file.parent / "dgx.toml"  # as a site writes it: the server's maximum, which no built-in pack sets
    pack.write_text('extends = "hgx-h100"\n[platform]\nnameplate_max_w = 10200\n', encoding="utf-8")
    return judge_snapshots(snapshots, rulepack.load(str(pack)), site.load(site_file))


# node -> (verdict word, number of failing findings, failing check ids)
Said = dict[str, tuple[str, int, frozenset]]


def from_json(out: str) -> Said:
    said = {}
    for node in json.loads(out)["nodes"]:
        failing = frozenset(b["check"] for b in node["blocking"] if b["status"] == "fail")
        said[node["node"]] = (node["verdict"], node["counts"]["fail"], failing)
    return said


def from_markdown(out: str) -> Said:
    said = {}
    for section in out.split("\n## ")[0:]:
        head = re.match(r"(?:## )?(\S+): \*\*(READY|NOT READY)\*\*", section)
        if not head:
            continue
        failing = frozenset(re.findall(r"^\| fail \| ([\w.]+) \|", section, re.MULTILINE))
        counts = re.search(r"^(\d+ \w+(?:, \d+ \w+)*)$", section, re.MULTILINE).group(1)
        fails = dict((status, int(n)) for n, status in (part.split() for part in counts.split(", "))).get("fail", 0)
        said[head.group(1)] = (_verdict(head.group(2)), fails, failing)
    return said


def from_text(out: str) -> Said:
    said, node, failing = {}, None, set()
    for line in out.splitlines():
        head = re.match(r"^(\S+): (READY|NOT READY)$", line)
        if head:
            node, verdict, failing = head.group(1), _verdict(head.group(2)), set()
            continue
        attention = re.match(r"^  FAIL\s+((?:[a-z]+\.[a-z_]+(?:, )?)+) ", line)
        if node and attention:
            failing.update(attention.group(1).split(", "))
        counts = re.match(r"^  (\d+ \w+(?:, \d+ \w+)*)$", line)
        if node and counts:
            fails = dict((s, int(n)) for n, s in (p.split() for p in counts.group(1).split(", "))).get("fail", 0)
            said[node] = (verdict, fails, frozenset(failing))
            node = None
    quiet = re.search(r"^ready, nothing to report: (.*)$", out, re.MULTILINE)
    for name in (quiet.group(1).split(", ") if quiet else ()):
        said[name] = ("ready", 0, frozenset())
    return said


def from_junit(out: str) -> Said:
    said = {}
    for suite in ET.fromstring(out.encode("utf-8")).iter("testsuite"):
        verdict = {p.get("name"): p.get("value") for p in suite.iter("property")}["verdict"]
        checks = [case.get("classname").removeprefix(f"{suite.get('name')}.") for case in suite.iter("testcase")
                  if case.find("failure") is not None]  # classname: the node's name, a dot, the check id
        failing = frozenset(check for check in checks if check != "readycheck.verdict")
        fails = sum(1 for check in checks if check != "readycheck.verdict")
        said[suite.get("name")] = (verdict, fails, failing)
    return said


def from_prom(out: str) -> Said:
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(out)}
    said = {}
    for sample in families["readycheck_ready"].samples:
        name = sample.labels["Hostname"]
        fails = next(s.value for s in families["readycheck_findings"].samples
                     if s.labels["Hostname"] == name and s.labels["status"] == "fail")
        failing = frozenset(s.labels["check"] for s in families["readycheck_check_status"].samples
                            if s.labels["Hostname"] == name and s.value == 5)  # 5: fail
        said[name] = ("ready" if sample.value == 1 else "not-ready", int(fails), failing)
    return said


def from_html(out: str) -> Said:
    from lxml import html

    doc = html.fromstring(out)
    fleet = {row.xpath("td[1]")[0].text_content(): row for row in doc.xpath("//table[@class='fleet']/tbody/tr")}
    said = {}
    for section in doc.xpath("//section[@class='node']"):
        title = section.xpath("h2")[0]
        badge = title.xpath("b")[0].text_content()
        name = title.text_content()[len(badge):].strip()
        failing = frozenset(row.xpath("td[2]")[0].text_content()
                            for row in section.xpath(".//table[@class='attention']/tbody/tr[@class='fail']"))
        fails = fleet[name].xpath("td[3]")[0].text_content()
        said[name] = (_verdict(badge.upper()), int(fails or 0), failing)  # the badge reads "not ready"
    return said


READERS = {"json": from_json, "md": from_markdown, "text": from_text, "junit": from_junit, "prom": from_prom,
           "html": from_html}


def _verdict(word: str) -> str:
    return "ready" if word == "READY" else "not-ready"


def test_every_format_has_a_reader():
    assert set(READERS) == set(FORMATS)


def test_the_fleet_is_what_the_test_needs(report):
    by_name = {n.node: n for n in report.nodes}
    rack_only = by_name["gpu-a01"]
    assert rack_only.verdict == "not-ready"
    assert {f.check for f in rack_only.decision.blocking} == {"power.rack_budget"}
    assert all(f.status != "fail" for f in rack_only.findings)  # its own findings pass: the rack decides
    faulty = by_name["gpu-b01"]
    assert faulty.verdict == "not-ready" and "pcie.link" in {f.check for f in faulty.decision.blocking}
    assert by_name["gpu-b02"].verdict == "ready"


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_every_format_agrees_with_the_engine(report, fmt):
    decided = {n.node: (n.verdict, n.decision.counts["fail"],
                        frozenset(f.check for f in n.decision.blocking if f.status == "fail")) for n in report.nodes}
    assert READERS[fmt](render(report, fmt)) == decided


def test_the_readers_see_a_reporter_that_drops_rack_findings(report):
    """The agreement test can fail: the same report without the rack's findings in one node's
    decision reads differently in every format."""
    import dataclasses

    node = next(n for n in report.nodes if n.node == "gpu-a01")
    kept = node.decision
    node.decision = dataclasses.replace(kept, findings=tuple(node.findings), blocking=())
    try:
        assert from_prom(render(report, "prom"))["gpu-a01"][2] == frozenset()
        assert from_json(render(report, "json"))["gpu-a01"][2] == frozenset()
    finally:
        node.decision = kept
