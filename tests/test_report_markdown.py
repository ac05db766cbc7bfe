"""Markdown as GitHub renders it: read back with markdown-it-py, a CommonMark parser whose table rule
follows GitHub Flavored Markdown (cmark-gfm itself is not on the machines this runs on).

The message sits beside its remedy, commands in remedies are code, skips are one line per check with
the reason, nothing from the facts becomes markup or HTML, and a fleet report longer than a GitHub
comment starts with a summary that fits one and says where the rest is.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from lxml import html
from test_report_formats import faulty_report, hostile_facts, judged

from readycheck.findings import SKIP
from readycheck.report import render
from readycheck.report.markdown import GITHUB_COMMENT_LIMIT


def parsed(text: str) -> html.HtmlElement:
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    tokens = parser.parse(text)
    assert not [t for t in tokens if t.type == "html_block"], "raw HTML reached the Markdown"
    assert not [c for t in tokens for c in (t.children or []) if c.type == "html_inline"], "inline HTML reached it"
    return html.fromstring(f"<div>{parser.render(text)}</div>")


def cells(row) -> list[str]:
    return [" ".join(cell.text_content().split()) for cell in row.xpath("td")]


def test_the_message_sits_beside_its_remedy_and_commands_are_code():
    report = faulty_report()
    doc = parsed(render(report, "md"))
    attention = doc.xpath("//table[1]")[0]
    assert [" ".join(th.text_content().split()) for th in attention.xpath(".//th")] == [
        "status", "check", "subject", "finding", "remedy", "observed", "expected"]
    rows = attention.xpath("tbody/tr")
    assert len(rows) == len([f for f in report.nodes[0].decision.findings if f.status not in ("pass", SKIP)])
    fabric = cells(rows[0])
    assert fabric[1] == "driver.fabricmanager" and fabric[3].startswith("Fabric Manager is not running")
    assert fabric[4].startswith("install nvidia-fabricmanager 580.95.05")
    assert [c.text_content() for c in rows[0].xpath("td[5]/code")] == ["systemctl enable --now nvidia-fabricmanager"]
    throttle = next(row for row in rows if cells(row)[1] == "thermal.throttle")
    assert [c.text_content() for c in throttle.xpath("td[5]/code")] == ["ipmitool sdr", "ipmitool sel list"]
    assert "`" not in attention.text_content()


def test_skips_are_one_line_per_check_with_the_reason():
    report = faulty_report()
    doc = parsed(render(report, "md"))
    skipped = {f.check: f for f in report.nodes[0].decision.findings if f.status == SKIP}
    lines = [" ".join(li.text_content().split()) for li in doc.xpath("//ul/li")]
    assert len(lines) == len(skipped) and {line.split(" ")[0] for line in lines} == set(skipped)
    retired = next(line for line in lines if line.startswith("health.retired_pages"))
    assert retired == ("health.retired_pages on gpu0, gpu1, gpu2, gpu3, gpu4, gpu5, gpu6, gpu7: this GPU repairs "
                       "memory by row remapping, not page retirement (see health.remapped_rows)")


def test_hostile_facts_stay_text_and_tables_keep_their_columns():
    out = render(judged(hostile_facts()), "md")
    doc = parsed(out)
    for table in doc.xpath("//table"):
        width = len(table.xpath(".//th"))
        assert all(len(row.xpath("td")) == width for row in table.xpath("tbody/tr"))
    assert '<script>alert("gpu")</script>|`x`' in doc.xpath("//table[2]/tbody/tr[4]/td[2]")[0].text_content()
    assert not doc.xpath("//script | //img")


def test_a_code_span_with_a_pipe_keeps_its_table_cell():
    report = faulty_report()
    node = report.nodes[0]
    finding = node.decision.blocking[0]._replace(remedy="run `dmesg | grep -i xid` & look")
    node.decision = dataclasses.replace(node.decision, findings=(finding,), blocking=(finding,))
    row = parsed(render(report, "md")).xpath("//table[1]/tbody/tr")[0]
    assert len(row.xpath("td")) == 7
    assert [c.text_content() for c in row.xpath("td[5]/code")] == ["dmesg | grep -i xid"]
    assert cells(row)[4] == "run dmesg | grep -i xid & look"


def fleet(count: int):
    base = faulty_report()
    (node,) = base.nodes
    report = copy.copy(base)
    report.nodes = [dataclasses.replace(node, node=f"gpu-{n:04d}") for n in range(count)]
    return report


def test_a_small_fleet_has_no_summary():
    out = render(fleet(2), "md")
    assert len(out) < GITHUB_COMMENT_LIMIT and out.startswith("## gpu-0000: **NOT READY**")


@pytest.mark.parametrize("count", [100, 1000])
def test_a_fleet_over_a_github_comment_starts_with_a_summary_that_fits_one(count):
    out = render(fleet(count), "md")
    head, marker, details = out.partition("\n# Node details\n")
    assert marker and len(out) > GITHUB_COMMENT_LIMIT and len(head) < GITHUB_COMMENT_LIMIT
    assert head.startswith(f"# readycheck summary: 0 of {count} nodes ready, NOT READY")
    assert "paste this summary" in head and "follow under **Node details** below" in head
    doc = parsed(head)
    rows = doc.xpath("//table/tbody/tr")
    assert cells(rows[0])[:2] == ["gpu-0000", "NOT READY"] and "pcie.link" in cells(rows[0])[2]
    if len(rows) < count:
        assert f"... and {count - len(rows)} more not-ready nodes, listed under Node details." in head
    assert details.count("\n## gpu-") + details.startswith("## gpu-") == count
