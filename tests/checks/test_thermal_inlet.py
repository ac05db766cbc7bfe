"""thermal.inlet against the ASHRAE classes (ASHRAE TC 9.9, Thermal Guidelines for Data Processing
Environments, 5th edition, 2021)."""

import copy

import pytest
from factsbuilder import hgx_h100

from readycheck.checks import thermal_inlet
from readycheck.site import Site


def run(inlet, ashrae=None):
    facts = hgx_h100()
    facts["host"]["inlet_temperature_c"] = inlet
    if inlet is None:
        facts["host"]["unavailable"]["inlet_temperature_c"] = "NoPermission"
    site = Site("DC1", "site.toml", ashrae_class=ashrae) if ashrae else None
    [finding] = thermal_inlet.check(copy.deepcopy(facts), {}, site=site)
    return finding


@pytest.mark.parametrize("inlet, ashrae, status", [
    (22.0, "A2", "pass"), (28.0, "A2", "warn"), (36.0, "A2", "fail"), (35.0, "A2", "warn"),
    (24.0, "H1", "warn"),  # the hand-worked case: an H1 inlet at 24 C warns
    (26.0, "H1", "fail"), (33.0, "A1", "fail"), (44.0, "A4", "warn"), (8.0, "A2", "warn"),
])
def test_inlet_against_its_class(inlet, ashrae, status):
    finding = run(inlet, ashrae)
    assert finding.status == status
    assert (finding.remedy != "") == (status != "pass")


def test_without_a_site_file_the_class_is_a2_and_says_so():
    finding = run(36.0)
    assert finding.status == "fail" and "ASHRAE A2 (no --site given)" in finding.message


def test_no_sensor_is_unknown_with_the_reason():
    finding = run(None, "A2")
    assert finding.status == "unknown" and "NoPermission" in finding.message and "ipmitool" in finding.remedy


def test_the_message_says_where_the_reading_came_from():
    facts = hgx_h100()
    facts["host"]["inlet_temperature_c"], facts["host"]["inlet_temperature_source"] = 24.8, "redfish"
    [finding] = thermal_inlet.check(facts, {}, site=None)
    assert finding.message == "inlet 24.8 °C (the BMC's intake sensor over Redfish) within ASHRAE A2 (no --site given)"
