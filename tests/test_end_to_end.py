"""Probes to verdict without a GPU: the fake NVML backend and a fake tree, collected, validated, judged.

The tree tests/data/roots/hgx-h100 is the host side of an HGX H100 node (see its README); the
fake backend's hgx_h100_8gpu() is the GPU side. Commands get canned answers as on a live host.
"""

from __future__ import annotations

import fake_nvml
from factsbuilder import judged_node
from probe_fakes import ROOTS, LiveTree, runner

from readycheck import rulepack
from readycheck.facts.schema import validate
from readycheck.probes import collect
from readycheck.probes.xid import LIVE_SOURCES

SHOW = "--property=LoadState,ActiveState"
SYSTEMD = {
    ("systemctl", "show", "nvidia-fabricmanager", SHOW, "--no-pager"): "LoadState=loaded\nActiveState=active\n",
    ("nv-fabricmanager", "--version"): "Fabric Manager version is : 550.54.15\n",
    ("systemctl", "show", "nvidia-persistenced", SHOW, "--no-pager"): "LoadState=loaded\nActiveState=active\n",
}
QUIET_KERNEL_LOG = {tuple(LIVE_SOURCES[0]): "2026-11-27T10:00:00+0000 gpu-node-017 kernel: Linux version 5.15.0\n"}


def collect_node(backend, root="hgx-h100", commands=None):
    answers = {**SYSTEMD, **QUIET_KERNEL_LOG, **(commands or {})}
    return collect(lambda: LiveTree(root=ROOTS / root, run=runner(answers), nvml_backend=lambda: backend),
                   version="test")


def blocking(result):
    return sorted((f.check, f.subject, f.status) for f in result.findings if f.blocks_readiness)


def test_a_healthy_hgx_h100_node_collects_validly_and_is_ready():
    facts = collect_node(fake_nvml.hgx_h100_8gpu())
    assert validate(facts) == [] and facts["probe_errors"] == []
    assert facts["host"]["hostname"] == "gpu-node-017" and len(facts["gpus"]) == 8
    assert len(facts["infiniband"]) == 8
    pack = rulepack.choose(facts)
    assert pack.name == "hgx-h100"
    result = judged_node(facts, pack)
    assert result.verdict == "ready", blocking(result)


def test_the_kernel_logs_xid_79_makes_the_node_not_ready():
    line = "2024-03-12T04:02:51+0000 gpu-node-017 kernel: NVRM: Xid (PCI:0000:19:00): 79, pid='<unknown>', " \
           "name=<unknown>, GPU has fallen off the bus."
    facts = collect_node(fake_nvml.hgx_h100_8gpu(), commands={tuple(LIVE_SOURCES[0]): line + "\n"})
    result = judged_node(facts, rulepack.choose(facts))
    assert ("health.xid", "gpu0", "fail") in blocking(result)


def test_a_lost_gpu_is_unknown_everywhere_and_the_node_not_ready():
    facts = collect_node(fake_nvml.gpu_lost(lost=5))
    assert validate(facts) == []
    assert {"probe": "nvml", "error": "gpu5: GpuIsLost; its fields are null"} in facts["probe_errors"]
    result = judged_node(facts, rulepack.load("hgx-h100"))
    assert result.verdict == "not-ready"
    lost = {f.status for f in result.findings if f.subject == "gpu5"}
    assert lost == {"unknown"}, lost
    assert all(f.status != "unknown" for f in result.findings if f.subject == "gpu4")


def test_the_rtx4090_workstation_skips_what_geforce_lacks():
    facts = collect_node(fake_nvml.rtx4090_workstation_4gpu(), root="bare")
    assert validate(facts) == []
    result = judged_node(facts, rulepack.choose(facts))
    assert result.pack.name == "rtx4090-workstation"
    statuses = {(f.check, f.subject): f.status for f in result.findings}
    assert "gpu.ecc_mode" not in {check for check, _ in statuses}  # the pack does not require ECC
    assert statuses[("health.ecc_errors", "gpu0")] == "skip"
    assert statuses[("health.remapped_rows", "gpu0")] == "skip"
    assert statuses[("driver.fabricmanager", "host")] == "skip"


def test_without_nvml_every_gpu_check_is_unknown_and_nvml_available_fails():
    facts = collect_node(fake_nvml.nvml_unavailable("Driver Not Loaded", "DriverNotLoaded"), root="bare")
    assert facts["nvidia"]["nvml_available"] is False and facts["nvidia"]["nvml_error"] == "Driver Not Loaded"
    result = judged_node(facts, rulepack.choose(facts))
    assert ("nvml.available", "host", "fail") in blocking(result)
    assert not [f for f in result.findings if f.status == "pass" and f.check.startswith(("gpu.", "health.remap"))]
