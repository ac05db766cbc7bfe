"""health.ecc_errors on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import health_ecc_errors

ID = health_ecc_errors.ID

PACK = "hgx-h100"
CLEAN = {"volatile_corrected": 0, "volatile_uncorrected": 0, "aggregate_corrected": 0, "aggregate_uncorrected": 0}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_no_errors_pass():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {f.status for f in findings} == {"pass"} and findings[0].observed == CLEAN


def test_corrected_errors_are_reported_not_failed():
    # Aggregate single-bit device_memory = 3:
    # netdata/netdata src/go/plugin/go.d/collector/nvidia_smi/testdata/tesla-p100.xml @04b1cf5 (GPL-3.0, not copied)
    finding = run(with_gpu(hgx_h100(), 0, ecc_errors={**CLEAN, "aggregate_corrected": 3}))[0]
    assert finding.status == "pass" and "3 lifetime" in finding.message


def test_a_volatile_uncorrected_error_fails_with_a_reset():
    finding = run(with_gpu(hgx_h100(), 4, ecc_errors={**CLEAN, "volatile_uncorrected": 1,
                                                       "aggregate_uncorrected": 1}))[4]
    assert (finding.subject, finding.status) == ("gpu4", "fail") and "nvidia-smi -r -i 4" in finding.remedy


def test_lifetime_uncorrected_errors_warn():
    finding = run(with_gpu(hgx_h100(), 1, ecc_errors={**CLEAN, "aggregate_uncorrected": 2}))[1]
    assert finding.status == "warn" and "lifetime" in finding.message and finding.remedy


def test_the_limits_are_settings():
    facts = with_gpu(hgx_h100(), 1, ecc_errors={**CLEAN, "aggregate_uncorrected": 2})
    assert run(facts, max_aggregate_uncorrected=2)[1].status == "pass"


def test_gpus_without_ecc_are_skipped():
    # GeForce: ECC errors all N/A, tests/data/captures/nvidia-smi-q-x_RTX3090_driver525.147.05.xml
    facts = with_gpu(hgx_h100(), 0, ecc_mode_current=None, ecc_errors=None)
    finding = list(run_check(ID, facts, "rtx4090-workstation"))[0]  # a pack that does not require ECC
    assert finding.status == "skip" and "NotSupported" in finding.message


def test_no_counters_on_a_platform_that_requires_ecc_is_unknown():
    finding = run(with_gpu(hgx_h100(), 0, ecc_mode_current=None, ecc_errors=None))[0]
    assert finding.status == "unknown" and "the platform's GPUs have ECC" in finding.message


def test_uncorrectable_errors_fail_even_when_another_counter_is_unread():
    errors = {**CLEAN, "volatile_uncorrected": 2, "aggregate_corrected": None}
    assert run(with_gpu(hgx_h100(), 0, ecc_errors=errors))[0].status == "fail"
    assert run(with_gpu(hgx_h100(), 0, ecc_errors={**CLEAN, "aggregate_corrected": None}))[0].status == "unknown"


def test_gpus_with_ecc_turned_off_are_skipped():
    # ECC Disabled, every counter N/A: tests/data/captures/nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt
    facts = with_gpu(hgx_h100(), 0, ecc_mode_current=False, ecc_mode_pending=False,
                     ecc_errors={name: None for name in CLEAN})
    finding = run(facts)[0]
    assert finding.status == "skip" and "gpu.ecc_mode" in finding.message


def test_unreadable_counters_are_unknown_with_their_reason():
    facts = with_gpu(hgx_h100(), 5, ecc_errors=None)
    facts["gpus"][5]["unavailable"]["ecc_errors"] = "NoPermission"
    finding = run(facts)[5]
    assert finding.status == "unknown" and "NoPermission" in finding.message and finding.remedy


def test_a_missing_counter_is_unknown():
    finding = run(with_gpu(hgx_h100(), 2, ecc_errors={**CLEAN, "volatile_uncorrected": None}))[2]
    assert finding.status == "unknown" and "not collected" in finding.message
