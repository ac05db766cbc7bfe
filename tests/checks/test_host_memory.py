"""host.memory on the healthy HGX H100 facts (2 TiB, 8 x 81559 MiB of GPU memory), absolute and as a ratio."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import host_memory

ID = host_memory.ID

PACK = "base"


def run(facts, **settings):
    [finding] = run_check(ID, facts, PACK, **settings)
    return finding


def with_memory(mib, reason="NotFound"):
    facts = hgx_h100()
    facts["host"]["memory_total_mib"] = mib
    if mib is None:
        facts["host"]["unavailable"]["memory_total_mib"] = reason
    return facts


def test_unset_is_skipped():
    assert run(hgx_h100()).status == "skip"


def test_enough_memory_passes_both_rules():
    finding = run(hgx_h100(), min_mib=1990000, min_ratio_to_gpu_memory=3.0)
    assert finding.status == "pass" and finding.observed == 2097152
    assert finding.expected == ">= 1990000 MiB and >= 3 x 652472 MiB of GPU memory = 1957416 MiB"


def test_a_lost_dimm_fails_the_absolute_minimum():
    finding = run(with_memory(2097152 - 65536), min_mib=2050000)  # one 64 GiB DIMM gone
    assert finding.status == "fail"
    assert finding.message == "2031616 MiB, less than the 2050000 MiB the platform needs"


def test_too_little_for_the_gpus_fails_the_ratio():
    finding = run(with_memory(1048576), min_ratio_to_gpu_memory=2.0)
    assert finding.status == "fail"
    assert finding.message == "1048576 MiB is 1.61 x the GPUs' memory, the platform needs 2 x"
    assert "DIMM" in finding.remedy


def test_unread_memory_is_unknown():
    finding = run(with_memory(None), min_mib=1)
    assert finding.status == "unknown" and finding.message == "memory_total_mib unavailable (NotFound)"


def test_unread_gpu_memory_makes_the_ratio_unknown_but_a_failure_still_fails():
    facts = with_gpu(hgx_h100(), 3, memory_total_mib=None, reason="GpuIsLost")
    finding = run(facts, min_ratio_to_gpu_memory=1.0)
    assert finding.status == "unknown" and finding.message == \
        "GPU memory unknown: gpu3 memory_total_mib unavailable (GpuIsLost)"
    facts["host"]["memory_total_mib"] = 1000
    assert run(facts, min_mib=2000, min_ratio_to_gpu_memory=1.0).status == "fail"


def test_no_gpus_makes_the_ratio_unknown():
    facts = hgx_h100(gpus=0)
    assert run(facts, min_ratio_to_gpu_memory=1.0).status == "unknown"
