"""Each built-in pack judges its healthy platform READY, built from real captures where one exists.

A capture's GPUs go on the host side of the pack's healthy node (tests/capture_nodes.py). Some captures hold
a real fault: judged as captured, exactly that fault blocks; with it cleared as a technician would, the node
is READY, and the pack is the one readycheck chooses for it by itself. Platforms without a real capture here
(HGX B200, HGX H20, H200 NVL) are judged on the hand-built healthy node in tests/test_rulepack.py.
"""

from __future__ import annotations

import pytest
from capture_nodes import blocking, node
from factsbuilder import judged_node, run_check

from readycheck import rulepack

H100_8 = "nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-thermal.txt"
H200 = "nvidia-smi-q_H200_driver590.48.01_load.txt"
A100_4 = "nvidia-smi-q_4xA100-SXM4-80GB_driver555.42.02_minor-3to6.txt"
H800 = "nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt"
H800_TOPO = "topo-m_8xH800_NV8_4NIC_driver525.105.17.txt"
H100_NVL = "nvidia-smi-q_2xH100-NVL_driver550.54.14_minor-4-5.txt"
L40S = "nvidia-smi-q_L40S_driver595.80.txt"
RTX4090_8 = "nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt"
GH200 = "nvidia-smi-q_GH200-480GB_driver550.127.05_remapped-uncorr.txt"


def clear_thermal_slowdown(snapshot):
    snapshot["gpus"][2]["clocks_event_reasons"] = ["gpu_idle"]  # gpu2: SW thermal slowdown and power brake


def apply_pending_remaps(snapshot):
    for gpu in snapshot["gpus"]:  # the capture's gpu1 (and its copy gpu5) has a remap pending: reset the GPU
        gpu["remapped_rows"]["pending"] = False


def enable_ecc(snapshot):
    # ECC on (nvidia-smi -e 1, then a reboot): the driver then counts ECC errors, none on a healthy GPU (the
    # capture's N/A counters are those of ECC off, which on a platform that runs ECC are unknown, not skipped).
    for gpu in snapshot["gpus"]:
        gpu.update(ecc_mode_current=True, ecc_mode_pending=True,
                   ecc_errors=dict.fromkeys(("volatile_corrected", "volatile_uncorrected", "aggregate_corrected",
                                             "aggregate_uncorrected"), 0))
        gpu["ecc_errors"]["unavailable"] = {}
        gpu["unavailable"].pop("ecc_errors", None)


def enable_persistence(snapshot):
    for gpu in snapshot["gpus"]:
        gpu["persistence_mode"] = True


# pack, captures, GPUs kept, the capture's own faults (check, subjects), how a technician clears them
PLATFORMS = [
    ("hgx-h100", [H100_8], None, {("thermal.throttle", "gpu2")}, clear_thermal_slowdown),
    ("dgx-h100", [H100_8], None, {("thermal.throttle", "gpu2")}, clear_thermal_slowdown),
    ("hgx-h200", [H200], None, set(), None),
    ("dgx-h200", [H200], None, set(), None),
    ("hgx-a100", [A100_4], None, {("health.remapped_rows", "gpu1"), ("health.remapped_rows", "gpu5")},
     apply_pending_remaps),
    ("dgx-a100", [A100_4], None, {("health.remapped_rows", "gpu1"), ("health.remapped_rows", "gpu5")},
     apply_pending_remaps),
    ("hgx-h800", [H800, H800_TOPO], None, {("gpu.ecc_mode", f"gpu{i}") for i in range(8)}, enable_ecc),
    ("h100-nvl", [H100_NVL], None, set(), None),
    ("l40s", [L40S], None, {("driver.persistence", f"gpu{i}") for i in range(8)}, enable_persistence),
    ("rtx4090-workstation", [RTX4090_8], 4, set(), None),
]


@pytest.mark.parametrize("pack, captures, gpus, faults, clear", PLATFORMS, ids=[p[0] for p in PLATFORMS])
def test_the_real_platform_is_ready_once_its_captured_faults_are_cleared(pack, captures, gpus, faults, clear):
    snapshot = node(captures, pack, gpus)
    assert rulepack.choose(snapshot).name == pack, rulepack.choose(snapshot).reason
    assert blocking(judged_node(snapshot, rulepack.load(pack))) == faults
    if clear:
        clear(snapshot)
    result = judged_node(snapshot, rulepack.load(pack))
    assert result.verdict == "ready", sorted(blocking(result))


