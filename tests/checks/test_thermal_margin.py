"""thermal.margin on the healthy HGX H100 facts (GPU 31/89 °C, HBM 39/95 °C), with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import thermal_margin

ID = thermal_margin.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_cool_gpus_pass_with_their_margins():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"}
    assert findings[0].observed == {"gpu_margin_c": 58, "memory_margin_c": 56}


def test_a_gpu_close_to_slowdown_fails():
    finding = run(with_gpu(hgx_h100(), 4, temperature_gpu_c=82))[4]
    assert finding.status == "fail" and "gpu_margin_c 7" in finding.message and "cooling" in finding.remedy


def test_hot_memory_fails():
    finding = run(with_gpu(hgx_h100(), 0, temperature_memory_c=90))[0]
    assert finding.status == "fail" and "memory_margin_c 5" in finding.message and finding.remedy


def test_a_gpu_without_a_memory_sensor_is_judged_on_the_gpu_alone():
    # with_gpu records NotSupported for the nulls, as on GDDR boards (RTX 4090, L40S: "Memory Current Temp: N/A").
    facts = with_gpu(hgx_h100(), 0, temperature_memory_c=None, temperature_memory_max_c=None)
    finding = list(run_check(ID, facts, "l40s"))[0]
    assert finding.status == "pass" and "no memory temperature sensor" in finding.message
    assert finding.observed == {"gpu_margin_c": 58}


def test_no_memory_sensor_on_an_hbm_platform_is_unknown():
    facts = with_gpu(hgx_h100(), 0, temperature_memory_c=None, temperature_memory_max_c=None)
    finding = run(facts)[0]
    assert finding.status == "unknown" and "temperature_memory_c unavailable (NotSupported)" in finding.message


def test_a_memory_maximum_the_driver_does_not_publish_leaves_the_memory_margin_out():
    # Hopper on driver 590: "Memory Max Operating T.Limit Temp: 0 C", an offset, not a maximum.
    finding = run(with_gpu(hgx_h100(), 0, temperature_memory_max_c=None))[0]
    assert finding.status == "pass" and "memory margin not judged" in finding.message


def test_a_short_margin_fails_even_when_another_reading_is_unread():
    facts = with_gpu(hgx_h100(), 0, temperature_gpu_c=None, temperature_memory_c=92, reason="Timeout")
    finding = run(facts)[0]
    assert finding.status == "fail" and "memory_margin_c 3" in finding.message and "Timeout" in finding.message


def test_an_unread_memory_temperature_is_unknown():
    facts = with_gpu(hgx_h100(), 0, temperature_memory_c=None)
    facts["gpus"][0]["unavailable"]["temperature_memory_c"] = "NoPermission"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "temperature_memory_c" in finding.message and finding.remedy


def test_a_known_failure_is_not_hidden_by_an_unread_memory_temperature():
    facts = with_gpu(hgx_h100(), 0, temperature_gpu_c=85, temperature_memory_c=None)
    facts["gpus"][0]["unavailable"]["temperature_memory_c"] = "Timeout"
    assert run(facts)[0].status == "fail"


def test_an_unread_slowdown_threshold_is_unknown():
    facts = with_gpu(hgx_h100(), 0, temperature_slowdown_c=None)
    facts["gpus"][0]["unavailable"]["temperature_slowdown_c"] = "FunctionNotFound"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "FunctionNotFound" in finding.message
