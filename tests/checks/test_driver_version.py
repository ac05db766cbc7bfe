"""driver.version on the healthy HGX H100 facts (driver 550.54.15), with one change each."""

import copy

from factsbuilder import hgx_h100, run_check, with_all_gpus

from readycheck.checks import driver_version

ID = driver_version.ID

PACK = "base"
OVERRIDES = {"min": "535.161.08", "eol_branches": []}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def with_driver(version, **nvidia):
    facts = hgx_h100()
    facts["nvidia"].update(driver_version=version, **nvidia)
    return facts


def test_a_driver_above_every_minimum_passes():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.observed, finding.subject) == ("pass", "550.54.15", "host")
    assert finding.expected["min"] == "535.161.08"


def test_versions_compare_as_numbers_not_strings():
    # "550.100.1" < "550.54.15" as strings; as numbers it is newer.
    [finding] = run(with_driver("550.100.1"), min="550.54.15")
    assert finding.status == "pass"


def test_below_the_pack_minimum_fails_with_a_remedy():
    [finding] = run(with_driver("535.154.05"))
    assert finding.status == "fail" and "535.161.08" in finding.message and "535.161.08" in finding.remedy


def test_below_the_gpu_architecture_minimum_fails_without_a_pack_minimum():
    [finding] = run(with_driver("520.61.05"), min=None)
    assert finding.status == "fail" and "Hopper" in finding.message and "525.60.13" in finding.remedy


def test_b200_needs_a_570_driver():
    [finding] = run(with_all_gpus(with_driver("565.57.01"), name="NVIDIA B200"), min=None)
    assert finding.status == "fail" and "570.133.20" in finding.message


def test_allowed_takes_branch_prefixes_and_exact_versions():
    assert run(hgx_h100(), allowed=["550."])[0].status == "pass"
    assert run(hgx_h100(), allowed=["550.54.15"])[0].status == "pass"
    [finding] = run(hgx_h100(), allowed=["535.", "570.124.06"])
    assert finding.status == "fail" and "allows" in finding.message and finding.remedy


def test_end_of_life_branch_warns():
    [finding] = run(hgx_h100(), eol_branches=["525", "R550"])
    assert finding.status == "warn" and "R550" in finding.message and finding.remedy


def test_failure_outweighs_the_end_of_life_warning():
    [finding] = run(with_driver("525.105.17"), eol_branches=["525"])
    assert finding.status == "fail" and "end of life" in finding.message


def test_unreadable_driver_version_is_unknown_with_its_reason():
    facts = with_driver(None)
    facts["nvidia"]["unavailable"]["driver_version"] = "NotFound"
    [finding] = run(facts)
    assert finding.status == "unknown" and "driver_version" in finding.message and "NotFound" in finding.message
    assert finding.remedy


def test_facts_are_not_changed():
    facts = hgx_h100()
    before = copy.deepcopy(facts)
    run(facts, allowed=["550."], eol_branches=["550"])
    assert facts == before
