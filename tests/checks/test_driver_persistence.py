"""driver.persistence on the healthy HGX H100 facts (persistence on, nvidia-persistenced running)."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import driver_persistence

ID = driver_persistence.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_persistence_on_passes_on_every_gpu():
    findings = run(hgx_h100())
    assert [f.subject for f in findings] == [f"gpu{i}" for i in range(8)]
    assert {f.status for f in findings} == {"pass"}
    assert "nvidia-persistenced is running" in findings[0].message


def test_persistence_off_fails_and_says_the_daemon_is_not_running():
    facts = with_gpu(hgx_h100(), 2, persistence_mode=False)
    facts["nvidia"]["persistenced"]["active"] = False
    finding = run(facts)[2]
    assert finding.status == "fail" and "not running" in finding.message
    assert "nvidia-persistenced" in finding.remedy


def test_expected_off_fails_a_gpu_that_has_it_on():
    finding = run(hgx_h100(), expected=False)[0]
    assert finding.status == "fail" and finding.remedy


def test_unreadable_daemon_state_is_said_in_the_message():
    facts = hgx_h100()
    facts["nvidia"]["persistenced"]["active"] = None
    facts["nvidia"]["unavailable"]["persistenced.active"] = "NoSystemd"
    assert "unknown (NoSystemd)" in run(facts)[0].message


def test_unreadable_mode_is_unknown():
    facts = with_gpu(hgx_h100(), 0, persistence_mode=None)
    facts["gpus"][0]["unavailable"]["persistence_mode"] = "NoPermission"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "NoPermission" in finding.message and finding.remedy
