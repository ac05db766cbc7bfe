"""power.limit on the healthy HGX H100 facts (enforced 700 W = default 700 W), with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import power_limit

ID = power_limit.ID

PACK = "base"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_default_limit_passes():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"} and findings[0].expected == {"limit_w": 700.0, "default_w": None}


def test_a_capped_gpu_fails_pointing_at_nvidia_smi_and_the_bmc():
    finding = run(with_gpu(hgx_h100(), 6, power_limit_w=500.0))[6]
    assert finding.status == "fail" and "slow GPU" in finding.message
    assert "nvidia-smi -q -d POWER" in finding.remedy and "BMC" in finding.remedy


def test_a_limit_raised_above_the_default_warns():
    # H100 NVL: default 310 W, maximum 400 W (tests/data/captures/nvidia-smi-q_2xH100-NVL_driver550.54.14_minor-4-5.txt)
    finding = run(with_gpu(hgx_h100(), 1, power_limit_w=400.0, power_limit_default_w=310.0))[1]
    assert finding.status == "warn" and "raised above its default" in finding.message and "budget" in finding.remedy


def test_a_default_outside_the_platforms_defaults_fails():
    # HGX A100 80 GB boards ship at 400 W and at 500 W (tests/data/captures/nvidia-smi-q_4xA100-SXM4-80GB_...: 500 W).
    allowed = [400.0, 500.0]
    at_500 = with_gpu(hgx_h100(), 0, power_limit_w=500.0, power_limit_default_w=500.0)
    assert run(at_500, allowed_default_w=allowed)[0].status == "pass"
    at_300 = with_gpu(hgx_h100(), 0, power_limit_w=300.0, power_limit_default_w=300.0)
    finding = run(at_300, allowed_default_w=allowed)[0]
    assert finding.status == "fail" and "ship at 400 or 500 W" in finding.message and "part number" in finding.remedy
    assert finding.observed == {"limit_w": 300.0, "default_w": 300.0}


def test_a_default_not_read_is_unknown_when_the_pack_names_defaults():
    facts = with_gpu(hgx_h100(), 0, power_limit_default_w=None)
    facts["gpus"][0]["unavailable"]["power_limit_default_w"] = "NotInSource"
    finding = run(facts, allowed_default_w=[700.0], expected_w=700.0)[0]
    assert finding.status == "unknown" and "power_limit_default_w unavailable (NotInSource)" in finding.message


def test_above_the_sites_expected_limit_fails():
    finding = run(hgx_h100(), expected_w=600.0)[0]
    assert finding.status == "fail" and "budget" in finding.message and "600" in finding.remedy


def test_within_tolerance_passes():
    assert run(with_gpu(hgx_h100(), 0, power_limit_w=699.5))[0].status == "pass"
    assert run(with_gpu(hgx_h100(), 0, power_limit_w=699.5), tolerance_w=0.1)[0].status == "fail"


def test_unreadable_default_limit_is_unknown_when_the_pack_sets_none():
    facts = with_gpu(hgx_h100(), 0, power_limit_default_w=None)
    facts["gpus"][0]["unavailable"]["power_limit_default_w"] = "NoPermission"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "power_limit_default_w" in finding.message and finding.remedy
    assert run(facts, expected_w=700.0)[0].status == "pass"
