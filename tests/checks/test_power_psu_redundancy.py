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


def redfish_psu(n, health="OK", present=True, capacity=3300.0, line=True):
    return {"name": f"PSU{n}", "present": present, "ok": present and health == "OK", "health": health if present
            else None, "capacity_w": capacity, "input_voltage_type": "AC200To240V", "line_input_ok": line,
            "source": "redfish", "unavailable": {}}


def group(members, needed, mode="NPlusM", health="OK"):
    return {"mode": mode, "min_needed": needed, "max_in_group": len(members), "members": members,
            "state": "Enabled", "health": health, "source": "redfish", "unavailable": {}}


def run_redfish(psus, groups, platform=DGX):
    facts = hgx_h100()
    facts["host"]["psus"], facts["host"]["psu_redundancy"] = psus, groups
    [finding] = power_psu_redundancy.check(facts, {"min_psus": None}, platform=platform)
    return finding


def test_a_warning_health_is_not_healthy_and_says_the_bmcs_word():
    # DMTF public-rackmount1: Bay 1 Enabled with Health Warning, Bay 2 Absent.
    finding = run_redfish([redfish_psu(1, "Warning"), redfish_psu(2, present=False, line=None)],
                          [group(["PSU1", "PSU2"], 1, "Failover")])
    assert finding.status == "fail" and finding.message == "PSU not healthy: PSU1 (Warning), PSU2 (absent)"
    assert finding.observed == {"PSU1": "Warning", "PSU2": "absent"}
    critical = run_redfish([redfish_psu(1, "Critical", line=False), redfish_psu(2)], [])
    assert "PSU1 (Critical, no line input)" in critical.message


def test_the_declared_redundancy_must_hold():
    six = [redfish_psu(n) for n in range(6)]
    finding = run_redfish(six, [group([f"PSU{n}" for n in range(6)], 4)])
    assert finding.status == "pass" and "the BMC's NPlusM redundancy (4 needed of 6) holds" in finding.message
    # The BMC's group names a supply it does not list: only five of the six it wants are there.
    short = run_redfish(six[:5], [group([f"PSU{n}" for n in range(6)], 6)])
    assert short.status == "fail" and "(6 needed of 6) is not met: 5 healthy PSUs in its group" in short.message
    lost = run_redfish(six, [group([f"PSU{n}" for n in range(6)], 4, health="Critical")])
    assert lost.status == "fail" and "reports its NPlusM redundancy as Critical" in lost.message


def test_declared_redundancy_must_also_carry_the_worst_case_with_one_psu_lost():
    # Four 3.3 kW supplies carry a DGX H100's 10.2 kW, three do not: not redundant at full load.
    four = [redfish_psu(n) for n in range(4)]
    finding = run_redfish(four, [group([f"PSU{n}" for n in range(4)], 3)])
    assert finding.status == "fail" and "with one PSU lost the others carry 9900 W" in finding.message
    assert run_redfish(four, [group([f"PSU{n}" for n in range(4)], 4, "NotRedundant")]).status == "pass"


def test_unknown_names_the_bmcs_error():
    facts = hgx_h100()
    facts["host"]["psus"], facts["host"]["unavailable"]["psus"] = [], "Unreachable"
    facts["bmc"] = {"url": "https://10.0.0.5", "error": "cannot connect to the BMC at https://10.0.0.5"}
    [finding] = power_psu_redundancy.check(facts, {"min_psus": None}, platform=DGX)
    assert finding.status == "unknown" and finding.message == (
        "no PSU facts (Unreachable: cannot connect to the BMC at https://10.0.0.5)")
