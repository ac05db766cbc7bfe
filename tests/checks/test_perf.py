"""The six perf checks on a healthy 8 x H100 --perf run (perfbuilder), with one fault each, under hgx-h100's floors."""

from __future__ import annotations

import copy

import pytest
from factsbuilder import hgx_h100, judged_node, run_check
from perfbuilder import changed, healthy, slow_gpu, slow_hca, slow_nccl, slow_pair

from readycheck import rulepack
from readycheck.checks import (
    perf_gemm,
    perf_ib_bandwidth,
    perf_memory_bandwidth,
    perf_nccl,
    perf_nvlink_bandwidth,
    perf_pcie_bandwidth,
)
from readycheck.perf.results import unavailable

CHECKS = (perf_pcie_bandwidth, perf_memory_bandwidth, perf_gemm, perf_nvlink_bandwidth, perf_nccl, perf_ib_bandwidth)


def findings(module, facts, pack="hgx-h100", **overrides):
    return {f.subject: f for f in run_check(module.ID, copy.deepcopy(facts), pack, **overrides)}


def statuses(module, facts, **overrides):
    return {subject: f.status for subject, f in findings(module, facts, **overrides).items()}


@pytest.mark.parametrize("module", CHECKS)
def test_a_healthy_run_passes_every_subject(module):
    found = findings(module, healthy())
    assert found and {f.status for f in found.values()} == {"pass"}, found


def test_subjects_are_gpus_pairs_ports_and_the_host():
    facts = healthy()
    assert set(findings(perf_pcie_bandwidth, facts)) == {f"gpu{i}" for i in range(8)}
    pairs = set(findings(perf_nvlink_bandwidth, facts))
    assert len(pairs) == 28 and "gpu2-gpu5" in pairs and "gpu5-gpu2" not in pairs
    assert set(findings(perf_ib_bandwidth, facts)) == {f"mlx5_{i}/1" for i in range(8)}
    assert set(findings(perf_nccl, facts)) == {"host"}


def test_one_slow_gpu_fails_pcie_on_that_gpu_against_the_floor_and_the_median():
    found = findings(perf_pcie_bandwidth, slow_gpu(3))
    assert {s for s, f in found.items() if f.status == "fail"} == {"gpu3"}
    message = found["gpu3"].message
    assert "h2d 27.6 GB/s is below the pack's floor 48 GB/s" in message and "50% below the node's median" in message


def test_the_median_alone_catches_a_gpu_above_the_floor():
    # 44 GB/s clears no floor here, but a pack without one still sees it 20% under its seven peers.
    facts = changed(healthy(), "gpus", {"index": 6}, d2h_gb_per_s=44.0)
    found = findings(perf_pcie_bandwidth, facts, "base")  # base sets no floor
    assert found["gpu6"].status == "fail" and "20% below the node's median" in found["gpu6"].message
    assert found["gpu0"].status == "pass" and "median only (the rule pack sets no floor)" in found["gpu0"].message


def test_one_slow_pair_fails_nvlink_on_that_pair():
    found = findings(perf_nvlink_bandwidth, slow_pair(2, 5))
    assert {s for s, f in found.items() if f.status == "fail"} == {"gpu2-gpu5"}
    assert "185.2 GB/s is below the pack's floor 335 GB/s" in found["gpu2-gpu5"].message


def test_a_slow_nccl_run_fails_on_host():
    found = findings(perf_nccl, slow_nccl(240.0))
    assert found["host"].status == "fail" and "below the pack's floor 460 GB/s" in found["host"].message
    assert found["host"].observed == "240 GB/s"


def test_an_nccl_run_over_fewer_gpus_than_the_node_has_fails():
    found = findings(perf_nccl, changed(healthy(), "nccl", {"op": "all_reduce"}, ranks=7))
    assert found["host"].status == "fail" and "the node has 8 GPUs" in found["host"].message


def test_one_slow_hca_fails_ib_bandwidth_on_that_port():
    found = findings(perf_ib_bandwidth, slow_hca("mlx5_3"))
    assert {s for s, f in found.items() if f.status == "fail"} == {"mlx5_3/1"}
    assert "196.5 Gb/s is below the pack's floor 380 Gb/s" in found["mlx5_3/1"].message


def test_slow_memory_and_gemm_fail_on_their_gpu():
    facts = changed(healthy(), "gpus", {"index": 1}, memory_bandwidth_gb_per_s=1500.0, gemm_tflops__bf16=410.0)
    assert statuses(perf_memory_bandwidth, facts)["gpu1"] == "fail"
    gemm = findings(perf_gemm, facts)
    assert gemm["gpu1"].status == "fail" and gemm["gpu1"].message.startswith("bf16 410 TFLOPS is 38% below")
    assert gemm["gpu0"].status == "pass"


def test_fp8_on_a_gpu_without_it_is_left_out_not_unknown():
    facts = healthy()
    for gpu in facts["perf"]["gpus"]:
        gpu["gemm_tflops"]["fp8"] = None
        gpu["gemm_tflops"]["unavailable"]["fp8"] = "NotSupported"
    found = findings(perf_gemm, facts)
    assert {f.status for f in found.values()} == {"pass"} and "fp8" not in found["gpu0"].observed


