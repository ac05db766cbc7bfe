"""gpu.model on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import gpu_model

ID = gpu_model.ID

PACK = "base"
OVERRIDES = {"expected": ["H100 80GB HBM3"]}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def test_eight_h100s_pass():
    findings = run(hgx_h100())
    assert [f.subject for f in findings] == [f"gpu{i}" for i in range(8)]
    assert {(f.status, f.observed) for f in findings} == {("pass", "NVIDIA H100 80GB HBM3")}


def test_the_match_ignores_case_and_the_nvidia_prefix():
    assert {f.status for f in run(hgx_h100(), expected=["a100-sxm4-*", "nvidia  h100 80gb hbm3"])} == {"pass"}


def test_a_model_is_matched_as_a_whole_name_not_a_part_of_one():
    # "H20" is a part of "NVIDIA H200"'s name but another GPU (HGX H20, 96 GB); "L40" is not "L40S".
    findings = run(with_all_gpus(hgx_h100(), name="NVIDIA H200"), expected=["H20"])
    assert {f.status for f in findings} == {"fail"}
    assert {f.status for f in run(with_all_gpus(hgx_h100(), name="NVIDIA L40S"), expected=["L40"])} == {"fail"}
    assert {f.status for f in run(with_all_gpus(hgx_h100(), name="NVIDIA L40S"), expected=["L40S"])} == {"pass"}


def test_a_node_of_the_wrong_model_fails_on_every_gpu():
    findings = run(with_all_gpus(hgx_h100(), name="NVIDIA A100-SXM4-80GB"))
    assert {f.status for f in findings} == {"fail"} and all("replace" in f.remedy for f in findings)


def test_in_a_mixed_node_the_odd_gpu_fails():
    # An H100 PCIe swapped into an SXM node: both are H100s.
    findings = run(with_gpu(hgx_h100(), 3, name="NVIDIA H100 PCIe"), expected=["H100*"])
    failed = [f for f in findings if f.status != "pass"]
    assert [(f.subject, f.status, f.expected) for f in failed] == [("gpu3", "fail", "NVIDIA H100 80GB HBM3")]
    assert "mixes" in failed[0].message and failed[0].remedy


def test_an_unreadable_name_is_unknown_with_its_reason():
    facts = with_gpu(hgx_h100(), 2, name=None)
    facts["gpus"][2]["unavailable"]["name"] = "GpuIsLost"
    finding = run(facts)[2]
    assert (finding.status, finding.subject) == ("unknown", "gpu2")
    assert "name" in finding.message and "GpuIsLost" in finding.message and finding.remedy


def test_unconfigured_model_is_skipped():
    [finding] = run(hgx_h100(), expected=None)
    assert finding.status == "skip" and finding.remedy
