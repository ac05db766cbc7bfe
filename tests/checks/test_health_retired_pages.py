"""health.retired_pages on V100 facts (GPUs that retire pages) and on the healthy HGX H100 (which remap rows)."""

from factsbuilder import hgx_h100, run_check, with_all_gpus, with_gpu

from readycheck.checks import health_retired_pages

ID = health_retired_pages.ID

PACK = "hgx-h100"
CLEAN = {"single_bit": 0, "double_bit": 0, "pending": False}


def v100_node():
    """Eight V100S with no retired pages and no row remapping, as in
    tests/data/captures/nvidia-smi-q-x_8xTesla-V100S-PCIE-32GB_driver460.73.01.xml."""
    return with_all_gpus(hgx_h100(), name="Tesla V100S-PCIE-32GB", retired_pages=CLEAN, remapped_rows=None)


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def test_no_retired_pages_pass():
    findings = run(v100_node())
    assert len(findings) == 8 and {f.status for f in findings} == {"pass"} and findings[0].observed == CLEAN


def test_a_pending_retirement_fails_until_reset():
    finding = run(with_gpu(v100_node(), 3, retired_pages={**CLEAN, "single_bit": 1, "pending": True}))[3]
    assert (finding.subject, finding.status) == ("gpu3", "fail") and "nvidia-smi -r -i 3" in finding.remedy


def test_63_retired_pages_fail_like_dcgm():
    finding = run(with_gpu(v100_node(), 0, retired_pages={**CLEAN, "single_bit": 50, "double_bit": 13}))[0]
    assert finding.status == "fail" and "63 retired pages" in finding.message and "RMA" in finding.remedy


def test_62_retired_pages_still_pass():
    assert run(with_gpu(v100_node(), 0, retired_pages={**CLEAN, "single_bit": 50, "double_bit": 12}))[0].status \
        == "pass"


def test_too_many_double_bit_pages_fail_and_every_problem_is_listed():
    finding = run(with_gpu(v100_node(), 0, retired_pages={"single_bit": 0, "double_bit": 16, "pending": True}))[0]
    assert finding.status == "fail" and "double-bit" in finding.message and "pending" in finding.message
    assert "RMA" in finding.remedy


def test_row_remapping_gpus_are_skipped():
    # H100: Retired Pages N/A, Remapped Rows 0:
    # tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"skip"} and "health.remapped_rows" in findings[0].message


def test_gpus_that_report_not_supported_are_skipped_where_the_pack_requires_no_ecc():
    facts = with_gpu(v100_node(), 1, retired_pages=None)
    finding = list(run_check(ID, facts, "rtx4090-workstation"))[1]
    assert finding.status == "skip" and "NotSupported" in finding.message


def test_not_supported_is_unknown_where_the_platform_retires_pages():
    # base requires ECC and does not say its GPUs remap rows: page retirement is what they have.
    finding = list(run_check(ID, with_gpu(v100_node(), 1, retired_pages=None), "base"))[1]
    assert finding.status == "unknown" and "page retirement" in finding.message


def test_unreadable_counters_are_unknown_with_their_reason():
    facts = with_gpu(v100_node(), 1, retired_pages=None, reason="NoPermission")
    for pack in ("hgx-h100", "base"):
        finding = list(run_check(ID, facts, pack))[1]
        assert finding.status == "unknown" and "NoPermission" in finding.message and finding.remedy


def test_a_count_over_the_limit_fails_even_when_pending_is_unread():
    facts = with_gpu(v100_node(), 2, retired_pages={"single_bit": 60, "double_bit": 16, "pending": None})
    assert run(facts)[2].status == "fail"
