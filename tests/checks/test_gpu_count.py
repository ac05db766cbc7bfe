"""gpu.count on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import gpu_count

ID = gpu_count.ID

PACK = "base"
OVERRIDES = {"expected": 8}  # the hgx-h100 pack's figures


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def test_eight_of_eight_passes():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.observed, finding.subject) == ("pass", 8, "host")


def test_a_missing_gpu_fails_with_a_remedy():
    [finding] = run(hgx_h100(gpus=7))
    assert finding.status == "fail" and finding.observed == 7 and "reseat" in finding.remedy


def test_without_nvml_the_count_is_unknown_not_zero():
    facts = hgx_h100(gpus=0)
    facts["nvidia"].update(nvml_available=False, nvml_error="Driver Not Loaded")
    [finding] = run(facts)
    assert finding.status == "unknown" and "Driver Not Loaded" in finding.message


def test_unconfigured_count_is_skipped():
    [finding] = run(hgx_h100(), expected=None)
    assert finding.status == "skip"


def test_an_imported_capture_of_one_gpu_counts_the_nodes_attached_gpus():
    facts = hgx_h100(gpus=1)
    facts["nvidia"]["attached_gpus"] = 8  # the header of `nvidia-smi -q -i 0` on an 8-GPU node
    [finding] = run(facts)
    assert finding.status == "pass" and finding.observed == 8 and "the capture shows 1" in finding.message
