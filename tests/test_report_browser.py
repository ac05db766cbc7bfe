"""End to end: the HTML report opened in headless Chromium (Debian's `chromium`, installed by .ci/run).

Chromium renders a fleet report (the faulty node, a healthy node whose hostname is markup, one
rack), writes a screenshot and dumps the DOM after layout; the test asserts on the DOM. The
screenshot goes to $READYCHECK_SCREENSHOT_DIR when set, else to the test's temporary folder; the
test prints where. Without chromium the test is skipped, except under CI, where it must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html
from test_report_formats import FAULTY, HEALTHY, HOSTILE_HOST, judged, rack

from readycheck.facts import load_snapshot
from readycheck.report import render

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Headless as root in a sandbox with no network: no sandbox, no GPU, nothing that phones home.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars")


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and under CI this test must run (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def browse(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_report_in_headless_chromium(chromium, tmp_path):
    healthy = load_snapshot(HEALTHY)
    healthy["host"]["hostname"] = HOSTILE_HOST
    report = judged(load_snapshot(FAULTY), healthy, racks=[rack("B07", 20.4, ["gpu-b07-04", HOSTILE_HOST])])
    page = tmp_path / "readycheck-report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    shots = Path(os.environ.get("READYCHECK_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    screenshot = shots / "readycheck-report.png"

    browse(chromium, tmp_path / "profile-shot", "--window-size=1280,2600", f"--screenshot={screenshot}",
           page.as_uri())
    print(f"screenshot: {screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000

    dom = html.fromstring(browse(chromium, tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout)
    assert " ".join(dom.xpath("//header[@id='verdict']/h1")[0].text_content().split()) == "NOT READY"
    assert dom.xpath("//header[@id='verdict']/p[1]")[0].text_content().strip() == "1 of 2 nodes ready, 1 rack"
    sections = dom.xpath("//section[@class='node']")
    assert len(sections) == 2
    for section in sections:  # one inventory row per GPU on each node
        assert len(section.xpath(".//table[@class='gpus']/tbody/tr")) == 8
    assert len(sections[0].xpath(".//table[@class='readings']/tbody/tr")) == 8
    # The hostile hostname is text in the rendered page, not an element.
    assert not dom.xpath("//img | //script")
    assert HOSTILE_HOST.replace("\n", " ").split() == sections[1].xpath("h2")[0].text_content().split()[1:]
