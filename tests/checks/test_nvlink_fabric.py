"""nvlink.fabric on the healthy HGX H100 facts (fabric completed, success), with one change each."""

from factsbuilder import hgx_h100, platform, run_check, with_gpu

from readycheck.checks import nvlink_fabric

ID = nvlink_fabric.ID

CLEAN = {"state": "completed", "status": "success", "clique_id": 32766}


def run(facts):
    return list(run_check(ID, facts))


def test_completed_registration_passes():
    # tests/data/captures/nvidia-smi-q_H200_driver590.48.01_load.txt: Fabric State Completed, Status Success.
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"} and "clique 32766" in findings[0].message


def test_a_registration_in_progress_fails_pointing_at_fabric_manager():
    facts = with_gpu(hgx_h100(), 6, fabric={"state": "in_progress", "status": "success", "clique_id": None,
                                            "unavailable": {"clique_id": "NotReady"}})
    finding = run(facts)[6]
    assert (finding.subject, finding.status) == ("gpu6", "fail")
    assert finding.message == "NVSwitch fabric registration in progress" and "nvidia-fabricmanager" in finding.remedy


def test_a_registration_that_completed_with_an_error_fails():
    finding = run(with_gpu(hgx_h100(), 0, fabric={**CLEAN, "status": "NvLinkError"}))[0]
    assert finding.status == "fail" and "NvLinkError" in finding.message and "journalctl" in finding.remedy


def test_gpus_without_fabric_state_are_skipped():
    # A100 on NVSwitches answers state NOT_SUPPORTED; a driver may also answer NotSupported for the call.
    not_supported = {"state": "not_supported", "status": None, "clique_id": None,
                     "unavailable": {"status": "NotSupported", "clique_id": "NotSupported"}}
    for facts in (with_gpu(platform("dgx-a100"), 0, fabric=not_supported), with_gpu(platform("dgx-a100"), 0,
                                                                                      fabric=None)):
        finding = list(run_check(ID, facts, "dgx-a100"))[0]
        assert finding.status == "skip" and "fabric" in finding.message


def test_no_fabric_state_on_an_nvswitch_platform_is_unknown():
    # hgx-h100 says its GPUs register with the NVSwitch fabric (supported = true).
    for fabric in (None, {"state": "not_supported", "status": None, "clique_id": None}):
        finding = run(with_gpu(hgx_h100(), 0, fabric=fabric))[0]
        assert finding.status == "unknown" and "NVSwitch fabric" in finding.message


def test_pcie_parts_are_skipped():
    assert {f.status for f in run_check(ID, platform("l40s"), "l40s")} == {"skip"}


def test_an_old_driver_without_the_query_is_unknown():
    finding = run(with_gpu(hgx_h100(), 3, reason="FunctionNotFound", fabric=None))[3]
    assert finding.status == "unknown" and "fabric unavailable (FunctionNotFound)" in finding.message
    assert "R550" in finding.remedy


def test_a_completed_state_without_status_is_unknown():
    facts = with_gpu(hgx_h100(), 2, fabric={**CLEAN, "status": None, "unavailable": {"status": "Timeout"}})
    finding = run(facts)[2]
    assert finding.status == "unknown" and "status unavailable (Timeout)" in finding.message


def test_a_registered_gpu_whose_fabric_health_names_a_fault_fails():
    # nvidia-smi -q, Fabric, Health: "Route Unhealthy: True", Summary Unhealthy.
    finding = run(with_gpu(hgx_h100(), 7, fabric={**CLEAN, "health": ["route_unhealthy"], "unavailable": {}}))[7]
    assert (finding.subject, finding.status) == ("gpu7", "fail")
    assert finding.message == "NVSwitch fabric registered, but its health says: route unhealthy"
    assert finding.observed["health"] == ["route_unhealthy"] and finding.expected["health"] == []


def test_health_clear_or_not_reported_passes_and_says_which():
    healthy = run(with_gpu(hgx_h100(), 0, fabric={**CLEAN, "health": [], "unavailable": {}}))[0]
    unreported = run(with_gpu(hgx_h100(), 0, fabric={**CLEAN, "health": None,
                                                     "unavailable": {"health": "NotSupported"}}))[0]
    assert (healthy.status, unreported.status) == ("pass", "pass")
    assert healthy.message.endswith("; healthy")
    assert unreported.message.endswith("; health not reported (NotSupported)")
