"""The HTML report's inventory: the drives with their PCIe links, and the order item by item when one is given."""

from __future__ import annotations

from factsbuilder import hgx_h100, with_gpu
from lxml import html
from test_order import ORDERS
from test_report_formats import FAULTY, HOSTILE_HOST

from readycheck import rulepack
from readycheck.facts import load_snapshot
from readycheck.order import Order, load
from readycheck.report import render
from readycheck.run import judge_snapshots


def page(facts, order=None):
    report = judge_snapshots([facts], rulepack.load("hgx-h100"), None, order=order)
    return html.fromstring(render(report, "html"))


def texts(elements) -> list[str]:
    return [" ".join(e.text_content().split()) for e in elements]


def rows(doc, table):
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("td")]
            for row in doc.xpath(f"//table[@class='{table}']/tbody/tr")]


def test_drives_are_listed_with_size_and_a_short_link_shown():
    doc = page(load_snapshot(FAULTY))
    alike = [p for p in texts(doc.xpath("//p[@class='alike']")) if "drives" in p]
    assert alike == ["All 8 drives: model SAMSUNG MZQL23T8HCLS-00A07; size 3.84 TB; transport nvme"]
    drives = rows(doc, "drives")
    assert len(drives) == 8
    assert drives[0] == ["nvme0n1", "S64HNE0T500000", "x4 Gen4", "0"]
    assert drives[3][2] == "x2 Gen4 of x4 Gen4"


def test_an_unread_drive_field_says_why():
    facts = hgx_h100()
    facts["host"]["block_devices"][1].update(serial=None, pcie_link_width_current=None, size_bytes=None)
    facts["host"]["block_devices"][1]["unavailable"].update(serial="NoPermission", pcie_link_width_current="NotFound",
                                                           size_bytes="NotFound")
    doc = page(facts)
    header = texts(doc.xpath("//table[@class='drives']/thead/tr/th"))
    drive = dict(zip(header, rows(doc, "drives")[1]))
    assert drive["serial"] == "not read (NoPermission)" and drive["PCIe link"] == "not read (NotFound)"
    assert drive["size"] == "not read (NotFound)"
    assert rows(doc, "drives")[0][header.index("size")] == "3.84 TB"


def test_the_order_match_item_by_item_names_a_swapped_gpu():
    doc = page(with_gpu(hgx_h100(), 5, serial="1650124039999"), load(ORDERS / "dgx-h100.csv"))
    items = {row[0]: row for row in rows(doc, "order")}
    assert list(items) == ["system_model", "cpu_model", "memory_gib", "gpu_model", "gpu_count", "gpu_serials",
                           "hca_count", "nvme"]
    serials = items["gpu_serials"]
    assert serials[1] == "fail" and serials[4] == ("on the order, not found: 1650124031595; "
                                                   "found, not on the order: 1650124039999 (gpu5)")
    assert {row[1] for name, row in items.items() if name != "gpu_serials"} == {"pass"}


def test_no_order_no_order_table_and_hostile_values_stay_text():
    assert not page(hgx_h100()).xpath("//table[@class='order']")
    facts = hgx_h100()
    facts["host"]["block_devices"][0]["model"] = HOSTILE_HOST
    doc = page(facts, Order(path="o.toml", items={"cpu_model": HOSTILE_HOST}))
    header = texts(doc.xpath("//table[@class='drives']/thead/tr/th"))
    assert rows(doc, "drives")[0][header.index("model")] == " ".join(HOSTILE_HOST.split())
    assert not doc.xpath("//img | //script")
