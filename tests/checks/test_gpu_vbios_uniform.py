"""gpu.vbios_uniform on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import gpu_vbios_uniform

ID = gpu_vbios_uniform.ID

H100 = "NVIDIA H100 80GB HBM3"


def run(facts):
    return list(run_check(ID, facts))


def test_one_vbios_on_all_gpus_passes():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.subject, finding.observed) == ("pass", "host", {H100: "96.00.74.00.0D"})


def test_a_gpu_with_another_vbios_fails_naming_it():
    # 96.00.74.00.01 is the H100 VBIOS of tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-
    # thermal.txt,
    # 96.00.74.00.0D that of the 535.161.08 capture the healthy facts follow.
    [finding] = run(with_gpu(hgx_h100(), 6, vbios_version="96.00.74.00.01"))
    assert finding.status == "fail" and finding.remedy
    assert finding.observed == {H100: {"96.00.74.00.0D": ["gpu0", "gpu1", "gpu2", "gpu3", "gpu4", "gpu5", "gpu7"],
                                       "96.00.74.00.01": ["gpu6"]}}
    assert "96.00.74.00.01 on gpu6" in finding.message


def test_different_models_may_have_different_vbios():
    facts = with_gpu(hgx_h100(gpus=2), 1, name="NVIDIA H200", vbios_version="96.00.A5.00.01")
    [finding] = run(facts)
    assert finding.status == "pass" and finding.observed == {H100: "96.00.74.00.0D", "NVIDIA H200": "96.00.A5.00.01"}


def test_a_single_gpu_passes_with_a_note():
    [finding] = run(hgx_h100(gpus=1))
    assert finding.status == "pass" and "single GPU" in finding.message


def test_an_unreadable_vbios_is_unknown_with_its_reason():
    facts = with_gpu(hgx_h100(), 2, vbios_version=None)
    facts["gpus"][2]["unavailable"]["vbios_version"] = "GpuIsLost"
    [finding] = run(facts)
    assert (finding.status, finding.observed) == ("unknown", ["gpu2"])
    assert "vbios_version" in finding.message and "GpuIsLost" in finding.message and finding.remedy


def test_an_odd_vbios_fails_even_when_another_gpu_is_unread():
    facts = with_gpu(with_gpu(hgx_h100(), 6, vbios_version="96.00.74.00.01"), 2, vbios_version=None, reason="Timeout")
    [finding] = run(facts)
    assert finding.status == "fail" and "also unread: gpu2: vbios_version unavailable (Timeout)" in finding.message
    [finding] = run(with_gpu(hgx_h100(), 2, vbios_version=None, reason="Timeout"))
    assert finding.status == "unknown"
