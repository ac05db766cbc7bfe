"""The HTML report: self-contained, verdict and remedies first, inventory, pictures, racks, fleets."""

from __future__ import annotations

import copy
import dataclasses
import math

import pytest
from factsbuilder import hgx_h100, platform, with_gpu
from lxml import html
from test_report_formats import FAULTY, GOLDEN_VERSION, HEALTHY, faulty_report, judged, rack

from readycheck.facts import load_snapshot
from readycheck.findings import Finding
from readycheck.report import render
from readycheck.report.html import gauge


def page(report) -> html.HtmlElement:
    return html.fromstring(render(report, "html"))


def texts(elements) -> list[str]:
    return [" ".join(e.text_content().split()) for e in elements]


def test_self_contained_no_script_no_url():
    out = render(faulty_report(), "html")
    doc = html.fromstring(out)
    assert not doc.xpath("//script | //link | //img | //iframe | //object | //embed | //*[@src]")
    assert all(href.startswith("#") for href in doc.xpath("//@href"))
    assert "://" not in out and "url(" not in out and "@import" not in out and "@font-face" not in out
    assert "@media print" in out


def test_verdict_banner_then_attention_with_remedies_then_every_check():
    doc = page(faulty_report())
    assert texts(doc.xpath("//header[@id='verdict']//h1")) == ["NOT READY"]
    rows = doc.xpath("//table[@class='attention']/tbody/tr")
    statuses = [row.get("class") for row in rows]
    assert statuses[:5] == ["fail"] * 5 and "skip" not in statuses and "pass" not in statuses
    first = texts(rows[0].xpath("td"))
    assert first[1] == "driver.fabricmanager" and "→ install nvidia-fabricmanager 580.95.05" in first[3]
    every = texts(doc.xpath("//table[@class='checks']//td[1]"))
    assert "thermal.margin" in every and "health.retired_pages" in every and len(every) == len(set(every))
    areas = texts(doc.xpath("//table[@class='checks']//tr[@class='area']"))
    assert areas[:3] == ["Drivers", "GPUs", "GPU health"] and "PCIe" in areas
    pcie = doc.xpath("//table[@class='checks']//tr[td[1]='pcie.link']")[0]
    assert pcie.get("class") == "fail" and "7 pass; fail: gpu2" in pcie.text_content()


def test_inventory_for_procurement():
    doc = page(faulty_report())
    facts = load_snapshot(FAULTY)
    inventory = " ".join(texts(doc.xpath("//dl[@class='inv']")))
    dmi = facts["host"]["dmi"]
    for value in (dmi["sys_vendor"], dmi["product_name"], dmi["product_serial"], dmi["bios_version"]):
        assert value in inventory
    rows = doc.xpath("//table[@class='gpus']/tbody/tr")
    assert len(rows) == 8
    for row, gpu in zip(rows, facts["gpus"]):
        cells = texts(row.xpath("td"))
        assert cells == [str(gpu["index"]), gpu["name"], gpu["serial"], gpu["uuid"], gpu["board_part_number"],
                         gpu["vbios_version"], gpu["pci_bus_id"], str(gpu["memory_total_mib"])]
    hcas = [texts(row.xpath("td")) for row in doc.xpath("//table[@class='hcas']/tbody/tr")]
    assert len(hcas) == 8 and all(cells[2] == "28.39.1002" and cells[3] == "MT_0000000838" for cells in hcas)
    meta = doc.xpath("//section[@class='node']/p[@class='meta']")[0].text_content()
    assert "2026-11-27T12:00:00Z" in meta and GOLDEN_VERSION in meta and "hgx-h100" in meta and "0" * 64 in meta


def test_unread_values_say_why():
    facts = with_gpu(hgx_h100(), 1, reason="NoPermission", serial=None)
    facts = with_gpu(facts, 2, reason="GpuIsLost", temperature_gpu_c=None, power_draw_w=None)
    doc = page(judged(facts))
    assert texts(doc.xpath("//table[@class='gpus']/tbody/tr[2]/td[3]")) == ["n/a (NoPermission)"]
    assert texts(doc.xpath("//table[@class='readings']/tbody/tr[3]/td"))[1:] == ["not read", "not read"]


def test_bars_take_the_colour_of_their_gpus_findings():
    doc = page(faulty_report())
    rows = doc.xpath("//table[@class='readings']/tbody/tr")
    assert len(rows) == 8
    temperature = [row.xpath("td[2]/svg/rect/@class")[0] for row in rows]
    assert temperature == ["pass"] * 5 + ["fail"] + ["pass"] * 2  # thermal.throttle fails on gpu5
    assert rows[0].xpath("td[2]/svg/rect/@width") == ["34.8%"]  # 31 of 89 °C
    assert rows[0].xpath("td[3]/svg/rect/@width") == ["9.8%"]  # 68.5 of 700 W
    assert texts(rows[0].xpath("td[2]")) == ["31 / 89 °C"]


def test_topology_matrix_coloured_by_link_type():
    doc = page(faulty_report())
    cells = doc.xpath("//table[@class='topo']/tbody/tr/td")
    assert len(cells) == 64
    assert [c.get("class") for c in cells].count("l-NV") == 56 and texts(cells[1:2]) == ["NV18"]
    pcie = page(judged(platform("l40s")))
    assert {c.get("class") for c in pcie.xpath("//table[@class='topo']/tbody/tr/td")} == {"self", "l-SYS"}
    assert "SYS: across NUMA nodes" in pcie.xpath("//p[@class='legend']")[0].text_content()


