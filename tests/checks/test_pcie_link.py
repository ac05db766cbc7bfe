"""pcie.link on the healthy HGX H100 facts (x16 Gen5 on Gen5 GPUs), with one change each."""

from factsbuilder import hgx_h100, run_check, under_load, with_gpu

from readycheck.checks import pcie_link

ID = pcie_link.ID

PACK = "base"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_full_links_pass():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"} and findings[0].message == "x16 Gen5"


def test_a_narrow_link_at_idle_warns_and_asks_to_confirm_under_load():
    # tests/data/captures/nvidia-smi-q-x_A10G_driver515.105.01.xml: current_link_width 8x of max 16x, at idle
    # (current_link_gen 1). nvidia-smi documents that the current width, like the generation, may be reduced when
    # the GPU is not in use.
    facts = with_gpu(hgx_h100(), 1, pcie_link_width_current=8, pcie_link_gen_current=1, pcie_link_gen_max=4,
                     pcie_link_gen_gpu_max=4)
    finding = run(facts)[1]
    assert finding.status == "warn" and "x8 of x16 now" in finding.message and "--load" in finding.remedy


def test_a_link_still_narrow_under_load_fails_asking_for_a_reseat():
    facts = under_load(with_gpu(hgx_h100(), 1, pcie_link_width_current=8, pcie_link_gen_current=1))
    for sample in facts["load"]["samples"]:
        if sample["gpu"] == 1:
            sample["pcie_link_width_current"] = 8
    finding = run(facts)[1]
    assert finding.status == "fail" and "x8 of x16 under load" in finding.message and "reseat" in finding.remedy
    # That driver has no max_device_link_gen: the GPU's own maximum generation is unknown, the width still fails.
    facts["gpus"][1].update(pcie_link_gen_gpu_max=None)
    facts["gpus"][1]["unavailable"]["pcie_link_gen_gpu_max"] = "NotInSource"
    finding = run(facts)[1]
    assert finding.status == "fail" and "also pcie_link_gen_gpu_max unavailable" in finding.message


def test_a_link_that_trains_up_under_load_passes():
    # Idle at x8 Gen1, full x16 Gen5 in the load phase's samples (as the load capture
    # tests/data/captures/nvidia-smi-q_H100-80GB-HBM3_driver590.48.01_load.txt shows it: Current 5, 16x).
    facts = under_load(with_gpu(hgx_h100(), 1, pcie_link_width_current=8, pcie_link_gen_current=1))
    finding = run(facts)[1]
    assert finding.status == "pass" and finding.message == "x16 Gen5 under load"


def test_a_generation_still_low_under_load_fails():
    facts = under_load(hgx_h100())
    for sample in facts["load"]["samples"]:
        if sample["gpu"] == 2:
            sample["pcie_link_gen_current"] = 3
    assert run(facts)[2].status == "fail" and "Gen3 of Gen5 under load" in run(facts)[2].message


def test_a_load_phase_that_did_not_sample_the_link_leaves_the_idle_judgement():
    facts = under_load(hgx_h100())
    for sample in facts["load"]["samples"]:
        del sample["pcie_link_gen_current"], sample["pcie_link_width_current"]
    finding = run(facts)[0]
    assert finding.status == "pass" and "judged as at idle" in finding.message


def test_a_slot_that_caps_the_generation_fails():
    # netdata/netdata src/go/plugin/go.d/collector/nvidia_smi/testdata/rtx-4090-driver-535.xml @04b1cf5 (GPL-3.0, not
    # copied): max_link_gen 3 (max_host_link_gen 3),
    # max_device_link_gen 4, current_link_gen 1 at idle, x16 of x16.
    facts = with_gpu(hgx_h100(), 0, pcie_link_gen_current=1, pcie_link_gen_max=3, pcie_link_gen_gpu_max=4)
    finding = run(facts)[0]
    assert finding.status == "fail" and "Gen3" in finding.message and "BIOS" in finding.remedy


def test_a_lower_current_generation_is_idle_power_saving():
    finding = run(with_gpu(hgx_h100(), 0, pcie_link_gen_current=1))[0]
    assert finding.status == "pass" and "power saving at idle" in finding.message


def test_the_pack_minimums_apply_to_the_maximum_width_and_generation():
    facts = with_gpu(hgx_h100(), 0, pcie_link_width_current=8, pcie_link_width_max=8,
                     pcie_link_gen_max=4, pcie_link_gen_gpu_max=4)
    finding = run(facts, min_width=16, min_gen=5)[0]
    assert finding.status == "fail" and "needs x16" in finding.message and "needs Gen5" in finding.message
    assert finding.remedy and run(hgx_h100(), min_width=16, min_gen=5)[0].status == "pass"


def test_an_unknown_gpu_maximum_generation_is_unknown():
    facts = with_gpu(hgx_h100(), 0, pcie_link_gen_gpu_max=None)
    facts["gpus"][0]["unavailable"]["pcie_link_gen_gpu_max"] = "FunctionNotFound"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "pcie_link_gen_gpu_max" in finding.message and finding.remedy


def test_an_unread_width_is_unknown():
    finding = run(with_gpu(hgx_h100(), 3, pcie_link_width_current=None))[3]
    assert finding.status == "unknown" and "pcie_link_width_current" in finding.message


def test_a_capped_generation_fails_even_when_the_width_is_unread():
    facts = with_gpu(hgx_h100(), 0, pcie_link_width_current=None, pcie_link_width_max=None, pcie_link_gen_max=3,
                     reason="Timeout")
    finding = run(facts)[0]
    assert finding.status == "fail" and "capped at Gen3" in finding.message and "Timeout" in finding.message
