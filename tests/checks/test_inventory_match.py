"""inventory.match: the healthy HGX H100 facts against the DGX H100 order, in TOML and CSV, item by item."""

import pytest
from factsbuilder import hgx_h100, nvme_drive, run_check, with_gpu
from test_order import ORDERS

from readycheck.checks import inventory_match
from readycheck.order import Order, load

ORDER_FILES = [ORDERS / "dgx-h100.toml", ORDERS / "dgx-h100.csv"]


def run(facts, order):
    return {f.subject: f for f in run_check(inventory_match.ID, facts, "base", order=order)}


def order(**items):
    return Order(path="order.toml", items=items)


@pytest.mark.parametrize("path", ORDER_FILES)
def test_the_delivered_node_matches_its_order(path):
    findings = run(hgx_h100(), load(path))
    assert sorted(findings) == ["order:cpu_model", "order:gpu_count", "order:gpu_model", "order:gpu_serials",
                                "order:hca_count", "order:memory_gib", "order:nvme", "order:system_model"]
    assert {f.status for f in findings.values()} == {"pass"}, findings
    assert findings["order:nvme"].message == "8 NVMe drives of 3.84 TB"
    assert findings["order:memory_gib"].message == "MemTotal 2048.0 GiB"


@pytest.mark.parametrize("path", ORDER_FILES)
def test_a_swapped_gpu_is_named_both_ways(path):
    facts = with_gpu(hgx_h100(), 5, serial="1650124039999")
    finding = run(facts, load(path))["order:gpu_serials"]
    assert finding.status == "fail"
    assert finding.message == ("on the order, not found: 1650124031595; "
                               "found, not on the order: 1650124039999 (gpu5)")


def test_an_unreadable_serial_is_unknown_unless_a_stranger_is_found():
    wanted = [f"165012403159{n}" for n in range(8)]
    facts = with_gpu(hgx_h100(), 2, reason="NoPermission", serial=None)
    finding = run(facts, order(gpu_serials=wanted))["order:gpu_serials"]
    assert finding.status == "unknown" and finding.message == "gpu2 serial unavailable (NoPermission)"
    facts = with_gpu(facts, 3, serial="X")
    assert run(facts, order(gpu_serials=wanted))["order:gpu_serials"].status == "fail"


def test_a_missing_drive_other_models_and_less_memory_fail():
    facts = hgx_h100()
    facts["host"]["block_devices"] = [nvme_drive(n) for n in range(7)]
    facts["host"]["memory_total_mib"] = 1048576
    facts = with_gpu(facts, 1, name="NVIDIA H100 PCIe")
    findings = run(facts, order(nvme_count=8, nvme_size_tb=3.84, memory_gib=2048, gpu_model="H100 80GB HBM3",
                                cpu_model="AMD EPYC", system_model="DGXH100", hca_count=4))
    assert findings["order:nvme"].message == "7 NVMe drives of 3.84 TB, the order says 8"
    assert findings["order:memory_gib"].message == "MemTotal 1024.0 GiB, the order says 2048 GiB installed"
    assert findings["order:gpu_model"].message == "not H100 80GB HBM3: gpu1 NVIDIA H100 PCIe"
    assert findings["order:cpu_model"].message == "CPU Intel(R) Xeon(R) Platinum 8480+, the order says AMD EPYC"
    assert findings["order:hca_count"].message == "8 InfiniBand HCAs, the order says 4"
    assert findings["order:system_model"].status == "pass"
    assert {f.status for s, f in findings.items() if s != "order:system_model"} == {"fail"}


def test_nvme_serials_and_a_boot_drive_of_another_size():
    facts = hgx_h100()
    facts["host"]["block_devices"].append(dict(nvme_drive(8), size_bytes=1920383410176, serial="BOOT"))
    findings = run(facts, order(nvme_size_tb=3.84, nvme_count=8,
                                nvme_serials=[f"S64HNE0T50{n:04d}" for n in range(8)]))
    assert findings["order:nvme"].status == "pass"
    assert findings["order:nvme"].message == "8 NVMe drives of 3.84 TB; other NVMe: nvme8n1 1.92 TB"
    serials = findings["order:nvme_serials"]
    assert serials.status == "fail" and serials.message == "found, not on the order: BOOT (nvme8n1)"


def test_system_serial_and_hca_model():
    findings = run(hgx_h100(), order(system_serial="1562423000123", hca_model="MT4129"))
    assert findings["order:system_serial"].status == "pass"
    assert findings["order:hca_model"].status == "unknown"  # the built facts carry no hca_type: unread
    facts = hgx_h100()
    facts["infiniband"][0]["hca_type"] = "MT4123"  # a ConnectX-6 where the order says ConnectX-7
    finding = run(facts, order(hca_model="MT4129"))["order:hca_model"]
    assert finding.status == "fail" and "mlx5_0 MT4123" in finding.message and "also unread" in finding.message


def test_a_wrong_gpu_fails_even_when_another_gpu_s_name_is_unread():
    facts = with_gpu(with_gpu(hgx_h100(), 1, name="NVIDIA H100 PCIe"), 4, name=None, reason="GpuIsLost")
    finding = run(facts, order(gpu_model="H100 80GB HBM3"))["order:gpu_model"]
    assert finding.status == "fail" and "gpu1 NVIDIA H100 PCIe" in finding.message and "GpuIsLost" in finding.message


def test_unread_facts_are_unknown():
    facts = hgx_h100()
    facts["host"]["block_devices"] = []
    facts["host"]["unavailable"]["block_devices"] = "NotFound"
    facts["host"]["dmi"].update(product_name=None)
    facts["host"]["dmi"]["unavailable"]["product_name"] = "NoPermission"
    findings = run(facts, order(nvme_count=8, system_model="DGXH100"))
    assert findings["order:nvme"].status == "unknown"
    assert findings["order:system_model"].message == "product_name unavailable (NoPermission)"


@pytest.mark.parametrize("error", ["Timeout",
                                   "NotInSource: no ibstat or ibstatus among the imported captures (nvidia-smi-q)"])
def test_hcas_of_a_failed_or_absent_infiniband_probe_are_unknown_not_zero(error):
    facts = hgx_h100()
    facts["infiniband"] = []
    facts["probe_errors"] = [{"probe": "infiniband", "error": error}]
    findings = run(facts, order(hca_count=8, hca_model="MT4129"))
    for key in ("order:hca_count", "order:hca_model"):
        assert findings[key].status == "unknown" and findings[key].message == f"InfiniBand ports not read: {error}"


def test_no_hca_on_a_node_whose_probe_ran_still_fails_the_count():
    facts = hgx_h100()
    facts["infiniband"] = []
    finding = run(facts, order(hca_count=8))["order:hca_count"]
    assert finding.status == "fail" and finding.message == "0 InfiniBand HCAs, the order says 8"


def test_no_order_or_an_empty_one_is_skipped():
    assert [f.status for f in run_check(inventory_match.ID, hgx_h100(), "base")] == ["skip"]
    assert [f.status for f in run_check(inventory_match.ID, hgx_h100(), "base", order=order())] == ["skip"]


def test_gpus_lost_with_nvml_up_are_counted_as_missing_not_unread():
    facts = hgx_h100(gpus=0)  # NVML answers, no GPU enumerates: every GPU fell off the bus
    finding = run(facts, order(gpu_count=8))["order:gpu_count"]
    assert (finding.status, finding.observed) == ("fail", 0)