def test_four_rtx_4090s_with_ecc_off_are_ready_and_their_row_remapping_is_judged():
    # The capture's cards: ECC Mode Current Disabled, Pending Disabled, and a row-remapper histogram.
    result = judged_node(node([RTX4090_8], "rtx4090-workstation", 4), rulepack.load("rtx4090-workstation"))
    statuses = {(f.check, f.subject): f.status for f in result.findings}
    assert result.verdict == "ready"
    assert {statuses[("gpu.ecc_mode", f"gpu{i}")] for i in range(4)} == {"pass"}
    assert {statuses[("health.remapped_rows", f"gpu{i}")] for i in range(4)} == {"pass"}
    # The same cards judged as a data-center platform (ECC expected on): every one fails.
    base = judged_node(node([RTX4090_8], "rtx4090-workstation", 4), rulepack.load("base"))
    assert {f.status for f in base.findings if f.check == "gpu.ecc_mode"} == {"fail"}


def test_hgx_a100_boards_at_500_w_are_accepted_and_a_lowered_limit_is_not():
    snapshot = node([A100_4], "dgx-a100")  # Default Power Limit 500.00 W in the real capture
    apply_pending_remaps(snapshot)
    findings = {f.subject: f for f in judged_node(snapshot, rulepack.load("dgx-a100")).findings
                if f.check == "power.limit"}
    assert {f.status for f in findings.values()} == {"pass"}
    assert findings["gpu0"].observed == {"limit_w": 500.0, "default_w": 500.0}
    snapshot["gpus"][3]["power_limit_w"] = 400.0  # capped below the board's own 500 W default
    capped = [f for f in judged_node(snapshot, rulepack.load("dgx-a100")).findings
              if f.check == "power.limit" and f.status == "fail"]
    assert [f.subject for f in capped] == ["gpu3"] and "capped" in capped[0].message


def test_a_grace_superchips_pcie_x1_link_is_never_a_reseat_failure():
    snapshot = node([GH200], "base", gpus=1)  # x1 Gen4 over PCIe: the GPU reaches its CPU over NVLink-C2C
    chosen = rulepack.choose(snapshot)
    assert chosen.name == "base" and "Grace superchip" in chosen.reason
    for settings in ({}, {"min_width": 16, "min_gen": 5}):  # even under a pack that wants x16 Gen5
        [finding] = [f for f in run_check("pcie.link", snapshot, "base", **settings) if f.subject == "gpu0"]
        assert finding.status == "pass" and "NVLink-C2C" in finding.message, settings


def test_a_bridged_h100_nvl_pair_with_its_links_down_fails():
    # The real pair, its bridge links all reading inactive: the shape of the `dcgmi nvlink --link-status` in
    # https://github.com/NVIDIA/DCGM/issues/198 (every link "D"); `topo -m` then joins the cards over PCIe only.
    snapshot = node([H100_NVL], "h100-nvl")
    for gpu in snapshot["gpus"]:
        for link in gpu["nvlinks"]:
            link["active"] = False
    snapshot["topology"] = [dict(pair, link="PXB") for pair in snapshot["topology"]]
    result = judged_node(snapshot, rulepack.load("h100-nvl"))
    [pairs] = [f for f in result.findings if f.check == "topology.gpu_pairs"]
    assert pairs.status == "fail" and "gpu0 (0)" in pairs.message and "bridge" in pairs.remedy
    assert result.verdict == "not-ready"
    assert not [f for f in result.findings if f.check == "driver.fabricmanager" and f.status != "skip"]


def test_baseboard_packs_set_no_host_figures_and_the_dgx_pack_adds_the_dgxs():
    # An OEM HGX H100 server: 1 TiB and two EPYC CPUs, not the DGX H100's 2 TB and Xeon 8480C.
    snapshot = node([H100_8], "hgx-h100")
    clear_thermal_slowdown(snapshot)
    snapshot["host"].update(memory_total_mib=1048576, cpu_model="AMD EPYC 9454 48-Core Processor")
    assert rulepack.choose(snapshot).name == "hgx-h100"
    assert judged_node(snapshot, rulepack.load("hgx-h100")).verdict == "ready"
    as_dgx = judged_node(snapshot, rulepack.load("dgx-h100"))
    assert blocking(as_dgx) == {("host.memory", "host"), ("host.cpu", "host")}


def test_other_checks_read_whether_the_platform_runs_ecc():
    from readycheck.checks.lib.expects import ECC, declared

    assert ECC in declared(rulepack.load("hgx-h100").checks)
    assert ECC not in declared(rulepack.load("rtx4090-workstation").checks)  # "any": ECC on or off
    assert ECC in declared(None)  # no pack: ECC expected, as gpu.ecc_mode's default
