"""power.limit on the healthy HGX H100 facts (enforced 700 W = default 700 W), with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import power_limit

ID = power_limit.ID

PACK = "base"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_default_limit_passes():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"} and findings[0].expected == 700.0


def test_a_capped_gpu_fails_pointing_at_nvidia_smi_and_the_bmc():
    finding = run(with_gpu(hgx_h100(), 6, power_limit_w=500.0))[6]
    assert finding.status == "fail" and "slow GPU" in finding.message
    assert "nvidia-smi -q -d POWER" in finding.remedy and "BMC" in finding.remedy


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
