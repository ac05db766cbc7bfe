"""Captures judged end to end: the faults they show are found by the same checks as on a live node.

An ibstat alone has no GPU side: the GPU checks and nvml.available say unknown, while the
port checks judge the ports as on a live node (see readycheck/importers/__init__.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from factsbuilder import judged_node, run_check

from readycheck import rulepack
from readycheck.checks import gpu_count, inventory_match, nvlink_errors, nvlink_links
from readycheck.importers import import_files
from readycheck.order import Order

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"


def judged(name: str, pack: str):
    return judged_node(import_files([CAPTURES / name]), rulepack.load(pack))


def statuses(result, check: str) -> dict[str, str]:
    return {f.subject: f.status for f in result.findings if f.check == check}


def test_hgx_h100_in_hw_slowdown_is_not_ready_for_thermal_throttle():
    result = judged("nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt", "hgx-h100")
    assert result.verdict == "not-ready"
    assert statuses(result, "thermal.throttle") == {f"gpu{i}": "fail" for i in range(8)}
    finding = next(f for f in result.findings if f.check == "thermal.throttle")
    assert "hw_power_brake_slowdown" in finding.message
    assert statuses(result, "gpu.count") == {"host": "pass"} and statuses(result, "power.limit")["gpu0"] == "pass"
    assert set(statuses(result, "nvlink.links").values()) == {"unknown"}  # -q has no NVLink states


def test_a10_with_a_pending_remap_fails_health_remapped_rows():
    result = judged("nvidia-smi-q_A10_driver535.129.03_remap-pending.txt", "base")
    assert statuses(result, "health.remapped_rows") == {"gpu0": "fail"}
    assert result.verdict == "not-ready"


def test_h800_with_ecc_disabled_fails_gpu_ecc_mode():
    """A `-q -i N` capture of one GPU of eight does not print N: the GPU is named by its bus id,
    and the remedy addresses it so (`nvidia-smi -i` takes a bus id)."""
    result = judged("nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt", "hgx-h100")
    assert statuses(result, "gpu.ecc_mode") == {"gpu@00000000:18:00.0": "fail"}
    assert statuses(result, "health.ecc_errors") == {"gpu@00000000:18:00.0": "skip"}  # no counters without ECC
    ecc = next(f for f in result.findings if f.check == "gpu.ecc_mode")
    assert "nvidia-smi -i 00000000:18:00.0 -e 1" in ecc.remedy
    assert statuses(result, "gpu.count") == {"host": "pass"}  # Attached GPUs: 8


def test_ibstat_alone_is_judged_on_its_ports():
    result = judged("ibstat_H100-node_IB-NDR400_3-ports-down.txt", "hgx-h100")
    assert result.verdict == "not-ready"
    assert statuses(result, "nvml.available") == {"host": "unknown"}
    assert statuses(result, "gpu.ecc_mode") == {"host": "unknown"}
    # hgx-h100 counts InfiniBand ports only: the three ports down are the 100G Ethernet (MT4125) ones
    ports = statuses(result, "ib.ports")
    assert ports["host"] == "pass" and ports["mlx5_0/1"] == "pass"
    assert ports["mlx5_2/1"] == ports["mlx5_7/1"] == ports["mlx5_8/1"] == "skip"


def test_ibstat_with_three_ports_down_fails_ib_ports_when_every_port_counts(tmp_path):
    pack = tmp_path / "all-ports.toml"
    pack.write_text('description = "HGX H100, every HCA port is a compute port"\nextends = "hgx-h100"\n\n'
                    '[platform]\ncompute_link_layer = "any"\n[checks."ib.ports"]\nexpected_ports = 12\n')
    result = judged("ibstat_H100-node_IB-NDR400_3-ports-down.txt", str(pack))
    failed = {subject: f for subject, f in statuses(result, "ib.ports").items() if f == "fail"}
    assert {"mlx5_2/1", "mlx5_7/1", "mlx5_8/1"} <= set(failed)
    down = next(f for f in result.findings if f.check == "ib.ports" and f.subject == "mlx5_2/1")
    assert "port DOWN (Disabled)" in down.message


def test_check_takes_a_capture_directly():
    done = subprocess.run([sys.executable, "-m", "readycheck", "check",
                           CAPTURES / "nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt",
                           "--rules", "hgx-h100", "--format", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["nodes"][0]["facts"]["source"] == "nvidia-smi-text"
    assert {(f["check"], f["status"]) for f in report["findings"] if f["subject"] == "gpu3"} >= \
        {("thermal.throttle", "fail")}


@pytest.mark.parametrize("ordered, status", [(8, "pass"), (1, "fail")])
def test_gpu_count_and_the_order_count_a_q_i_capture_alike(ordered, status):
    """`nvidia-smi -q -i 0` on an 8-GPU H800 node shows one GPU and says "Attached GPUs : 8": both
    checks count the node's 8 (readycheck.facts.views.gpu_count), neither the one GPU shown."""
    facts = import_files([CAPTURES / "nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt"])
    [count] = run_check(gpu_count.ID, facts, "base", expected=ordered)
    order = next(f for f in run_check(inventory_match.ID, facts, "base",
                                      order=Order("order.toml", {"gpu_count": ordered}))
                 if f.subject == "order:gpu_count")
    assert (count.status, count.observed) == (order.status, order.observed) == (status, 8)
    assert "(the capture shows 1)" in count.message


