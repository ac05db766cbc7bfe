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


def checks_listed(doc) -> list[str]:
    cells = texts(doc.xpath(".//table[@class='checks']/tbody/tr/td[1]"))
    return [check for cell in cells for check in cell.split(", ")]


def test_verdict_banner_then_attention_with_remedies_then_every_check():
    report = faulty_report()
    doc = page(report)
    assert texts(doc.xpath("//header[@id='verdict']//h1")) == ["NOT READY"]
    rows = doc.xpath("//table[@class='attention']/tbody/tr")
    statuses = [row.get("class") for row in rows]
    assert statuses[:5] == ["fail"] * 5 and "skip" not in statuses and "pass" not in statuses
    first = texts(rows[0].xpath("td"))
    assert first[1] == "driver.fabricmanager" and "→ install nvidia-fabricmanager 580.95.05" in first[3]
    every = checks_listed(doc)
    assert sorted(every) == sorted({f.check for f in report.nodes[0].findings}), "each check listed once"
    areas = texts(doc.xpath("//table[@class='checks']/tbody/tr/th"))
    assert areas[:3] == ["Drivers", "GPUs", "GPU health"] and "PCIe" in areas
    pcie = doc.xpath("//table[@class='checks']//tr[td[1]='pcie.link']")[0]
    assert pcie.get("class") == "fail" and "7 pass; fail: gpu2" in pcie.text_content()
    passed = doc.xpath("//table[@class='checks']//tr[td[1]='nvlink.links, nvlink.errors, nvlink.fabric']")[0]
    assert passed.get("class") == "pass" and texts(passed.xpath("td"))[1:] == ["pass", "24 pass"]


def test_skips_say_why():
    doc = page(faulty_report())
    retired = doc.xpath("//table[@class='checks']//tr[td[1]='health.retired_pages']")[0]
    assert retired.get("class") == "skip"
    assert "skip: gpu0, gpu1, gpu2, gpu3, gpu4, gpu5, gpu6, gpu7 (this GPU repairs memory by row remapping" in (
        retired.text_content())
    idle = doc.xpath("//table[@class='checks']//tr[starts-with(td[1], 'load.power_reached')]")[0]
    assert "(no load phase ran" in idle.text_content() and len(texts(idle.xpath("td"))[0].split(", ")) == 5


def test_remedies_show_commands_as_code_and_facts_cannot_add_markup():
    doc = page(faulty_report())
    remedy = doc.xpath("//table[@class='attention']/tbody/tr[td[2]='driver.fabricmanager']//span[@class='remedy']")[0]
    assert texts(remedy.xpath("code")) == ["systemctl enable --now nvidia-fabricmanager"] and "`" not in (
        remedy.text_content())
    report = judged(load_snapshot(FAULTY))
    hostile = Finding("a.check", "fail", "host", message="see `<b>x</b>` & `y", remedy="run `rm -rf <i>/`")
    report.nodes[0].decision = dataclasses.replace(report.nodes[0].decision,
                                                    findings=(hostile,), blocking=(hostile,))
    row = page(report).xpath("//table[@class='attention']/tbody/tr")[0]
    cell = row.xpath("td[4]")[0]
    assert not cell.xpath(".//b | .//i") and texts(cell.xpath(".//code")) == ["<b>x</b>", "rm -rf <i>/"]
    assert cell.text_content().startswith("see <b>x</b> & `y")
    assert texts(cell.xpath("span[@class='remedy']")) == ["→ run rm -rf <i>/"]


