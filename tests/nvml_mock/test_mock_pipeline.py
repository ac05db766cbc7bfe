"""The live NVML path, end to end: readycheck against NVIDIA's NVML mock library, through the real pynvml.

For every profile in tests/data/nvml-profiles/expected.toml (NVIDIA's seven and this repository's own),
in child processes with LD_LIBRARY_PATH at the mock: `readycheck collect` writes a valid snapshot of every
GPU; `readycheck check` on it, and `readycheck scan` on the live mock, give the verdict and the failing,
warning and unknown findings that expected.toml says a correct tool gives, in every report format.
Skipped without READYCHECK_TEST_NVML_MOCK (nvmlmock.py says how to build the mock).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from nvmlmock import Profile, differences, load_profiles, needs_mock
from prometheus_client.parser import text_string_to_metric_families

from readycheck import rulepack
from readycheck.facts.schema import validate

pytestmark = needs_mock

BY_NAME = {p.name: p for p in load_profiles()}
EXIT = {"ready": 0, "not-ready": 1}


def _by_status(findings: list[dict[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """status -> check -> subjects; `unknown` holds the blocking unknowns only."""
    found: dict[str, dict[str, set[str]]] = {"fail": {}, "warn": {}, "unknown": {}, "error": {}}
    for f in findings:
        if f["status"] in found and (f["status"] != "unknown" or f["required"]):
            found[f["status"]].setdefault(f["check"], set()).add(f["subject"])
    return found


def _judged_alike(profile: Profile, findings: list[dict[str, Any]]) -> list[str]:
    expected, gpus = profile.judged, profile.gpu_count()
    found = _by_status(findings)
    problems = [f"error: {found['error']}"] if found["error"] else []
    for status in ("fail", "warn", "unknown"):
        problems += [f"{status}: {p}" for p in differences(getattr(expected, status), found[status], gpus)]
    return problems


@pytest.mark.parametrize("name", BY_NAME)
def test_collect_reads_every_gpu_through_the_real_pynvml(runs, name):
    run = runs[name]
    assert run.collect.returncode == 0, run.collect.stderr
    facts = run.snapshot
    assert validate(facts) == []
    nvidia = facts["nvidia"]
    assert nvidia["nvml_available"] is True and nvidia["nvml_error"] is None
    assert nvidia["driver_version"] == run.profile.driver_version()
    assert [e for e in facts["probe_errors"] if e["probe"] == "nvml"] == []
    assert [g["index"] for g in facts["gpus"]] == list(range(run.profile.gpu_count()))
    for gpu in facts["gpus"]:
        assert gpu["name"] and gpu["uuid"].startswith("GPU-") and gpu["pci_bus_id"], gpu
    pairs = run.profile.gpu_count() * (run.profile.gpu_count() - 1) // 2
    assert len(facts["topology"]) == pairs and all(p["link"] for p in facts["topology"])


@pytest.mark.parametrize("name", BY_NAME)
def test_readycheck_chooses_the_pack_meant_for_the_gpus(runs, name):
    assert rulepack.choose(runs[name].snapshot).name == runs[name].profile.pack


@pytest.mark.parametrize("name", BY_NAME)
def test_check_gives_the_expected_verdict_and_findings(runs, name):
    run = runs[name]
    expected = run.profile.judged
    assert run.check.returncode == EXIT[expected.verdict], run.check.stderr
    report = json.loads(run.report("json").read_text(encoding="utf-8"))
    assert report["verdict"] == expected.verdict
    assert _judged_alike(run.profile, report["findings"]) == []
    assert f": {expected.verdict.replace('-', ' ').upper()}" in run.check.stdout


@pytest.mark.parametrize("name", BY_NAME)
def test_every_report_format_says_the_same(runs, name):
    """JUnit and Prometheus list the same failed (check, subject) pairs as the JSON report; Markdown and
    HTML name the verdict and every failing check."""
    run = runs[name]
    report = json.loads(run.report("json").read_text(encoding="utf-8"))
    failed = {(f["check"], f["subject"]) for f in report["findings"] if f["status"] == "fail"}
    junit = ET.parse(run.report("xml")).getroot()
    suites = list(junit.iter("testsuite"))
    assert len(suites) == 1  # one node: its suite's name prefixes every classname, "<node>.<check>"
    prefix = suites[0].get("name") + "."
    assert {(case.get("classname").removeprefix(prefix), case.get("name")) for case in junit.iter("testcase")
            if any(fail.get("type") == "fail" for fail in case.iter("failure"))} == failed
    verdicts = {p.get("value") for p in junit.iter("property") if p.get("name") == "verdict"}
    assert verdicts == {report["verdict"]}
    families = {f.name: f for f in text_string_to_metric_families(run.report("prom").read_text(encoding="utf-8"))}
    listed = families["readycheck_finding"].samples if "readycheck_finding" in families else []  # none: all pass
    assert {(s.labels["check"], s.labels["subject"]) for s in listed if s.labels["status"] == "fail"} == failed
    assert [s.value for s in families["readycheck_ready"].samples] == [1.0 if report["verdict"] == "ready" else 0.0]
    words = report["verdict"].replace("-", " ").upper()
    for suffix in ("md", "html"):
        text = run.report(suffix).read_text(encoding="utf-8")
        assert words in text and all(check in text for check, _ in failed), suffix


@pytest.mark.parametrize("name", BY_NAME)
def test_scan_of_the_live_mock_judges_alike(runs, name):
    run = runs[name]
    expected = run.profile.judged
    assert run.scan.returncode == EXIT[expected.verdict], run.scan.stderr
    report = json.loads((run.folder / "scan.json").read_text(encoding="utf-8"))
    assert report["verdict"] == expected.verdict
    assert _judged_alike(run.profile, report["findings"]) == []


def test_nvlink_version_is_read_as_nvml_enum_not_as_the_profiles_major_number(runs):
    """NVML returns nvmlNvlinkVersion_t (nvml.h: 4 = NVLink 3.0, 6 = 4.0) and readycheck reads that enum, as
    real drivers return it. NVIDIA's H100 profile writes `version: 4` meaning NVLink 4; through NVML that is
    3.0, so its links read as NVLink 3. This repository's profiles write the enum (6 for H200's NVLink 4.0)."""
    h100 = {link["version"] for gpu in runs["h100"].snapshot["gpus"] for link in gpu["nvlinks"]}
    h200 = {link["version"] for gpu in runs["hgx-h200"].snapshot["gpus"] for link in gpu["nvlinks"]}
    assert (h100, h200) == ({3}, {4})


def test_a_profile_the_mock_does_not_serve_is_judged_on_what_it_serves(runs):
    """The retired-pages fault sets 80 retired pages on GPU 2, but the mock answers no retired page for
    every GPU whatever its profile says: readycheck reads what NVML answers. When a newer mock serves them,
    this fails: drop [retired-pages.served] from expected.toml and the profile's own verdict is held."""
    profile = BY_NAME["retired-pages"]
    assert profile.gap == "retired_pages" and profile.expected.verdict == "not-ready"
    retired = [gpu["retired_pages"] for gpu in runs["retired-pages"].snapshot["gpus"]]
    assert all((r["single_bit"], r["double_bit"], r["pending"]) == (0, 0, False) for r in retired), retired
