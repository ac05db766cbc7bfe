"""topology.nic_affinity on the healthy HGX H100 facts (4 GPUs and 4 HCAs per NUMA node), with one change each."""

import pytest
from factsbuilder import hgx_h100, platform, run_check, with_gpu

from readycheck.checks import topology_nic_affinity
from readycheck.errors import InputError

ID = topology_nic_affinity.ID

PACK = "hgx-h100"
# the `nvidia-smi topo -m` in https://github.com/sgl-project/sglang/issues/30401: NICk is PIX to GPUk.
RAILS = [f"mlx5_{n}=gpu{n}" for n in range(8)]


def run(facts, **settings):
    return {f.subject: f for f in run_check(ID, facts, PACK, **settings)}


def test_hcas_beside_gpus_pass():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {f.status for f in findings.values()} == {"pass"}
    assert findings["mlx5_0/1"].message == "NUMA node 0, with gpu0 gpu1 gpu2 gpu3"
    assert findings["mlx5_7/1"].observed == {"numa_node": 1, "gpus": ["gpu4", "gpu5", "gpu6", "gpu7"]}


def test_an_hca_on_a_node_without_gpus_fails():
    facts = hgx_h100()
    for gpu in facts["gpus"]:
        gpu["numa_node"] = 0
    finding = run(facts)["mlx5_6/1"]
    assert finding.status == "fail" and finding.message == "NUMA node 1 has no GPU (GPUs are on NUMA node 0)"
    assert "slot" in finding.remedy


def test_the_expected_pairing_is_followed():
    assert {f.status for f in run(hgx_h100(), expected_pairs=RAILS).values()} == {"pass"}
    finding = run(hgx_h100(), expected_pairs=["mlx5_1=gpu5"])["mlx5_1/1"]
    assert finding.status == "fail" and finding.message == "NUMA node 0, its GPU gpu5 is on NUMA node 1"


def test_a_malformed_or_impossible_pairing_is_a_pack_problem():
    with pytest.raises(InputError, match=r"test.toml: check 'topology.nic_affinity': expected_pairs entries must "
                                         r"read <hca>=gpu<index>, not 'mlx5_0 -> GPU0'"):
        run(hgx_h100(), expected_pairs=["mlx5_0 -> GPU0"])  # refused when the pack loads
    finding = run(hgx_h100(), expected_pairs=["mlx5_0=gpu9"])["mlx5_0/1"]
    assert finding.status == "unknown" and "gpu9" in finding.message


def test_an_hca_without_numa_affinity_is_unknown():
    facts = hgx_h100()
    port = facts["infiniband"][5]
    port["numa_node"] = None
    port["unavailable"]["numa_node"] = "NotReported"  # sysfs numa_node -1
    finding = run(facts)["mlx5_5/1"]
    assert finding.status == "unknown" and "NotReported" in finding.message and "BIOS" in finding.remedy


def test_gpus_without_numa_node_are_unknown():
    facts = hgx_h100(gpus=2)
    for index in range(2):
        facts = with_gpu(facts, index, reason="FunctionNotFound", numa_node=None)
    [finding] = run(facts).values()
    assert finding.status == "unknown" and "gpu0: numa_node unavailable (FunctionNotFound)" in finding.message
    facts = with_gpu(hgx_h100(), 1, reason="FunctionNotFound", numa_node=None)
    finding = run(facts, expected_pairs=["mlx5_1=gpu1"])["mlx5_1/1"]
    assert finding.status == "unknown" and "gpu1: numa_node unavailable" in finding.message


def test_storage_ports_are_left_out_with_a_skip():
    facts = hgx_h100()
    facts["infiniband"][2]["link_layer"] = "Ethernet"
    finding = run(facts)["mlx5_2/1"]
    assert finding.status == "skip" and "link layer Ethernet" in finding.message


def test_no_hca_and_no_gpu():
    facts = hgx_h100()
    facts["infiniband"] = []
    [finding] = run(facts).values()
    assert finding.status == "skip" and "no InfiniBand or RoCE HCA" in finding.message
    assert [f.status for f in run(platform("l40s")).values()] == ["skip"]
    assert [f.status for f in run(hgx_h100(gpus=0)).values()] == ["unknown"]


