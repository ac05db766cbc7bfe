"""End to end: the HTML report in headless Chromium (Debian's `chromium`, installed by .ci/run), driven
over the DevTools protocol (tests/chromium.py): laid out at 1280 and 400 CSS pixels and printed to PDF.

What a person would check: the page opens with the verdict; on a 400 px phone nothing makes the page
scroll sideways (the document's scrollWidth is at most the viewport: wide tables scroll inside their
own box); printed, a one-node report starts on page 1 with its first finding, no table row is cut
across two pages and the topology matrix stays on one page. The PDF's text is read back page by page
with pypdf. Screenshots (PNG at 1280 and 400 px) and the PDFs go to $READYCHECK_SCREENSHOT_DIR when
set, else to the test's temporary folder; the tests print where. Without chromium the tests are
skipped, except under CI, where they must run.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from chromium import CHROMIUM, Browser
from lxml import html
from test_report_formats import FAULTY, HEALTHY, HOSTILE_HOST, faulty_report, judged, rack

from readycheck.facts import load_snapshot
from readycheck.findings import Finding
from readycheck.report import render

# Paper sizes in inches: A4, US Letter, and two heights at which, without the rules that keep them
# whole, the faulty node's topology matrix and a findings row fall across a page break.
PAPERS = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0), "short": (8.27, 7.0), "medium": (8.27, 9.25)}


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and under CI this test must run (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with Browser(tmp_path_factory.mktemp("chromium-profile")) as chromium:
        yield chromium


@pytest.fixture
def shots(tmp_path) -> Path:
    folder = Path(os.environ.get("READYCHECK_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots and PDFs: {folder}")
    return folder


def write(report, folder: Path, name: str) -> Path:
    page = folder / f"{name}.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    return page


def pdf_pages(path: Path) -> list[str]:
    """The text of each page of a PDF, whitespace folded."""
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(str(path)).pages]


def fleet_report():
    healthy = load_snapshot(HEALTHY)
    healthy["host"]["hostname"] = HOSTILE_HOST
    return judged(load_snapshot(FAULTY), healthy, racks=[rack("B07", 20.4, ["gpu-b07-04", HOSTILE_HOST])])


def test_the_page_opens_with_the_verdict_and_hostile_names_stay_text(browser, shots):
    page = browser.open(write(fleet_report(), shots, "readycheck-fleet"), 1280)
    screenshot = page.screenshot(shots / "readycheck-fleet-1280.png")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000
    dom = html.fromstring(page.evaluate("document.documentElement.outerHTML"))
    assert " ".join(dom.xpath("//header[@id='verdict']/h1")[0].text_content().split()) == "NOT READY"
    assert dom.xpath("//header[@id='verdict']/p[1]")[0].text_content().strip() == "1 of 2 nodes ready, 1 rack"
    sections = dom.xpath("//section[@class='node']")
    assert len(sections) == 2
    for section in sections:  # one inventory row per GPU on each node, with its two bars
        assert len(section.xpath(".//table[@class='gpus']/tbody/tr/td[contains(@class, 'bar')]")) == 16
    # The hostile hostname is text in the rendered page, not an element.
    assert not dom.xpath("//img | //script")
    assert HOSTILE_HOST.replace("\n", " ").split() == sections[1].xpath("h2")[0].text_content().split()[1:]


@pytest.mark.parametrize("name, report", [("one", faulty_report), ("fleet", fleet_report)])
def test_a_phone_400_px_wide_never_scrolls_sideways(browser, shots, name, report):
    page = browser.open(write(report(), shots, f"readycheck-{name}"), 400)
    page.screenshot(shots / f"readycheck-{name}-400.png")
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert viewport == 400 and width <= viewport, f"the page is {width} px wide in a {viewport} px viewport"
    # What would overflow does so inside a box of its own, which scrolls: the GPU table and the matrix.
    boxes = page.evaluate("[...document.querySelectorAll('.scroll')].filter(b => b.scrollWidth > b.clientWidth)"
                          ".map(b => b.firstElementChild.className)")
    assert "gpus" in boxes
    # The findings reflow instead: every cell of the attention table fits the screen.
    assert page.evaluate("Math.max(...[...document.querySelectorAll('table.attention td')]"
                         ".map(td => td.getBoundingClientRect().right))") <= viewport


@pytest.mark.parametrize("width", [800, 1024, 1280])
@pytest.mark.parametrize("name, report", [("one", faulty_report), ("fleet", fleet_report)])
def test_on_a_desktop_every_table_outside_a_scroll_box_fits_the_page_column(browser, shots, name, report, width):
    """A long observed value (a list of throttle reasons, a hostile name) once made the findings table
    wider than the page's column, and the fleet's page scroll sideways at 1280 px."""
    page = browser.open(write(report(), shots, f"readycheck-{name}-{width}"), width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    column = page.evaluate("(() => { const m = document.querySelector('main'); const style = getComputedStyle(m);"
                           " return m.getBoundingClientRect().right - parseFloat(style.paddingRight); })()")
    overflowing = page.evaluate(f"[...document.querySelectorAll('main table')].filter(t => !t.closest('.scroll')"
                                f" && t.getBoundingClientRect().right > {column} + 1).map(t => t.className)")
    assert overflowing == []


def test_printed_a_one_node_report_starts_on_page_1_and_its_topology_matrix_stays_whole(browser, shots):
    report = faulty_report()
    page = browser.open(write(report, shots, "readycheck-one"), 1280)
    page.screenshot(shots / "readycheck-one-1280.png")
    first = report.nodes[0].decision.blocking[0]
    for paper, (width, height) in PAPERS.items():
        pages = pdf_pages(page.pdf(shots / f"readycheck-one-{paper}.pdf", width, height))
        assert "NOT READY" in pages[0] and "Needs attention" in pages[0], paper
        assert first.message.split(":")[0] in pages[0] and first.check in pages[0], paper
        (where,) = [number for number, text in enumerate(pages) if "GPU topology" in text]
        # 56 NVLink cells, the legend after them, all on the page with the heading
        assert pages[where].count("NV18") == 56 and "NV#: NVLink" in pages[where], paper


def test_printed_no_table_row_is_cut_across_pages(browser, shots):
    """Sixty findings whose text runs over several lines, each marked at its start and at its end:
    on every paper size each one's two marks print on the same page."""
    report = faulty_report()
    node = report.nodes[0]
    filler = "the link trained below its width and the remedy is long enough to wrap over several lines " * 2
    findings = tuple(Finding(f"pcie.link{n}", "fail", f"gpu{n % 8}", message=f"ROW{n:02d}START {filler}",
                             remedy=f"reseat the card, then re-run ROW{n:02d}END") for n in range(60))
    node.decision = dataclasses.replace(node.decision, findings=findings, blocking=findings)
    page = browser.open(write(report, shots, "readycheck-rows"), 1280)
    for paper, (width, height) in PAPERS.items():
        pages = pdf_pages(page.pdf(shots / f"readycheck-rows-{paper}.pdf", width, height))
        assert len(pages) > 2, paper
        for n in range(60):
            starts = [p for p, text in enumerate(pages) if f"ROW{n:02d}START" in text]
            ends = [p for p, text in enumerate(pages) if f"ROW{n:02d}END" in text]
            assert len(starts) == 1 and starts == ends, f"{paper}: row {n} starts on {starts}, ends on {ends}"
