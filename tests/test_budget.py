"""Power and cooling math against hand-worked numbers (the 80% continuous-load rule of NFPA 70 (NEC)
210.19/215.2, and √3 × V × A for three-phase)."""

import math

import pytest
from factsbuilder import hgx_h100, with_gpu

from readycheck.budget import NodeDraw, feed_usable_kw, node_worst_case, rack_budget, rack_capacity_kw
from readycheck.site import Feed, Rack


def test_three_phase_208v_30a_at_80_percent_is_8_65_kva():
    # sqrt(3) x 208 V x 30 A x 0.8 = 8,646 VA; at power factor 1 that is 8.65 kW.
    assert feed_usable_kw(Feed("A", 208, 30, 3, power_factor=1.0, derate=0.8)) == pytest.approx(8.646, abs=0.001)


def test_single_phase_is_v_times_a_times_pf_times_derate():
    assert feed_usable_kw(Feed("A", 230, 32, 1, power_factor=0.95, derate=0.8)) == pytest.approx(5.5936)


def test_2n_means_one_feed_carries_the_rack_and_n_adds_feeds():
    feeds = (Feed("A", 415, 32, 3), Feed("B", 415, 32, 3))
    one = feed_usable_kw(feeds[0])
    assert one == pytest.approx(math.sqrt(3) * 415 * 32 * 0.95 * 0.8 / 1000)  # 17.48 kW
    assert rack_capacity_kw(Rack("B07", ("x",), feeds, redundancy="2N")) == pytest.approx(one)
    assert rack_capacity_kw(Rack("B07", ("x",), feeds, redundancy="N")) == pytest.approx(2 * one)


def test_2n_with_two_pdus_a_side_counts_the_weaker_sides_sum():
    # Two 16 A PDUs per side: one side carries 2 x 8.74 kW, not the 8.74 kW of its weakest PDU.
    pdu = feed_usable_kw(Feed("A1", 415, 16, 3))
    feeds = (Feed("A1", 415, 16, 3, side="A"), Feed("A2", 415, 16, 3, side="A"),
             Feed("B1", 415, 16, 3, side="B"), Feed("B2", 415, 32, 3, side="B"))
    assert rack_capacity_kw(Rack("B07", ("x",), feeds, redundancy="2N")) == pytest.approx(2 * pdu)
    # The same feeds without sides (a file from before sides): each feed alone, the weakest deciding.
    unsided = tuple(Feed(f.name, f.volts, f.amps, f.phases) for f in feeds)
    assert rack_capacity_kw(Rack("B07", ("x",), unsided, redundancy="2N")) == pytest.approx(pdu)
    assert rack_capacity_kw(Rack("B07", ("x",), feeds, redundancy="N")) == pytest.approx(5 * pdu)


def test_worst_case_prefers_the_nameplate_and_never_uses_idle_draw():
    facts = hgx_h100()
    draw = node_worst_case(facts, {"nameplate_max_w": 10200})
    assert draw.watts == 10200 and "nameplate" in draw.basis
    draw = node_worst_case(facts, {"overhead_w": 2000})
    assert draw.watts == 8 * 700 + 2000 and "enforced limits" in draw.basis  # not 8 x 68.5 W of idle draw


def test_worst_case_is_unknown_when_a_limit_is_missing():
    draw = node_worst_case(with_gpu(hgx_h100(), 3, power_limit_w=None), {"overhead_w": 2000})
    assert draw.watts is None and "gpu3" in draw.basis


def test_rack_sums_present_nodes_splits_heat_and_projects_a_partial_rack():
    rack = Rack("B07", ("gpu-b07-*",), (Feed("A", 415, 32, 3),), node_count=4, air_cooling_kw=40.0,
                liquid_fraction=0.25)
    full = rack_budget(rack, [NodeDraw(f"n{i}", 10200.0, "nameplate") for i in range(4)])
    assert full.worst_case_kw == pytest.approx(40.8) and not full.projected
    assert full.liquid_heat_kw == pytest.approx(10.2) and full.air_heat_kw == pytest.approx(30.6)
    assert full.heat_btu_per_h == pytest.approx(40.8 * 3412.14)
    one = rack_budget(rack, [NodeDraw("n0", 10200.0, "nameplate")])
    assert one.projected and one.worst_case_kw == pytest.approx(40.8) and "projected: 1 of 4" in one.notes[0]


def test_rack_with_an_unknown_node_has_no_worst_case():
    rack = Rack("B07", ("gpu-b07-*",), (Feed("A", 415, 32, 3),))
    budget = rack_budget(rack, [NodeDraw("n0", 10200.0, "nameplate"), NodeDraw("n1", None, "limit unavailable")])
    assert budget.worst_case_kw is None and budget.headroom_kw is None and "n1" in budget.notes[0]


def test_a_capture_of_one_gpu_of_eight_gives_no_worst_case():
    """An imported `nvidia-smi -q -i N` carries one GPU's limit; the node's draw is not that GPU's."""
    facts = hgx_h100(gpus=1)
    facts["nvidia"]["attached_gpus"] = 8
    draw = node_worst_case(facts, {"overhead_w": 2000.0})
    assert draw.watts is None and draw.basis == "the facts show 1 of the node's 8 GPUs"
