"""gpu.mig_mode on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import gpu_mig_mode

ID = gpu_mig_mode.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_mig_off_everywhere_passes():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {(f.status, f.observed) for f in findings} == {("pass", False)}


def test_a_gpu_left_in_mig_mode_fails_with_a_remedy():
    # MIG Current: Enabled, as in tests/data/captures/nvidia-smi-q_H100-80GB-HBM3_MIG-4inst_driver590.48.01.txt
    finding = run(with_gpu(hgx_h100(), 7, mig_mode_current=True))[7]
    assert (finding.subject, finding.status) == ("gpu7", "fail") and "-mig 0" in finding.remedy


def test_a_mig_platform_fails_a_gpu_out_of_mig():
    findings = run(with_gpu(with_all_gpus(hgx_h100(), mig_mode_current=True), 0, mig_mode_current=False),
                   expected=True)
    assert [(f.subject, f.status) for f in findings if f.status != "pass"] == [("gpu0", "fail")]
    assert "-mig 1" in findings[0].remedy


def test_gpus_without_mig_are_skipped_when_mig_is_not_wanted():
    # MIG Mode Current: N/A on an L40S, tests/data/captures/nvidia-smi-q_L40S_driver595.80.txt
    findings = run(with_all_gpus(hgx_h100(gpus=1), name="NVIDIA L40S", mig_mode_current=None))
    assert [f.status for f in findings] == ["skip"] and "NotSupported" in findings[0].message


def test_gpus_without_mig_fail_when_the_platform_needs_it():
    [finding] = run(with_all_gpus(hgx_h100(gpus=1), name="NVIDIA L40S", mig_mode_current=None), expected=True)
    assert finding.status == "fail" and "L40S" in finding.message and finding.remedy


def test_an_unreadable_mode_is_unknown_with_its_reason():
    facts = with_gpu(hgx_h100(), 3, mig_mode_current=None)
    facts["gpus"][3]["unavailable"]["mig_mode_current"] = "NoPermission"
    finding = run(facts)[3]
    assert finding.status == "unknown" and "NoPermission" in finding.message and finding.remedy
