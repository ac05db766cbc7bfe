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


def rows(doc, table):
    return [[" ".join(cell.text_content().split()) for cell in row.xpath("td")]
            for row in doc.xpath(f"//table[@class='{table}']/tbody/tr")]


def test_drives_are_listed_with_size_and_a_short_link_shown():
    drives = rows(page(load_snapshot(FAULTY)), "drives")
    assert len(drives) == 8
    assert drives[0] == ["nvme0n1", "SAMSUNG MZQL23T8HCLS-00A07", "S64HNE0T500000", "3.84", "nvme", "x4 Gen4", "0"]
    assert drives[3][5] == "x2 Gen4 of x4 Gen4"


def test_an_unread_drive_field_says_why():
    facts = hgx_h100()
    facts["host"]["block_devices"][1].update(serial=None, pcie_link_width_current=None)
    facts["host"]["block_devices"][1]["unavailable"].update(serial="NoPermission", pcie_link_width_current="NotFound")
    drive = rows(page(facts), "drives")[1]
    assert drive[2] == "n/a (NoPermission)" and drive[5] == "n/a (NotFound)"


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
    assert rows(doc, "drives")[0][1] == " ".join(HOSTILE_HOST.split())
    assert not doc.xpath("//img | //script")
