"""Every report format: golden files, hostile names rendered as text, colour only on a terminal.

Golden files live in tests/data/golden/, one per format, rendered from examples/hgx-h100-faulty.json
the way `readycheck check` judges it. Volatile bits are normalised: the rule pack's content hash
(it changes with every edit to rules/), the tool version and the report's generation time. When a
format or a check changes on purpose, regenerate them and review the diff:

    READYCHECK_REGEN_GOLDEN=1 python -m pytest tests/test_report_formats.py

The helpers here (`judged`, `rack`, `faulty_report`, `hostile_facts`) are shared by the other
test_report_*.py files.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import pty
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest

from readycheck import rulepack
from readycheck.budget import FeedBudget, RackBudget
from readycheck.engine import Report
from readycheck.facts import load_snapshot
from readycheck.report import FORMATS, render
from readycheck.report import text as text_report
from readycheck.run import judge_snapshots

REPO = Path(__file__).resolve().parent.parent
FAULTY = REPO / "examples" / "hgx-h100-faulty.json"
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
REGEN = os.environ.get("READYCHECK_REGEN_GOLDEN") == "1"
GOLDEN_HASH = "0" * 64
GOLDEN_VERSION = "0.0.0+golden"
GOLDEN_GENERATED = datetime(2026, 11, 27, 12, 30, tzinfo=timezone.utc)

# Markup, quotes, an ampersand, Markdown and exposition-format specials, and a line break.
HOSTILE_HOST = "<img src=x onerror=alert(1)>\"'&|*evil*`\\\n</td>"
HOSTILE_GPU = '<script>alert("gpu")</script>|`x`'


def judged(*snapshots: dict, racks=()) -> Report:
    """Judge snapshots as `readycheck check` does, with the pack's hash, the version and the report's
    generation time made stable."""
    pack = dataclasses.replace(rulepack.choose(snapshots[0]), content_hash=GOLDEN_HASH)
    report = judge_snapshots(list(snapshots), pack, None)
    report.tool_version = GOLDEN_VERSION
    report.generated_at = GOLDEN_GENERATED
    report.racks = list(racks)
    return report


def rack(name: str, worst_kw: float | None, nodes: list[str], budget_kw: float = 30.0) -> RackBudget:
    """A hand-built rack budget (2N, two feeds), as the power-budget work will fill them."""
    feeds = [FeedBudget("A", 415.0, 32.0, 3, 0.95, 0.8, budget_kw), FeedBudget("B", 415.0, 32.0, 3, 0.95, 0.8,
                                                                                budget_kw)]
    return RackBudget(name=name, redundancy="2N", feeds=feeds, budget_kw=budget_kw, worst_case_kw=worst_kw,
                      nodes=nodes, projected=False, basis="nameplate maximum from the rule pack", air_heat_kw=worst_kw,
                      liquid_heat_kw=None if worst_kw is None else 0.0, air_cooling_kw=40.0, liquid_cooling_kw=0.0,
                      notes=["hand-built for the test"])


def faulty_report() -> Report:
    return judged(load_snapshot(FAULTY))


def hostile_facts() -> dict:
    facts = copy.deepcopy(load_snapshot(FAULTY))
    facts["host"]["hostname"] = HOSTILE_HOST
    facts["gpus"][3]["name"] = HOSTILE_GPU
    return facts


def _golden_text(fmt: str) -> str:
    """The report as the golden file holds it. JSON embeds the judged facts: they must be the input
    snapshot itself, and the golden file keeps the rest (indented, so a change reads as a diff)."""
    out = render(faulty_report(), fmt)
    if fmt != "json":
        return out
    document = json.loads(out)
    for node in document["nodes"]:
        assert node.pop("facts") == load_snapshot(FAULTY)
    return json.dumps(document, indent=1) + "\n"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_golden_file(fmt):
    out = _golden_text(fmt)
    path = GOLDEN / f"hgx-h100-faulty.{FORMATS[fmt][1]}"
    if REGEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run READYCHECK_REGEN_GOLDEN=1 pytest {Path(__file__).name}"
    assert out == path.read_text(encoding="utf-8"), (
        f"{fmt} output differs from {path.name}; if the change is meant, regenerate with "
        f"READYCHECK_REGEN_GOLDEN=1 and review the diff")


def _hostile(fmt: str) -> str:
    return render(judged(hostile_facts()), fmt)


def test_hostile_names_in_html_are_text():
    from lxml import html

    out = _hostile("html")
    doc = html.fromstring(out)
    assert not doc.xpath("//img | //script")
    text = doc.text_content()
    assert HOSTILE_HOST in text and HOSTILE_GPU in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in out and "&lt;script&gt;" in out


def test_hostile_names_in_markdown_are_escaped():
    out = _hostile("md")
    assert not re.search(r"(?<!\\)[<>]", out), "an unescaped angle bracket reached the Markdown"
    assert "\\<script\\>alert(\"gpu\")\\</script\\>\\|\\`x\\`" in out
    for line in out.splitlines():
        if line.startswith("|"):  # every table row keeps its columns: no pipe from the facts splits a cell
            assert len(re.findall(r"(?<!\\)\|", line)) in (6, 8), line


def test_hostile_names_in_junit_are_escaped():
    root = ET.fromstring(_hostile("junit").encode("utf-8"))
    assert root.find("testsuite").get("name") == HOSTILE_HOST


def test_hostile_names_in_prom_are_escaped():
    from prometheus_client.parser import text_string_to_metric_families

    families = {f.name: f for f in text_string_to_metric_families(_hostile("prom"))}
    assert {s.labels["Hostname"] for s in families["readycheck_ready"].samples} == {HOSTILE_HOST}


def test_hostile_names_in_json_round_trip():
    document = json.loads(_hostile("json"))
    assert document["nodes"][0]["node"] == HOSTILE_HOST
    assert document["nodes"][0]["facts"]["gpus"][3]["name"] == HOSTILE_GPU


def test_hostile_names_in_text_are_printed_with_control_characters_escaped():
    # Markup is harmless on a terminal and printed as it is; the newline is shown as \n.
    assert _hostile("text").startswith(HOSTILE_HOST.replace("\n", "\\n") + ": NOT READY")


def test_text_is_coloured_only_when_asked_and_no_color_is_unset(monkeypatch):
    report = faulty_report()
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\x1b[" in text_report.render(report, colour=True)
    assert "\x1b[" not in text_report.render(report, colour=False)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in text_report.render(report, colour=True)
    monkeypatch.setenv("NO_COLOR", "")  # no-color.org: an empty value does not count
    assert "\x1b[" in text_report.render(report, colour=True)


def test_text_colours_are_the_sgr_codes_click_writes():
    """The summary paints without click (a plain scan never loads it), with the very escapes click.style
    writes: the verdict and a FAIL bold red, an UNKNOWN magenta, each reset after."""
    import click

    coloured = text_report.render(faulty_report(), colour=True)
    assert coloured.startswith(click.style("gpu-b07-04: NOT READY", fg="red", bold=True) + "\n")
    assert click.style("FAIL   ", fg="red", bold=True) in coloured
    assert click.style("UNKNOWN", fg="magenta") in coloured


def _on_a_terminal(env: dict) -> str:
    """Run `readycheck check` with stdout on a pseudo-terminal and return what it printed."""
    leader, follower = pty.openpty()
    done = subprocess.run([sys.executable, "-m", "readycheck", "check", str(FAULTY)], stdout=follower,
                          stderr=subprocess.PIPE, env=env, timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal is drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 1, done.stderr
    return b"".join(chunks).decode("utf-8", "replace")


def test_cli_colours_a_terminal_unless_no_color():
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[31" in _on_a_terminal(env)
    assert "\x1b[" not in _on_a_terminal(dict(env, NO_COLOR="1"))
    piped = subprocess.run([sys.executable, "-m", "readycheck", "check", str(FAULTY)], capture_output=True,
                           text=True, env=env, timeout=120)
    assert "\x1b[" not in piped.stdout and "NOT READY" in piped.stdout
