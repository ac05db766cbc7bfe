"""gpu.memory on the healthy HGX H100 facts, with one change each."""

from factsbuilder import hgx_h100, run_check, with_gpu

from readycheck.checks import gpu_memory

ID = gpu_memory.ID

PACK = "base"
OVERRIDES = {"min_mib": 81000}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def test_eight_80gb_gpus_pass():
    findings = run(hgx_h100())
    assert {(f.status, f.observed) for f in findings} == {("pass", 81559)} and len(findings) == 8


def test_a_40gb_board_in_an_80gb_node_fails_with_a_remedy():
    # 40960 MiB: the A100-SXM4-40GB of netdata/netdata
    # src/go/plugin/go.d/collector/nvidia_smi/testdata/a100-sxm4-mig.xml @04b1cf5 (GPL-3.0, not copied)
    findings = run(with_gpu(hgx_h100(), 5, memory_total_mib=40960))
    assert [(f.subject, f.status, f.observed) for f in findings if f.status != "pass"] == [("gpu5", "fail", 40960)]
    assert "part number" in findings[5].remedy


def test_exactly_the_minimum_passes():
    assert {f.status for f in run(hgx_h100(), min_mib=81559)} == {"pass"}


def test_an_unreadable_size_is_unknown_with_its_reason():
    facts = with_gpu(hgx_h100(), 0, memory_total_mib=None)
    facts["gpus"][0]["unavailable"]["memory_total_mib"] = "NoPermission"
    finding = run(facts)[0]
    assert finding.status == "unknown" and "memory_total_mib" in finding.message
    assert "NoPermission" in finding.message and finding.remedy


def test_unconfigured_minimum_is_skipped():
    [finding] = run(hgx_h100(), min_mib=None)
    assert finding.status == "skip"
