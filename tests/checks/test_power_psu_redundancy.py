"""power.psu_redundancy: PSU facts as the BMC reports them (see readycheck/probes/host.py)."""

from factsbuilder import hgx_h100

from readycheck.checks import power_psu_redundancy

DGX = {"nameplate_max_w": 10200}


def psu(n, present=True, ok=True, capacity=3300.0):
    return {"name": f"PSU{n}", "present": present, "ok": ok, "capacity_w": capacity, "unavailable": {}}


def run(psus, min_psus=None, platform=DGX):
    facts = hgx_h100()
    facts["host"]["psus"] = psus
    [finding] = power_psu_redundancy.check(facts, {"min_psus": min_psus}, platform=platform)
    return finding


def test_six_healthy_psus_pass():
    assert run([psu(n) for n in range(6)], min_psus=6).status == "pass"


def test_a_failed_or_absent_psu_fails_naming_it():
    finding = run([psu(0), psu(1, ok=False), psu(2, present=False, ok=False)])
    assert finding.status == "fail" and "PSU1" in finding.message and "PSU2" in finding.message
    assert finding.observed["PSU2"] == "absent" and finding.remedy


def test_too_few_psus_fail():
    finding = run([psu(n) for n in range(4)], min_psus=6)
    assert finding.status == "fail" and "4 PSUs found, the platform has 6" in finding.message


def test_capacity_below_the_worst_case_fails():
    finding = run([psu(n) for n in range(3)])  # 9.9 kW for a 10.2 kW node
    assert finding.status == "fail" and "10200 W" in finding.message


def test_no_psu_facts_is_unknown():
    finding = run([])
    assert finding.status == "unknown" and "NotFound" in finding.message
