"""driver.cuda on the healthy HGX H100 facts (CUDA 12.4 driver API), with one change each."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import driver_cuda

ID = driver_cuda.ID

PACK = "base"
OVERRIDES = {"min": "12.4"}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def test_cuda_at_the_minimum_passes():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.observed, finding.subject) == ("pass", "12.4", "host")


def test_minor_versions_compare_as_numbers():
    facts = hgx_h100()
    facts["nvidia"]["cuda_driver_version"] = "12.10"
    assert run(facts, min="12.9")[0].status == "pass"


def test_older_cuda_fails_naming_the_driver_that_supports_it():
    [finding] = run(hgx_h100(), min="12.8")
    assert finding.status == "fail" and "570.26" in finding.remedy


def test_a_cuda_version_missing_from_the_table_still_has_a_remedy():
    [finding] = run(hgx_h100(), min="12.7")
    assert finding.status == "fail" and "CUDA 12.7" in finding.remedy


def test_unreadable_cuda_version_is_unknown():
    facts = hgx_h100()
    facts["nvidia"]["cuda_driver_version"] = None
    facts["nvidia"]["unavailable"]["cuda_driver_version"] = "FunctionNotFound"
    [finding] = run(facts)
    assert finding.status == "unknown" and "FunctionNotFound" in finding.message and finding.remedy


def test_unconfigured_minimum_is_skipped():
    [finding] = run(hgx_h100(), min=None)
    assert finding.status == "skip" and finding.remedy
