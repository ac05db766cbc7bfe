"""nvml.available: the driver answers, or it says why not; an import without GPU data cannot tell."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import nvml_available

ID = nvml_available.ID


def run(**nvidia):
    facts = hgx_h100()
    facts["nvidia"].update(nvidia)
    [finding] = run_check(ID, facts)
    return finding


def test_a_loaded_driver_passes():
    assert run().status == "pass"


def test_no_driver_fails_with_nvmls_words_and_a_remedy():
    finding = run(nvml_available=False, nvml_error="libnvidia-ml.so.1 not found")
    assert finding.status == "fail" and "libnvidia-ml.so.1 not found" in finding.message and finding.remedy


def test_an_import_without_gpu_data_is_unknown():
    finding = run(nvml_available=False, nvml_error="NotInSource: the imported captures (ibstat) carry no GPU data")
    assert finding.status == "unknown" and "nvidia-smi -q -x" in finding.remedy