def test_inventory_for_procurement():
    doc = page(faulty_report())
    facts = load_snapshot(FAULTY)
    inventory = " ".join(texts(doc.xpath("//dl[@class='inv']")))
    dmi = facts["host"]["dmi"]
    for value in (dmi["sys_vendor"], dmi["product_name"], dmi["product_serial"], dmi["bios_version"]):
        assert value in inventory
    assert "memory2,048.0 GiB" in inventory and "PSUsnone reported (NotFound)" in inventory
    gpu = facts["gpus"][0]
    alike = texts(doc.xpath("//p[@class='alike']"))
    assert alike[0] == (f"All 8 GPUs: model {gpu['name']}; board part number {gpu['board_part_number']}; VBIOS "
                        f"{gpu['vbios_version']}; InfoROM {gpu['inforom_version']}; memory 81559 MiB")
    rows = doc.xpath("//table[@class='gpus']/tbody/tr")
    assert len(rows) == 8
    for row, gpu in zip(rows, facts["gpus"]):
        cells = texts(row.xpath("td"))
        assert [cells[0], cells[1], cells[4], cells[5]] == [str(gpu["index"]), gpu["serial"], gpu["pci_bus_id"],
                                                            gpu["uuid"]]
    assert "firmware 28.39.1002; board id (PSID) MT_0000000838" in alike[1]
    assert len(doc.xpath("//table[@class='hcas']/tbody/tr")) == 8
    nics = [texts(row.xpath("td")) for row in doc.xpath("//table[@class='nics']/tbody/tr")]
    assert nics == [["eno1", "up", "25 Gb/s", "1500", "mlx5_core", "0000:c1:00.0", "1"]]
    meta = doc.xpath("//section[@class='node']/p[@class='meta']")[0].text_content()
    assert "2026-11-27T12:00:00Z" in meta and GOLDEN_VERSION in meta and "hgx-h100" in meta and "0" * 64 in meta
    assert "Report generated 2026-11-27T12:30:00Z" in doc.xpath("//p[@id='generated']")[0].text_content()


def test_psus_and_a_gpu_that_differs_get_their_own_columns():
    facts = hgx_h100()
    facts["host"]["psus"] = [{"name": f"PSU{n}", "present": True, "ok": n != 2, "capacity_w": 3300.0}
                             for n in range(6)]
    facts["host"]["psus"][5].update(capacity_w=None, unavailable={"capacity_w": "NotFound"})
    facts = with_gpu(facts, 3, vbios_version="96.00.99.00.01")
    doc = page(judged(facts))
    psus = [texts(row.xpath("td")) for row in doc.xpath("//table[@class='psus']/tbody/tr")]
    assert psus[2] == ["PSU2", "yes", "no", "3300 W"] and psus[5][3] == "not read (NotFound)"
    assert "VBIOS" not in texts(doc.xpath("//p[@class='alike']"))[0]
    header = texts(doc.xpath("//table[@class='gpus']/thead/tr/th"))
    vbios = [texts(row.xpath("td"))[header.index("VBIOS")] for row in doc.xpath("//table[@class='gpus']/tbody/tr")]
    assert vbios.count("96.00.99.00.01") == 1 and len(set(vbios)) == 2


def test_unread_values_say_why_without_a_unit():
    facts = with_gpu(hgx_h100(), 1, reason="NoPermission", serial=None)
    facts = with_gpu(facts, 2, reason="GpuIsLost", temperature_gpu_c=None, power_draw_w=None, memory_total_mib=None)
    doc = page(judged(facts))
    rows = doc.xpath("//table[@class='gpus']/tbody/tr")
    assert texts(rows[1].xpath("td[2]")) == ["not read (NoPermission)"]
    header = texts(doc.xpath("//table[@class='gpus']/thead/tr/th"))
    gpu2 = texts(rows[2].xpath("td"))
    assert gpu2[2:4] == ["not read (GpuIsLost)", "not read (GpuIsLost)"]
    assert gpu2[header.index("memory")] == "not read (GpuIsLost)" and "MiB" not in gpu2[header.index("memory")]
    assert "n/a" not in doc.text_content()


def test_bars_say_the_status_of_the_check_that_judges_their_reading():
    doc = page(faulty_report())
    rows = doc.xpath("//table[@class='gpus']/tbody/tr")
    assert len(rows) == 8
    # thermal.throttle fails on gpu5 (a power brake): its temperature, 31 of 89 °C, is judged a pass
    assert [row.xpath("td[3]/@class")[0] for row in rows] == ["bar pass"] * 8
    assert texts(rows[5].xpath("td[3]")) == ["31 / 89 °C: pass"]
    assert rows[0].xpath("td[3]/@style") == ["--w:35%"] and rows[0].xpath("td[4]/@style") == ["--w:10%"]
    assert texts(rows[0].xpath("td[4]")) == ["68.5 / 700 W: pass"]
    hot = page(judged(with_gpu(hgx_h100(), 4, temperature_gpu_c=85)))
    cell = hot.xpath("//table[@class='gpus']/tbody/tr[5]/td[3]")[0]
    assert cell.get("class") == "bar fail" and texts([cell]) == ["85 / 89 °C: fail"]


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
    # each GPU's line has its own dash pattern too, and the legend draws it beside the GPU's name
    legend = doc.xpath("//figure[1]/p[@class='legend']/span")
    assert texts(legend) == ["GPU0", "GPU1"] and [s.xpath("svg/line/@class")[0] for s in legend] == ["g0", "g1"]
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


