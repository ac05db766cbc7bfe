"""gpu.ecc_mode on the healthy HGX H100 facts, with one change each."""

import pytest
from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import gpu_ecc_mode
from readycheck.errors import InputError

ID = gpu_ecc_mode.ID


def run(facts, pack="hgx-h100", **settings):
    return list(run_check(ID, facts, pack, **settings))


def test_ecc_on_everywhere_passes():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {f.status for f in findings} == {"pass"}


def test_ecc_off_fails_with_the_command_to_enable_it():
    # Current and pending Disabled, as in tests/data/captures/nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt
    finding = run(with_gpu(hgx_h100(), 2, ecc_mode_current=False, ecc_mode_pending=False))[2]
    assert (finding.subject, finding.status) == ("gpu2", "fail")
    assert "nvidia-smi -i 2 -e 1" in finding.remedy and "reboot" in finding.remedy


def test_ecc_enabled_but_not_yet_applied_still_fails():
    finding = run(with_gpu(hgx_h100(), 1, ecc_mode_current=False))[1]
    assert finding.status == "fail" and "pending" in finding.message and "reboot" in finding.remedy


def test_ecc_set_to_turn_off_at_reboot_warns():
    finding = run(with_gpu(hgx_h100(), 4, ecc_mode_pending=False))[4]
    assert finding.status == "warn" and finding.observed == {"current": True, "pending": False}
    assert "-e 1" in finding.remedy


def test_gpus_without_ecc_are_skipped():
    # GeForce: <current_ecc>N/A</current_ecc>, tests/data/captures/nvidia-smi-q-x_RTX3090_driver525.147.05.xml
    facts = with_all_gpus(hgx_h100(gpus=2), name="NVIDIA GeForce RTX 3090", ecc_mode_current=None,
                          ecc_mode_pending=None)
    findings = run(facts, "rtx4090-workstation")  # a pack that does not require ECC
    assert {f.status for f in findings} == {"skip"} and "NotSupported" in findings[0].message


def test_no_ecc_on_a_platform_that_requires_it_is_unknown_not_skipped():
    facts = with_all_gpus(hgx_h100(gpus=2), ecc_mode_current=None, ecc_mode_pending=None)
    findings = run(facts)
    assert {f.status for f in findings} == {"unknown"} and "the platform's GPUs have ECC" in findings[0].message
    # Only `expected = true` requires ECC: a pack that runs ECC off, or either way, skips a GPU without it.
    for expected in (False, "any"):
        assert {f.status for f in run(facts, expected=expected)} == {"skip"}, expected


def test_ecc_off_fails_even_when_the_pending_mode_is_unread():
    facts = with_gpu(hgx_h100(gpus=2), 1, ecc_mode_current=False, ecc_mode_pending=None, reason="NoPermission")
    assert [f.status for f in run(facts)] == ["pass", "fail"]
    facts = with_gpu(hgx_h100(gpus=2), 1, ecc_mode_pending=None, reason="NoPermission")
    assert run(facts)[1].status == "unknown" and "NoPermission" in run(facts)[1].message


def test_an_unreadable_mode_is_unknown_with_its_reason():
    facts = with_gpu(hgx_h100(), 6, ecc_mode_current=None)
    facts["gpus"][6]["unavailable"]["ecc_mode_current"] = "GpuIsLost"
    finding = run(facts)[6]
    assert finding.status == "unknown" and "GpuIsLost" in finding.message and finding.remedy


def test_without_gpus_the_mode_is_unknown():
    facts = hgx_h100(gpus=0)
    facts["nvidia"].update(nvml_available=False, nvml_error="Driver Not Loaded")
    [finding] = run(facts)
    assert finding.status == "unknown" and finding.subject == "host"


def test_a_platform_that_runs_ecc_off_fails_a_gpu_with_it_on():
    # RTX 4090: ECC Mode Current Disabled, Pending Disabled (tests/data/captures/nvidia-smi-q_8xRTX4090_...)
    off = with_all_gpus(hgx_h100(gpus=2), ecc_mode_current=False, ecc_mode_pending=False)
    assert {f.status for f in run(off, expected=False)} == {"pass"}
    finding = run(hgx_h100(gpus=2), expected=False)[0]
    assert finding.status == "fail" and finding.message == "ECC is on, the platform runs it off"
    assert "nvidia-smi -i 0 -e 0" in finding.remedy


def test_either_mode_passes_under_any_and_a_pending_change_is_named():
    facts = with_gpu(with_all_gpus(hgx_h100(gpus=2), ecc_mode_current=False, ecc_mode_pending=False), 1,
                     ecc_mode_pending=True)
    findings = run(facts, expected="any")
    assert {f.status for f in findings} == {"pass"}
    assert findings[1].message == "ECC is off, on after the next reboot (the platform accepts either)"


def test_expected_takes_true_false_or_any_only():
    with pytest.raises(InputError, match="key 'expected' must be bool\\|any, found 'maybe'"):
        run(hgx_h100(gpus=1), expected="maybe")
