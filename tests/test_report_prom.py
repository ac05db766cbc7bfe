"""Prometheus textfile: parses with prometheus_client's parser (promtool is not installed here), one status
series per check and node, one series per finding that needs attention, dcgm-exporter's label names,
readings, racks."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from prometheus_client.parser import text_string_to_metric_families
from test_report_formats import FAULTY, HEALTHY, faulty_report, judged, rack

from readycheck.facts import load_snapshot
from readycheck.report import render
from readycheck.report.prom import STATUS_VALUES, label, number


def parse(out: str) -> dict:
    families = {f.name: f for f in text_string_to_metric_families(out)}
    assert all(f.type == "gauge" for f in families.values())
    series = [(s.name, tuple(sorted(s.labels.items()))) for f in families.values() for s in f.samples]
    assert len(series) == len(set(series)), "a series appears twice: the textfile collector would reject the file"
    return families


def values(family, **match) -> list[float]:
    return [s.value for s in family.samples if all(s.labels.get(k) == v for k, v in match.items())]


def test_the_faulty_node():
    report = faulty_report()
    out = render(report, "prom")
    assert out.endswith("\n")
    families = parse(out)
    node = {"Hostname": "gpu-b07-04"}
    assert values(families["readycheck_ready"], **node) == [0.0]
    collected = datetime(2026, 11, 27, 12, tzinfo=timezone.utc).timestamp()
    assert values(families["readycheck_facts_collected_timestamp_seconds"], **node) == [collected]
    findings = report.nodes[0].decision.findings
    # one status series per check: 44 checks, not 179 findings
    checks = families["readycheck_check_status"]
    assert sorted(s.labels["check"] for s in checks.samples) == sorted({f.check for f in findings})
    assert all(set(s.labels) == {"Hostname", "check"} for s in checks.samples)
    assert values(checks, check="pcie.link") == [5.0] and values(checks, check="power.psu_redundancy") == [3.0]
    assert values(checks, check="health.retired_pages") == [1.0] and values(checks, check="gpu.count") == [0.0]
    attention = families["readycheck_finding"]
    assert sum(s.value for s in attention.samples) == len([f for f in findings if f.status not in ("pass", "skip")])
    (link,) = [s for s in attention.samples if s.labels["check"] == "pcie.link"]
    gpu2 = report.nodes[0].facts["gpus"][2]
    assert link.labels == {"Hostname": "gpu-b07-04", "check": "pcie.link", "subject": "gpu2", "status": "fail",
                           "gpu": "2", "UUID": gpu2["uuid"], "pci_bus_id": gpu2["pci_bus_id"],
                           "modelName": gpu2["name"]}
    (storage,) = [s for s in attention.samples if s.labels["check"] == "host.storage"]
    assert "UUID" not in storage.labels and storage.labels["subject"] == "nvme3n1"
    counts = {s.labels["status"]: s.value for s in families["readycheck_findings"].samples}
    # examples/hgx-h100-faulty.json under dgx-h100 (its DMI names a DGX H100), as the Markdown golden file's count
    # line says too
    assert counts == {"fail": 6.0, "error": 0.0, "unknown": 1.0, "warn": 0.0, "skip": 27.0, "pass": 159.0}
    assert len(families["readycheck_gpu_temperature_celsius"].samples) == 8
    assert values(families["readycheck_gpu_temperature_celsius"], gpu="0") == [31.0]
    assert values(families["readycheck_gpu_temperature_celsius"], UUID=gpu2["uuid"]) == [31.0]
    assert values(families["readycheck_gpu_slowdown_temperature_celsius"], gpu="0") == [89.0]
    assert values(families["readycheck_gpu_power_draw_watts"], gpu="0") == [68.5]
    assert values(families["readycheck_gpu_power_limit_watts"], gpu="7") == [700.0]
    info = families["readycheck_info"].samples[0].labels
    assert info["rule_pack"] == "dgx-h100" and info["rule_pack_sha256"] == "0" * 64
    assert not any(name.startswith("readycheck_rack") for name in families)
    # one status series per check (not per finding: 199 findings were 177 series before), the value the status
    checks = {f.check for f in report.nodes[0].decision.findings}
    assert len(families["readycheck_check_status"].samples) == len(checks)


def test_status_values_rank_worst_highest():
    assert STATUS_VALUES == {"pass": 0, "skip": 1, "warn": 2, "unknown": 3, "error": 4, "fail": 5}


def test_the_label_names_are_dcgm_exporters():
    """dcgm-exporter 4.x writes `DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-...",pci_bus_id="...",device="nvidia0",
    modelName="...",Hostname="..."}` (its default template, internal/pkg/rendermetrics/render_metrics.go):
    readycheck uses the same names for the same things, so a PromQL join on them works."""
    families = parse(render(faulty_report(), "prom"))
    (sample, *_) = families["readycheck_gpu_power_draw_watts"].samples
    assert set(sample.labels) == {"Hostname", "gpu", "UUID", "pci_bus_id", "modelName"}
    assert all("node" not in s.labels for f in families.values() for s in f.samples)


def test_rack_headroom_when_racks_exist():
    report = judged(load_snapshot(HEALTHY), load_snapshot(FAULTY),
                    racks=[rack("B07", 20.4, ["gpu-b07-03", "gpu-b07-04"]), rack("B08", None, []),
                           rack("B09", 40.0, [])])
    families = parse(render(report, "prom"))
    assert values(families["readycheck_ready"]) == [1.0, 0.0]
    budget = families["readycheck_rack_power_budget_watts"]
    assert values(budget, rack="B07") == [30000.0] and values(budget, rack="B08") == [30000.0]
    assert values(families["readycheck_rack_power_worst_case_watts"], rack="B08") == []  # unknown: no sample
    headroom = families["readycheck_rack_power_headroom_watts"]
    assert [round(v) for v in values(headroom, rack="B07")] == [9600] and values(headroom, rack="B09") == [-10000.0]


def test_label_values_are_escaped_and_parse_back():
    tricky = 'a\\b"c\nd{e}=f,g'
    assert label(tricky) == 'a\\\\b\\"c\\nd{e}=f,g'
    facts = load_snapshot(FAULTY)
    facts["host"]["hostname"] = tricky
    families = parse(render(judged(facts), "prom"))
    assert Counter(s.labels["Hostname"] for s in families["readycheck_ready"].samples) == {tricky: 1}


def test_special_numbers():
    assert [number(v) for v in (1, True, 0.5, float("inf"), float("-inf"), float("nan"), 1795780800)] == [
        "1.0", "1.0", "0.5", "+Inf", "-Inf", "NaN", "1795780800.0"]