def test_a_fleet_of_1000_nodes_all_not_ready_stays_under_10_mb():
    base = judged(load_snapshot(FAULTY))
    (faulty,) = base.nodes
    nodes = [dataclasses.replace(faulty, node=f"gpu-{n:04d}") for n in range(1000)]
    racks = [rack(f"R{r:03d}", 20.4, [n.node for n in nodes[r * 8:r * 8 + 8]]) for r in range(125)]
    report = copy.copy(base)
    report.nodes, report.racks = nodes, racks
    size = len(render(report, "html").encode("utf-8"))
    assert size < 10_000_000, f"{size / 1e6:.2f} MB"


def test_a_fleet_lists_every_serial_once_and_what_reads_the_same_once():
    healthy = load_snapshot(HEALTHY)
    healthy["host"]["hostname"] = "gpu-b07-03"
    report = judged(load_snapshot(FAULTY), healthy)
    doc = page(report)
    rows = doc.xpath("//table[@class='serials']/tbody/tr")
    facts = load_snapshot(FAULTY)
    parts_per_node = 2 + len(facts["gpus"]) + len(facts["host"]["block_devices"])
    assert len(rows) == 2 * parts_per_node
    assert texts(rows[0].xpath("th | td")) == ["gpu-b07-04", "system", facts["host"]["dmi"]["product_serial"]]
    assert rows[0].xpath("th/@rowspan") == [str(parts_per_node)]
    assert texts(rows[2].xpath("td")) == ["gpu0", facts["gpus"][0]["serial"]]
    assert texts(rows[parts_per_node + 10].xpath("td")) == ["nvme0n1", facts["host"]["block_devices"][0]["serial"]]
    common = checks_listed(doc.xpath("//section[@id='common']")[0])
    per_node = [checks_listed(section) for section in doc.xpath("//section[@class='node']")]
    assert "nvlink.links" in common and "health.retired_pages" in common and "pcie.link" not in common
    for listed in per_node:
        assert not set(listed) & set(common) and "pcie.link" in listed
        assert sorted(listed + common) == sorted({f.check for f in report.nodes[0].findings})
    # the second node's matrix reads like the first's: it is drawn once
    assert len(doc.xpath("//table[@class='topo']")) == 1
    assert doc.xpath("//p[contains(@class, 'topo-same')]/a/@href") == ["#node-0"]


def test_a_fleet_draws_load_series_for_nodes_whose_load_checks_did_not_pass_only():
    def loaded(name: str, watts: float, clock_mhz: float = 1980) -> dict:
        facts = hgx_h100(gpus=2)
        facts["host"]["hostname"] = name
        facts["load"] = {"backend": "test", "seconds": 10, "interval_s": 1, "errors": [], "status": "completed",
                         "samples": [{"t": t, "gpu": g, "power_draw_w": watts, "temperature_gpu_c": 60,
                                      "temperature_memory_c": 70, "clocks_sm_mhz": clock_mhz,
                                      "clocks_event_reasons": []}
                                     for t in range(11) for g in range(2)]}
        return facts

    # low-power: 100 W of 700 W below its maximum clock, so not limited by the workload: load.power_reached fails
    report = judged(loaded("full-power", 690.0), loaded("low-power", 100.0, clock_mhz=1100))
    load_failed = {n.node for n in report.nodes if any(f.check.startswith("load.") and f.status == "fail"
                                                       for f in n.decision.findings)}
    assert load_failed == {"low-power"}
    sections = {s.get("id"): s for s in page(report).xpath("//section[@class='node']")}
    assert sections["node-0"].xpath(".//svg[@class='series']") == []
    assert "drawn in a fleet report for the first 20 nodes" in sections["node-0"].text_content()
    assert len(sections["node-1"].xpath(".//svg[@class='series']")) == 2


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