def with_gpu_paths(facts, path_of):
    """Give every port `gpu_paths`: `path_of(hca_index, gpu_index)` or None to leave the GPU out."""
    for n, port in enumerate(facts["infiniband"]):
        paths = {gpu["pci_bus_id"]: path_of(n, gpu["index"]) for gpu in facts["gpus"]}
        port["gpu_paths"] = {bus: path for bus, path in paths.items() if path is not None}
    return facts


def rails(n, g):
    """The HGX layout: HCA n behind the same switch as GPU n, NODE to its socket's other GPUs, SYS beyond."""
    return "PIX" if n == g else "NODE" if n // 4 == g // 4 else "SYS"


def test_gpu_paths_pix_to_a_gpu_passes():
    findings = run(with_gpu_paths(hgx_h100(), rails))
    assert {f.status for f in findings.values()} == {"pass"}
    assert findings["mlx5_5/1"].message == "PIX to gpu5: behind the same PCIe switch"
    assert findings["mlx5_5/1"].observed == {"closest": "PIX", "gpus": ["gpu5"]}
    findings = run(with_gpu_paths(hgx_h100(), rails), expected_pairs=RAILS)
    assert {f.status for f in findings.values()} == {"pass"}
    assert findings["mlx5_2/1"].observed == {"gpu2": "PIX"}


def test_gpu_paths_pxb_passes_phb_and_node_warn_sys_fails():
    def path_of(n, g):
        return {0: "PXB", 1: "PHB", 2: "NODE"}.get(n, "SYS") if g == 0 else "SYS"
    findings = run(with_gpu_paths(hgx_h100(), path_of))
    assert findings["mlx5_0/1"].status == "pass" and findings["mlx5_0/1"].message.startswith("PXB to gpu0")
    assert findings["mlx5_1/1"].status == "warn" and "crosses the host bridge" in findings["mlx5_1/1"].message
    assert findings["mlx5_2/1"].status == "warn" and findings["mlx5_2/1"].observed == {"closest": "NODE",
                                                                                      "gpus": ["gpu0"]}
    assert "PCIe switch" in findings["mlx5_2/1"].remedy
    sys_only = findings["mlx5_3/1"]
    assert sys_only.status == "fail" and sys_only.message.startswith("SYS to gpu0 gpu1")
    assert "slot" in sys_only.remedy


def test_gpu_paths_judge_the_expected_pair():
    findings = run(with_gpu_paths(hgx_h100(), rails), expected_pairs=["mlx5_1=gpu2", "mlx5_4=gpu0"])
    assert findings["mlx5_1/1"].status == "warn" and findings["mlx5_1/1"].observed == {"gpu2": "NODE"}
    assert findings["mlx5_4/1"].status == "fail" and findings["mlx5_4/1"].message.startswith("SYS to gpu0")
    assert findings["mlx5_0/1"].status == "pass"  # not paired: its closest GPU


def test_without_usable_gpu_paths_the_numa_judgement_stands():
    facts = with_gpu_paths(hgx_h100(), lambda n, g: None)  # {}: no GPU placed
    facts["infiniband"][1]["gpu_paths"] = None
    facts["infiniband"][1]["unavailable"]["gpu_paths"] = "NotFound"
    findings = run(facts)
    assert findings["mlx5_1/1"].message == "NUMA node 0, with gpu0 gpu1 gpu2 gpu3"
    assert {f.status for f in findings.values()} == {"pass"}
    # paths, but none to the paired GPU: NUMA decides that pair
    facts = with_gpu_paths(hgx_h100(), lambda n, g: "PIX" if n == g else None)
    finding = run(facts, expected_pairs=["mlx5_1=gpu5"])["mlx5_1/1"]
    assert finding.status == "fail" and finding.message == "NUMA node 0, its GPU gpu5 is on NUMA node 1"
