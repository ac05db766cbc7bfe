"""health.remapped_rows on real captures (a MIG H100 and H200, an A10 with a pending remap) and the HGX H100 facts."""

import pytest
from factsbuilder import hgx_h100, run_check, with_gpu
from test_import_formats import load

from readycheck.checks import health_remapped_rows

ID = health_remapped_rows.ID
CLEAN = {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False}


def run(facts, pack="hgx-h100"):
    return list(run_check(ID, facts, pack))


@pytest.mark.parametrize("capture", ["nvidia-smi-q_H100-80GB-HBM3_MIG-4inst_driver590.48.01.txt",
                                     "nvidia-smi-q_H200_MIG-5inst_driver590.48.01.txt"])
@pytest.mark.parametrize("pack", ["hgx-h100", "base"])
def test_a_mig_gpu_with_instances_hides_its_row_remapper_unknown_with_how_to_read_it(capture, pack):
    # MIG Mode Enabled, MIG devices listed, "Remapped Rows: N/A": nvml.h, nvmlDeviceGetRemappedRows: "On
    # MIG-enabled GPUs with active instances, querying the number of remapped rows is not supported".
    [finding] = run(load(capture), pack)
    assert finding.status == "unknown" and "MIG-enabled GPU" in finding.message
    assert "nvidia-smi -q -d ROW_REMAPPER" in finding.remedy and "-mig 0" in finding.remedy


def test_a_pending_remap_fails_on_a_real_a10():
    # "Remapped Rows: Pending: Yes" (tests/data/captures/nvidia-smi-q_A10_driver535.129.03_remap-pending.txt)
    [finding] = run(load("nvidia-smi-q_A10_driver535.129.03_remap-pending.txt"), "base")
    assert finding.status == "fail" and "pending" in finding.message and "nvidia-smi -r -i 0" in finding.remedy


def test_not_supported_is_unknown_where_the_pack_says_the_gpus_remap_rows_and_skipped_elsewhere():
    facts = with_gpu(hgx_h100(gpus=2), 1, remapped_rows=None)
    assert [f.status for f in run(facts)] == ["pass", "unknown"]
    assert "row remapping" in run(facts)[1].message
    assert [f.status for f in run(facts, "rtx4090-workstation")] == ["pass", "skip"]  # requires no ECC


def test_on_an_ecc_pack_a_gpu_that_neither_remaps_rows_nor_retires_pages_is_unknown():
    # base requires ECC and says nothing of row remapping: a V100 (page retirement, no remapper) is skipped,
    # a GPU that reports neither is unknown.
    v100 = with_gpu(hgx_h100(gpus=2), 1, remapped_rows=None,
                    retired_pages={"single_bit": 0, "double_bit": 0, "pending": False})
    assert [f.status for f in run(v100, "base")] == ["pass", "skip"]
    finding = run(with_gpu(hgx_h100(gpus=2), 1, remapped_rows=None), "base")[1]
    assert finding.status == "unknown" and "no page retirement either" in finding.message


def test_a_failure_or_pending_remap_fails_even_when_another_counter_is_unread():
    for rows in ({**CLEAN, "failure": True, "uncorrectable": None}, {**CLEAN, "pending": True, "correctable": None}):
        assert run(with_gpu(hgx_h100(gpus=1), 0, remapped_rows=rows))[0].status == "fail"
    finding = run(with_gpu(hgx_h100(gpus=1), 0, remapped_rows={**CLEAN, "pending": None}))[0]
    assert finding.status == "unknown" and "pending" in finding.message
