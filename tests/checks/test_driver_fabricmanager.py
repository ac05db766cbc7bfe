"""driver.fabricmanager on the healthy HGX H100 facts (18 NVLinks per GPU to NVSwitches), one change each."""

from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import driver_fabricmanager

ID = driver_fabricmanager.ID

PACK = "base"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def with_fm(**fabricmanager):
    facts = hgx_h100()
    facts["nvidia"]["fabricmanager"].update(fabricmanager)
    return facts


def test_running_at_the_driver_version_passes():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.subject) == ("pass", "host")
    assert finding.observed == {"installed": True, "active": True, "version": "550.54.15"}


def test_not_installed_fails():
    [finding] = run(with_fm(installed=False, active=False, version=None))
    assert finding.status == "fail" and "not installed" in finding.message and "550.54.15" in finding.remedy


def test_stopped_fails_and_says_why_when_the_version_differs():
    [finding] = run(with_fm(active=False, version="550.54.14"))
    assert finding.status == "fail" and "not running" in finding.message
    assert "don't match" in finding.message and "550.54.15" in finding.remedy


def test_stopped_at_the_right_version_points_at_its_log():
    [finding] = run(with_fm(active=False))
    assert finding.status == "fail" and "journalctl -u nvidia-fabricmanager" in finding.remedy


def test_version_other_than_the_driver_fails():
    [finding] = run(with_fm(version="550.54.14"))
    assert finding.status == "fail" and "550.54.14" in finding.message and "restart" in finding.remedy


def test_unreadable_state_is_unknown_with_its_reason():
    facts = with_fm(active=None)
    facts["nvidia"]["unavailable"]["fabricmanager.active"] = "NoPermission"
    [finding] = run(facts)
    assert finding.status == "unknown" and "fabricmanager.active" in finding.message
    assert "NoPermission" in finding.message and finding.remedy


def test_unreadable_driver_version_is_unknown():
    facts = hgx_h100()
    facts["nvidia"]["driver_version"] = None
    facts["nvidia"]["unavailable"]["driver_version"] = "NotFound"
    [finding] = run(facts)
    assert finding.status == "unknown" and "driver_version" in finding.message


def test_pcie_gpus_without_switches_are_skipped():
    [finding] = run(with_all_gpus(hgx_h100(), nvlinks=[]))
    assert finding.status == "skip" and finding.remedy


def test_the_pack_can_require_it_without_switch_links():
    facts = with_all_gpus(hgx_h100(), nvlinks=[])
    facts["nvidia"]["fabricmanager"].update(installed=False, active=False, version=None)
    [finding] = run(facts, expected=True)
    assert finding.status == "fail"


def test_without_gpus_and_without_expectation_it_is_unknown():
    facts = hgx_h100(gpus=0)
    facts["nvidia"].update(nvml_available=False, nvml_error="Driver Not Loaded")
    [finding] = run(facts)
    assert finding.status == "unknown" and "Driver Not Loaded" in finding.message


def test_incomplete_gpu_fabric_is_mentioned_not_failed():
    facts = with_gpu(hgx_h100(), 3, fabric={"state": "in_progress", "status": None, "clique_id": None})
    [finding] = run(facts)
    assert finding.status == "pass" and "gpu3 in_progress" in finding.message


def test_a_version_mismatch_fails_even_when_the_service_state_is_unread():
    facts = with_fm(installed=None, active=None, version="550.40.07")
    facts["nvidia"]["unavailable"].update({"fabricmanager.installed": "NotFound", "fabricmanager.active": "NotFound"})
    [finding] = run(facts, expected=True)
    assert finding.status == "fail" and "differs from driver 550.54.15" in finding.message