def test_a_gpu_whose_nvlinks_are_all_inactive_fails_nvlink_links_and_a_pcie_part_skips():
    """`nvidia-smi nvlink -s` (driver 610.57.04) on an RTX 2080 SUPER with no bridge: "all links are
    inActive", so 0 active links, not an unreadable file; on the RTX 4080 SUPER (no NVLink): skip where the
    pack does not say the platform has NVLink, fail where it does (`expected_links`)."""
    facts = import_files([CAPTURES / "nvlink-s_RTX2080SUPER_driver610.57.04_all-links-inActive.txt"])
    [finding] = run_check(nvlink_links.ID, facts, "base", expected_links=4)
    assert (finding.subject, finding.status, finding.observed["active"]) == ("gpu0", "fail", 0)
    assert finding.message == "0 of 4 NVLinks active (nvidia-smi: all links are inactive)"
    [errors] = run_check(nvlink_errors.ID, facts, "base", max_crc_errors=0)
    assert errors.status == "unknown" and "AllLinksInactive" in errors.message
    facts = import_files([CAPTURES / "nvlink-s_RTX4080SUPER_driver595.71.05_no-NVLink.txt"])
    [errors] = run_check(nvlink_errors.ID, facts, "base")
    assert errors.status == "skip" and "no NVLink" in errors.message
    [finding] = run_check(nvlink_links.ID, facts, "base", expected_links=4)
    assert finding.status == "fail" and "reports no NVLink" in finding.message


# A site whose H100 nodes run a RoCE v2 compute fabric at 400 Gb/s: one setting names the fabric's link layer
# (ib.ports and topology.nic_affinity share it); the 100 Gb/s ConnectX-6 Dx storage HCAs are left out by name.
ROCE_SITE = ('description = "HGX H100 on a RoCE v2 compute fabric"\nextends = "hgx-h100"\n'
             '[platform]\ncompute_link_layer = "Ethernet"\n'
             '[checks."ib.ports"]\nexclude_devices = ["mlx5_bond_*", "mlx5_1", "mlx5_2", "mlx5_7", "mlx5_8"]\n')


def roce_pack(tmp_path):
    path = tmp_path / "roce.toml"
    path.write_text(ROCE_SITE)
    return str(path)


def test_the_all_active_roce_node_passes_with_the_compute_link_layer_set(tmp_path):
    result = judged("ibstat_H100-node_RoCE-400G_all-active.txt", roce_pack(tmp_path))
    ports = statuses(result, "ib.ports")
    assert ports["host"] == "pass", [f.message for f in result.findings if f.check == "ib.ports"]
    assert {ports[f"mlx5_{n}/1"] for n in (0, 3, 4, 5, 6, 9, 10, 11)} == {"pass"}
    assert {ports[f"mlx5_{n}/1"] for n in (1, 2, 7, 8)} == {"skip"}


def test_the_roce_node_with_two_ports_down_fails(tmp_path):
    result = judged("ibstat_H100-node_RoCE-400G_2-ports-down.txt", roce_pack(tmp_path))
    ports = statuses(result, "ib.ports")
    assert ports["host"] == "pass"  # all 8 compute ports are there; two of them are down, and fail
    assert {subject for subject, status in ports.items() if status == "fail"} == {"mlx5_5/1", "mlx5_11/1"}
    assert result.verdict == "not-ready"
    down = next(f for f in result.findings if f.check == "ib.ports" and f.subject == "mlx5_5/1")
    assert down.message.startswith("port DOWN")


def test_a_roce_node_judged_as_infiniband_is_told_to_set_the_link_layer():
    result = judged("ibstat_H100-node_RoCE-400G_all-active.txt", "hgx-h100")
    host = next(f for f in result.findings if f.check == "ib.ports" and f.subject == "host")
    assert host.status == "fail" and host.observed == 0
    assert "8 Ethernet ports at the compute rate" in host.message
    assert 'compute_link_layer = "Ethernet"' in host.remedy