@pytest.mark.parametrize("module", CHECKS)
def test_without_perf_every_check_skips_as_not_run(module):
    found = findings(module, hgx_h100())
    assert found["host"].status == "skip" and found["host"].message.startswith("not run")


@pytest.mark.parametrize("module", CHECKS)
def test_perf_without_a_gpu_is_unknown_with_the_reason(module):
    facts = hgx_h100()
    facts["perf"] = unavailable(150, "NVML found no GPU (NVML not available: libnvidia-ml.so.1 not found)")
    found = findings(module, facts)
    assert found["host"].status == "unknown" and "libnvidia-ml.so.1 not found" in found["host"].message


def test_a_test_no_tool_could_run_is_unknown_naming_the_missing_tool():
    facts = healthy()
    facts["perf"].update(ib=[], nccl=[], unavailable={"ib": "NotFound", "nccl": "NotFound"},
                         errors=["ib: ib_write_bw (perftest) not on PATH",
                                 "nccl: all_reduce_perf (nccl-tests) not on PATH",
                                 "nccl: PyTorch is not installed (pip install 'readycheck[load]')"])
    ib = findings(perf_ib_bandwidth, facts)["host"]
    assert ib.status == "unknown" and ib.message == ("InfiniBand bandwidth not measured (NotFound: ib_write_bw "
                                                     "(perftest) not on PATH)")
    nccl = findings(perf_nccl, facts)["host"]
    assert nccl.status == "unknown" and "all_reduce_perf (nccl-tests) not on PATH; PyTorch" in nccl.message


def test_a_gpu_cut_off_by_the_time_limit_is_unknown_and_the_others_judged():
    facts = changed(healthy(), "gpus", {"index": 7}, memory_bandwidth_gb_per_s=None,
                    unavailable={"memory_bandwidth_gb_per_s": "Timeout"})
    found = findings(perf_memory_bandwidth, facts)
    assert found["gpu7"].status == "unknown" and "Timeout" in found["gpu7"].message
    assert found["gpu0"].status == "pass"


def test_pairs_not_connected_by_nvlink_skip_and_a_pcie_node_skips_once():
    facts = healthy()
    facts["topology"][0]["link"] = "SYS"  # gpu0-gpu1
    found = findings(perf_nvlink_bandwidth, facts)
    assert found["gpu0-gpu1"].status == "skip" and found["gpu0-gpu2"].status == "pass"
    for pair in facts["topology"]:
        pair["link"] = "PHB"
    assert statuses(perf_nvlink_bandwidth, facts) == {"host": "skip"}


def test_h20_clears_the_h100_floors_and_judges_against_the_median_only():
    found = findings(perf_nvlink_bandwidth, slow_pair(), pack="hgx-h20")
    assert found["gpu2-gpu5"].status == "fail" and "floor" not in found["gpu2-gpu5"].message
    assert "median only" in found["gpu0-gpu1"].message
    assert findings(perf_nccl, healthy(), pack="hgx-h20")["host"].status == "skip"


def test_the_engine_runs_the_perf_checks_from_the_pack():
    result = judged_node(slow_hca(), rulepack.load("hgx-h100"))
    perf = [f for f in result.findings if f.check.startswith("perf.") and f.status == "fail"]
    assert [(f.check, f.subject) for f in perf] == [("perf.ib_bandwidth", "mlx5_3/1")]
    assert result.verdict == "not-ready"


def test_an_nvlink_pair_without_peer_access_fails():
    facts = changed(healthy(), "p2p", {"gpu_a": 0, "gpu_b": 3}, bandwidth_gb_per_s=None, a_to_b_gb_per_s=None,
                    b_to_a_gb_per_s=None, unavailable={"bandwidth_gb_per_s": "NotSupported"})
    found = findings(perf_nvlink_bandwidth, facts)
    assert found["gpu0-gpu3"].status == "fail" and "no peer access" in found["gpu0-gpu3"].message
    assert "Fabric Manager" in found["gpu0-gpu3"].remedy


def test_gemm_with_no_tool_is_unknown_per_gpu_not_skipped_for_want_of_a_floor():
    facts = healthy()
    for gpu in facts["perf"]["gpus"]:
        gpu["gemm_tflops"] = {**{d: None for d in ("bf16", "fp16", "tf32", "fp8")},
                              "unavailable": {d: "NotFound" for d in ("bf16", "fp16", "tf32", "fp8")}}
    facts["perf"]["errors"] = ["gemm: PyTorch is not installed (pip install 'readycheck[load]')"]
    found = findings(perf_gemm, facts)
    assert set(found) == {f"gpu{i}" for i in range(8)} and {f.status for f in found.values()} == {"unknown"}
    assert found["gpu0"].message == ("not measured: bf16, fp16, tf32, fp8 (NotFound: PyTorch is not installed "
                                     "(pip install 'readycheck[load]'))")
