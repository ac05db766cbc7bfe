"""thermal.throttle on the healthy HGX H100 facts (gpu_idle only), with one change each."""

from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import thermal_throttle

ID = thermal_throttle.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_idle_gpus_pass():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"} and len(findings) == 8


def test_power_cap_alone_is_normal_and_says_so():
    # tests/data/captures/nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt: SW Power Cap under load.
    finding = run(with_all_gpus(hgx_h100(), clocks_event_reasons=["sw_power_cap"]))[0]
    assert finding.status == "pass" and "normal under load" in finding.message


def test_hw_slowdown_fails_pointing_at_cooling_and_power():
    # tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt
    finding = run(with_gpu(hgx_h100(), 5, clocks_event_reasons=["sw_power_cap", "hw_slowdown"]))[5]
    assert finding.status == "fail" and "hw_slowdown" in finding.message
    assert "cooling" in finding.remedy and "PSU" in finding.remedy


def test_sw_thermal_slowdown_fails_as_a_cooling_problem():
    # tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-thermal.txt
    finding = run(with_gpu(hgx_h100(), 0, clocks_event_reasons=["sw_thermal_slowdown"]))[0]
    assert finding.status == "fail" and "cooling problem" in finding.message and "airflow" in finding.remedy


def test_power_brake_fails_as_a_power_problem():
    finding = run(with_gpu(hgx_h100(), 0, clocks_event_reasons=["hw_power_brake_slowdown"]))[0]
    assert finding.status == "fail" and "PSU" in finding.message and "ipmitool" in finding.remedy


def test_the_pack_chooses_the_failing_reasons():
    facts = with_gpu(hgx_h100(), 0, clocks_event_reasons=["sw_power_cap"])
    finding = run(facts, fail_reasons=["sw_power_cap"])[0]
    assert finding.status == "fail" and finding.remedy


def test_unreadable_reasons_are_unknown():
    facts = with_gpu(hgx_h100(), 1, clocks_event_reasons=None)
    facts["gpus"][1]["unavailable"]["clocks_event_reasons"] = "GpuIsLost"
    finding = run(facts)[1]
    assert finding.status == "unknown" and "GpuIsLost" in finding.message and finding.remedy