def test_load_phase_series_when_present():
    facts = hgx_h100(gpus=2)
    facts["load"] = {"backend": "test", "seconds": 10, "interval_s": 1, "errors": [], "samples": [
        {"t": t, "gpu": g, "power_draw_w": 600.0 + t, "temperature_gpu_c": 60 + t, "temperature_memory_c": 70,
         "clocks_sm_mhz": 1980, "clocks_event_reasons": []} for t in range(11) for g in range(2)]}
    doc = page(judged(facts))
    charts = doc.xpath("//svg[@class='series']")
    assert len(charts) == 2 and all(len(chart.xpath("polyline")) == 2 for chart in charts)
    assert len(charts[0].xpath("polyline")[0].get("points").split()) == 11
    assert page(faulty_report()).xpath("//svg[@class='series']") == []


def test_rack_gauges_and_fleet_table():
    healthy, faulty = load_snapshot(HEALTHY), load_snapshot(FAULTY)
    racks = [rack("B07", 20.4, ["gpu-b07-03", "gpu-b07-04"]), rack("B08", None, ["gpu-b08-01"]),
             rack("B09", 40.0, ["gpu-b09-01"])]
    report = judged(healthy, faulty, racks=racks)
    report.rack_findings = [Finding("power.rack_budget", "fail", "rack:B09", 40.0, 30.0, "over budget",
                                    "move a node to another rack")]
    doc = page(report)
    assert texts(doc.xpath("//header[@id='verdict']/p[1]")) == ["1 of 2 nodes ready, 3 racks"]
    fleet = doc.xpath("//table[@class='fleet']/tbody/tr")
    assert [row.get("class") for row in fleet] == ["ready", "not-ready"]
    assert texts(fleet[1].xpath("td"))[-1] == "B07" and fleet[1].xpath("td[1]/a/@href") == ["#node-1"]
    sections = doc.xpath("//div[@class='rack']")
    assert [s.get("id") for s in sections] == ["rack-0", "rack-1", "rack-2"]
    b07, b08, b09 = sections
    arc = b07.xpath(".//svg[@class='gauge']/path")
    assert arc[1].get("class") == "none" and arc[1].get("d").endswith(f"{gauge(0.68)['x']},{gauge(0.68)['y']}")
    assert "68%" in b07.xpath(".//svg")[0].text_content()
    assert b07.xpath(".//p[last()]/a/@href") == ["#node-0", "#node-1"]
    assert len(b08.xpath(".//svg/path")) == 1 and "unknown" in b08.xpath(".//svg")[0].text_content()
    assert b09.xpath(".//svg/path/@class")[1] == "fail" and "133%" in b09.xpath(".//svg")[0].text_content()
    assert "move a node to another rack" in b09.xpath(".//table[@class='attention']")[0].text_content()
    assert len(b09.xpath(".//table[@class='feeds']/tbody/tr")) == 2


def test_gauge_geometry():
    assert gauge(None) is None
    assert gauge(0.0) == {"x": 20.0, "y": 100.0, "percent": "0%"}
    assert gauge(0.5) == {"x": 100.0, "y": 20.0, "percent": "50%"}
    assert gauge(2.0)["x"] == 180.0 and gauge(2.0)["percent"] == "200%"
    assert gauge(math.inf)["percent"] == "over budget"


def test_a_fleet_of_1000_nodes_stays_under_10_mb():
    base = judged(load_snapshot(HEALTHY), load_snapshot(FAULTY))
    healthy, faulty = base.nodes
    nodes = [dataclasses.replace(faulty if n % 10 == 0 else healthy, node=f"gpu-{n:04d}") for n in range(1000)]
    racks = [rack(f"R{r:03d}", 20.4, [n.node for n in nodes[r * 8:r * 8 + 8]]) for r in range(125)]
    report = copy.copy(base)
    report.nodes, report.racks = nodes, racks
    size = len(render(report, "html").encode("utf-8"))
    assert size < 10_000_000, f"{size / 1e6:.2f} MB"


@pytest.mark.parametrize("pack", ["rtx4090-workstation", "l40s"])
def test_other_platforms_render(pack):
    doc = page(judged(platform(pack)))
    assert len(doc.xpath("//table[@class='gpus']/tbody/tr")) == len(platform(pack)["gpus"])


def test_a_node_blocked_only_by_its_rack_shows_the_rack_finding_in_its_section():
    import json
    from pathlib import Path

    from readycheck.report import render
    from readycheck.run import judge_snapshots
    from readycheck.site import load as load_site

    repo = Path(__file__).resolve().parent.parent
    healthy = json.loads((repo / "examples" / "hgx-h100-healthy.json").read_text())
    report = judge_snapshots([healthy], None, load_site(repo / "examples" / "site.toml"))
    assert report.nodes[0].verdict == "not-ready" and not any(f.status == "fail" for f in report.nodes[0].findings)
    page = render(report, "html")
    section = page[page.index('id="node-0"'):]
    assert "power.rack_budget" in section[:section.index("Every check, by area")]
