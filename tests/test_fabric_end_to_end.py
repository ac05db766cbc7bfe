"""NVLink, topology and InfiniBand from probes to verdict: fake NVML and fake sysfs trees, collected, judged.

tests/data/roots/ib-degraded is modelled on tests/data/captures/ibstat_H100-node_IB-NDR400_3-ports-down.txt with
invented degradations (see tests/data/roots/README.md): mlx5_0 NDR Active at 400, mlx5_1/mlx5_2 an MT4125
Ethernet card (one Active at 100, one Down / Disabled), mlx5_3 Down / Polling, mlx5_4 Active at 200 with
symbol errors, mlx5_5 INIT with no NUMA affinity and no port_rcv_errors counter.
"""

from __future__ import annotations

from types import SimpleNamespace

import fake_nvml
from factsbuilder import judged_node
from test_end_to_end import blocking, collect_node

from readycheck import rulepack
from readycheck.facts.schema import validate

FABRIC = ("nvlink.", "topology.", "ib.")


def findings(result, check):
    return {f.subject: f for f in result.findings if f.check == check}


def test_degraded_infiniband_ports_fail_with_what_is_wrong():
    facts = collect_node(fake_nvml.hgx_h100_8gpu(), root="ib-degraded")
    assert validate(facts) == []
    result = judged_node(facts, rulepack.load("hgx-h100"))
    assert result.verdict == "not-ready"

    ports = findings(result, "ib.ports")
    assert ports["host"].status == "fail"
    assert ports["host"].message == ("4 compute ports found, the platform has 8 "
                                     "(2 more left out as storage or management)")
    assert ports["mlx5_0/1"].status == "pass"
    assert (ports["mlx5_3/1"].status, ports["mlx5_3/1"].message) == ("fail", "port DOWN (Polling)")
    assert (ports["mlx5_4/1"].status, ports["mlx5_4/1"].message) == ("fail", "running at 200 Gb/s, expected 400")
    assert (ports["mlx5_5/1"].status, ports["mlx5_5/1"].message) == ("fail", "port INIT (LinkUp)")
    assert "subnet manager" in ports["mlx5_5/1"].remedy
    for storage in ("mlx5_1/1", "mlx5_2/1"):  # the Ethernet card: storage, left out by the pack
        assert ports[storage].status == "skip" and "link layer Ethernet" in ports[storage].message

    errors = findings(result, "ib.errors")
    assert errors["mlx5_3/1"].status == "fail" and "7 link downs" in errors["mlx5_3/1"].message
    assert errors["mlx5_4/1"].status == "fail" and "1204 symbol errors" in errors["mlx5_4/1"].message
    assert errors["mlx5_5/1"].status == "unknown"
    assert errors["mlx5_5/1"].message == "counters.port_rcv_errors unavailable (NotFound)"
    assert {errors[p].status for p in ("mlx5_0/1", "mlx5_1/1", "mlx5_2/1")} == {"pass"}

    firmware = findings(result, "ib.firmware")["host"]
    assert firmware.status == "pass" and "MT_0000000838: 28.39.1002 on 4 HCAs" in firmware.message
    affinity = findings(result, "topology.nic_affinity")
    assert affinity["mlx5_5/1"].status == "unknown" and "NotReported" in affinity["mlx5_5/1"].message
    assert affinity["mlx5_4/1"].message == "NUMA node 1, with gpu4 gpu5 gpu6 gpu7"

    # The GPU side is the healthy fake: its NVLink checks pass.
    assert not [f for f in result.findings if f.check.startswith(("nvlink.", "topology.gpu")) and f.status != "pass"]


def test_the_healthy_tree_passes_every_fabric_check():
    result = judged_node(collect_node(fake_nvml.hgx_h100_8gpu()), rulepack.load("hgx-h100"))
    assert result.verdict == "ready", blocking(result)
    assert {f.status for f in result.findings if f.check.startswith(FABRIC)} == {"pass"}
    assert len(findings(result, "ib.ports")) == 9
    assert findings(result, "topology.gpu_pairs")["host"].message == "all 28 GPU pairs: NV18"


def test_a_node_without_hca_fails_ib_ports_and_the_other_ib_checks_say_so():
    result = judged_node(collect_node(fake_nvml.hgx_h100_8gpu(), root="bare"), rulepack.load("hgx-h100"))
    ports = findings(result, "ib.ports")["host"]
    assert ports.status == "fail" and ports.message.startswith("no InfiniBand or RoCE HCA on this node")
    for check in ("ib.firmware", "ib.errors", "topology.nic_affinity"):
        finding = findings(result, check)["host"]
        assert finding.status == "skip" and "no InfiniBand or RoCE HCA" in finding.message, check


def test_a_down_nvlink_and_a_stuck_fabric_show_on_the_gpu_and_its_pairs():
    links = {link: 0 if link == 5 else 1 for link in range(18)}
    fake = fake_nvml.hgx_h100_8gpu()
    fake.set("nvmlDeviceGetNvLinkState", fake_nvml.per_arg(links, fake_nvml.INVALID_ARGUMENT), gpu=3)
    in_progress = SimpleNamespace(state=2, status=0, cliqueId=0)
    fake.set("nvmlDeviceGetGpuFabricInfoV", in_progress, gpu=1)
    result = judged_node(collect_node(fake), rulepack.load("hgx-h100"))
    link = findings(result, "nvlink.links")["gpu3"]
    assert link.status == "fail" and link.message == "17 of 18 NVLinks active (inactive: 5)"
    pairs = findings(result, "topology.gpu_pairs")["host"]
    assert pairs.status == "fail" and pairs.message.startswith("7 of 28 GPU pairs below NV18: NV17: gpu0-gpu3")
    assert pairs.observed["GPU3"] == ["NV17"] * 3 + ["X"] + ["NV17"] * 4
    fabric = findings(result, "nvlink.fabric")["gpu1"]
    assert fabric.status == "fail" and fabric.message == "NVSwitch fabric registration in progress"


def test_geforce_gpus_skip_the_nvlink_checks_and_report_their_pcie_matrix():
    facts = collect_node(fake_nvml.rtx4090_workstation_4gpu(), root="bare")
    result = judged_node(facts, rulepack.choose(facts))
    assert facts["gpus"][0]["nvlinks"] == []
    for check in ("nvlink.errors", "nvlink.fabric"):
        finding = findings(result, check)["gpu0"]
        assert finding.status == "skip" and "has no NVLink" in finding.message
    pairs = findings(result, "topology.gpu_pairs")["host"]
    assert pairs.status == "skip"
    assert pairs.observed == {"GPU0": ["X", "PHB", "SYS", "SYS"], "GPU1": ["PHB", "X", "SYS", "SYS"],
                              "GPU2": ["SYS", "SYS", "X", "PIX"], "GPU3": ["SYS", "SYS", "PIX", "X"]}
    assert findings(result, "ib.ports")["host"].status == "skip"
