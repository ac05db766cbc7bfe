"""pcie.replays: at idle on real H100 captures (replays since the driver loaded); under load on the healthy HGX
H100 facts with the load phase's counters, against DCGM's limit for the link's generation and width."""

import pytest
from factsbuilder import hgx_h100, run_check, under_load, with_gpu
from test_import_formats import load

from readycheck.checks import pcie_replays

ID = pcie_replays.ID
PACK = "hgx-h100"


def run(facts, **settings):
    return {f.subject: f for f in run_check(ID, facts, PACK, **settings)}


def loaded_with(index, replays, seconds=300.0, gen=None, width=None):
    """Healthy facts after a load phase of `seconds` in which GPU `index` added `replays`, its link sampled at
    `gen` and `width` (default: its maximum, x16 Gen5)."""
    facts = under_load(hgx_h100(), seconds)
    facts["load"]["counters"]["end"][index]["pcie_replay_counter"] += replays
    for sample in facts["load"]["samples"]:
        if sample["gpu"] == index:
            sample["pcie_link_gen_current"] = gen or sample["pcie_link_gen_current"]
            sample["pcie_link_width_current"] = width or sample["pcie_link_width_current"]
    return facts


@pytest.mark.parametrize("gen, width, limit", [(3, 16, 8), (4, 16, 16), (5, 16, 31), (6, 16, 62), (4, 8, 8),
                                               (5, 8, 16), (None, 16, 8)])
def test_dcgm_s_limit_follows_the_link(gen, width, limit):
    # NVIDIA/DCGM modules/health/DcgmHealthWatch.cpp: ceil(per-lane rate x lanes); DCGM before 3.3.8: 8 a minute.
    assert pcie_replays.dcgm_limit(gen, width) == limit


def test_at_idle_the_count_since_the_driver_loaded_warns_above_the_pack_s_figure_never_fails():
    # Real HGX H100 nodes: "Replays Since Reset" 120, 111, 58, 60, 63, 93, 69, 78 on GPUs 0-7
    # (tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-thermal.txt).
    findings = run(load("nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-thermal.txt"))
    assert [findings[f"gpu{i}"].status for i in range(8)] == ["warn", "warn", "pass", "pass", "pass", "warn",
                                                              "pass", "pass"]
    assert "120 replays since the driver loaded, more than 80" in findings["gpu0"].message
    assert "--load" in findings["gpu0"].remedy


def test_at_idle_an_unread_counter_is_unknown():
    assert run(with_gpu(hgx_h100(), 2, pcie_replay_counter=None))["gpu2"].status == "unknown"


def test_under_load_a_rate_above_dcgm_s_limit_fails():
    finding = run(loaded_with(4, 160))["gpu4"]  # 32 a minute on Gen5 x16, DCGM allows 31
    assert finding.status == "fail" and "above 31 (DCGM's limit for Gen5 x16)" in finding.message
    assert finding.observed == {"replays": 160, "seconds": 300.0, "per_minute": 32.0}
    assert run(loaded_with(4, 155))["gpu4"].status == "pass"  # 31 a minute


def test_under_load_the_limit_is_the_loaded_link_s():
    # A Gen3 x16 link: 8 a minute, the figure DCGM applied to every link before 3.3.8.
    assert run(loaded_with(1, 45, gen=3))["gpu1"].status == "fail"
    assert run(loaded_with(1, 40, gen=3))["gpu1"].status == "pass"


def test_the_pack_may_set_its_own_limit():
    assert run(loaded_with(1, 40), max_per_minute=5.0)["gpu1"].status == "fail"


def test_under_load_a_healthy_rate_with_an_old_count_warns():
    facts = loaded_with(0, 3)
    facts["gpus"][0]["pcie_replay_counter"] = 120
    finding = run(facts)["gpu0"]
    assert finding.status == "warn" and "3 replays in 300 s under load" in finding.message
    assert "120 replays since the driver loaded" in finding.message


def test_under_load_counters_not_read_at_both_ends_are_unknown():
    facts = under_load(hgx_h100())
    del facts["load"]["counters"]
    assert {f.status for f in run(facts).values()} == {"unknown"}
    facts = under_load(hgx_h100())
    facts["load"]["counters"]["end"][6]["pcie_replay_counter"] = None
    facts["load"]["counters"]["end"][6]["unavailable"] = {"pcie_replay_counter": "GpuIsLost"}
    finding = run(facts)["gpu6"]
    assert finding.status == "unknown" and "GpuIsLost" in finding.message
