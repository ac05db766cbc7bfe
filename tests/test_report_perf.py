"""--perf results in every report format: one slow GPU and one slow pair (perfbuilder) through text, JSON, Markdown,
JUnit, Prometheus and HTML (per-GPU bars, the GPU pair matrix, ports), with hostile names escaped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from lxml import html
from perfbuilder import healthy, slow_gpu, slow_pair
from prometheus_client.parser import text_string_to_metric_families
from test_report_formats import judged

from readycheck.perf.results import unavailable
from readycheck.report import render

HOSTILE = '<script>alert("ib")</script>|`x`'


@pytest.fixture(scope="module")
def report():
    facts = slow_gpu(3)
    facts["perf"]["p2p"] = slow_pair(2, 5)["perf"]["p2p"]
    return judged(facts)


def test_text_names_the_tools_and_the_failing_subjects(report):
    out = render(report, "text")
    assert "FAIL    perf.pcie_bandwidth gpu3: h2d 27.6 GB/s is below the pack's floor 48 GB/s" in out
    assert "FAIL    perf.nvlink_bandwidth gpu2-gpu5: 185.2 GB/s is below the pack's floor 335 GB/s" in out
    assert ("performance measured by builtin+nvbandwidth+nccl-tests+perftest in 121 of 150 s (completed): 8 GPUs, "
            "28 GPU pairs, all-reduce 480.32 GB/s over 8 GPUs, 8 HCA ports") in out


def test_json_carries_the_perf_facts_and_findings(report):
    doc = json.loads(render(report, "json"))
    perf = doc["nodes"][0]["facts"]["perf"]
    assert perf["gpus"][3]["h2d_gb_per_s"] == 27.6 and len(perf["p2p"]) == 28
    failed = {(f["check"], f["subject"]) for f in doc["findings"] if f["status"] == "fail"}
    assert failed == {("perf.pcie_bandwidth", "gpu3"), ("perf.nvlink_bandwidth", "gpu2-gpu5")}


def test_markdown_has_the_gpu_table_pairs_nccl_and_ports(report):
    out = render(report, "md")
    assert "| 3 | 27.6 | 55.17 | 2537 | 658.5 | 660.5 | 338.5 | 1248.5 |" in out
    assert "GPU pairs: 28 measured, 185.2 to 372.05 GB/s; slowest gpu2-gpu5." in out
    assert "All-reduce: 480.32 GB/s bus bandwidth over 8 GPUs at 16 GiB." in out
    assert "| mlx5\\_3/1 | 392.97 | gpu3 |" in out


def test_junit_fails_the_perf_testcases(report):
    root = ET.fromstring(render(report, "junit"))
    node = report.nodes[0].node  # each classname is <node>.<check>, so CI can tell which node failed
    failed = {(case.get("classname"), case.get("name")) for case in root.iter("testcase") if case.find("failure")
              is not None}
    assert {(f"{node}.perf.pcie_bandwidth", "gpu3"), (f"{node}.perf.nvlink_bandwidth", "gpu2-gpu5")} <= failed


def test_prometheus_exposes_every_figure(report):
    families = {f.name: f for f in text_string_to_metric_families(render(report, "prom"))}
    h2d = {s.labels["gpu"]: s.value for s in families["readycheck_perf_h2d_gigabytes_per_second"].samples}
    assert h2d["3"] == 27.6 and len(h2d) == 8
    gemm = families["readycheck_perf_gemm_tflops"].samples
    assert len(gemm) == 32 and {s.labels["dtype"] for s in gemm} == {"bf16", "fp16", "tf32", "fp8"}
    pairs = {(s.labels["gpu_a"], s.labels["gpu_b"]): s.value
             for s in families["readycheck_perf_p2p_gigabytes_per_second"].samples}
    assert pairs["2", "5"] == 185.2 and len(pairs) == 28
    [nccl] = families["readycheck_perf_nccl_busbw_gigabytes_per_second"].samples
    assert nccl.value == 480.32 and nccl.labels["ranks"] == "8"
    assert len(families["readycheck_perf_ib_gigabits_per_second"].samples) == 8


def test_html_draws_per_gpu_bars_coloured_by_the_findings(report):
    doc = html.fromstring(render(report, "html"))
    [table] = doc.xpath("//h3[.='Performance']/following-sibling::table[@class='perf'][1]")
    headers = [th.text_content() for th in table.xpath("./thead//th")]
    assert headers == ["GPU", "host to GPU GB/s", "GPU to host GB/s", "memory GB/s", "BF16 TFLOPS", "FP16 TFLOPS",
                       "TF32 TFLOPS", "FP8 TFLOPS"]
    rows = table.xpath("./tbody/tr")
    assert len(rows) == 8
    gpu3_h2d = rows[3].xpath("./td")[1]
    assert gpu3_h2d.xpath(".//rect/@class") == ["fail"]
    assert gpu3_h2d.xpath(".//rect/@width") == ["49.9%"]  # 27.6 of the best GPU's 55.3
    assert gpu3_h2d.text_content().strip() == "27.6"
    assert rows[0].xpath("./td")[1].xpath(".//rect/@class") == ["pass"]


def test_html_draws_the_gpu_pair_matrix_with_the_slow_pair_marked(report):
    doc = html.fromstring(render(report, "html"))
    [matrix] = doc.xpath("//table[@class='topo p2p']")
    assert [th.text_content() for th in matrix.xpath("./thead//th")][1:] == [f"to GPU{i}" for i in range(8)]
    rows = matrix.xpath("./tbody/tr")
    assert len(rows) == 8 and all(r.xpath("./td")[i].text_content().strip() == "X" for i, r in enumerate(rows))
    assert rows[5].xpath("./td")[2].xpath(".//b[@class='st fail']/text()") == ["185.2"]  # gpu5 -> gpu2, the slow way
    assert rows[2].xpath("./td")[5].xpath(".//b[@class='st fail']/text()") == ["370.38"]  # the same pair, other way
    assert rows[0].xpath("./td")[7].text_content().strip() == "371.67"
    assert not rows[0].xpath("./td")[7].xpath(".//b")


def test_html_escapes_what_the_facts_say():
    facts = healthy()
    facts["perf"]["ib"][0]["device"] = HOSTILE
    facts["perf"]["errors"] = [f"ib: {HOSTILE}"]
    out = render(judged(facts), "html")
    assert "<script>" not in out and "&lt;script&gt;alert(&#34;ib&#34;)&lt;/script&gt;" in out


def test_a_run_that_could_not_start_says_why_in_every_format():
    facts = healthy()
    facts["perf"] = unavailable(150, "NVML found no GPU (NVML not available: libnvidia-ml.so.1 not found)")
    report = judged(facts)
    for fmt in ("text", "md", "html"):
        assert "erformance not measured: NVML found no GPU (NVML not available" in render(report, fmt)


def test_a_fleet_draws_perf_pictures_only_for_nodes_not_ready():
    ready = healthy()
    ready["host"]["hostname"] = "gpu-ready"
    doc = html.fromstring(render(judged(ready, slow_gpu(3)), "html"))
    assert len(doc.xpath("//table[@class='topo p2p']")) == 1
    assert doc.xpath("//section[@id='node-1']//table[@class='topo p2p']")
