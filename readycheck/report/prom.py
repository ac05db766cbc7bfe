"""Prometheus text exposition for node_exporter's textfile collector (write it as `*.prom`).

Every node series carries the node's name as `Hostname`, and every GPU series `gpu` (index), `UUID`,
`pci_bus_id` and `modelName`: the label names NVIDIA's dcgm-exporter gives the same things (its
default metrics template, internal/pkg/rendermetrics/render_metrics.go, releases 3.x to 4.5), so
readycheck's series join DCGM's (`on(Hostname, UUID)`) and never collide with a scrape's own `node`
or `instance` target labels. Gauges:

- `readycheck_ready`: 1 when the engine called the node ready, else 0;
- `readycheck_check_status{check}`: one series per check and node, valued at the check's worst status
  on the node: 0 pass, 1 skip, 2 warn, 3 unknown, 4 error, 5 fail (`STATUS_VALUES`); alert on `>= 4`;
- `readycheck_finding{check, subject, status}`: one series per finding that needs attention (fail,
  error, unknown, warn; never pass or skip), valued at the number of such findings (1; a check may say
  two things about one subject), with the GPU's labels when the subject is a GPU: which GPU or port;
- `readycheck_findings{status}`: how many findings have each status;
- `readycheck_facts_collected_timestamp_seconds`: when the judged facts were collected (the scan time);
- `readycheck_info{version, rule_pack, rule_pack_sha256}`: 1, what judged the node;
- `readycheck_bmc_tls_verified{url, tls}`: for a BMC read over Redfish, 1 when its certificate was verified,
  0 for `--bmc-insecure` (`tls="insecure"`) or plain HTTP (`tls="none"`);
- per GPU: temperature and its slowdown threshold, power draw and limit, where they were read;
- with a `--perf` run, every figure it measured (`readycheck_perf_*`, see report/perf.py);
- per rack, when the run has a site's racks: power budget, worst case and headroom in watts.

Label values are escaped as the exposition format requires (backslash, double quote, line feed).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import Any, TextIO

from readycheck.engine import Report
from readycheck.findings import PASS, READY, SKIP, STATUSES, gpu_subject
from readycheck.report import collected_at, printable
from readycheck.report.perf import prom_series as perf_series

# A check's status as a number, worst highest: STATUSES runs worst first (fail ... pass).
STATUS_VALUES = {status: len(STATUSES) - 1 - rank for rank, status in enumerate(STATUSES)}

GPU_READINGS = (
    ("readycheck_gpu_temperature_celsius", "temperature_gpu_c", "GPU temperature when the facts were collected."),
    ("readycheck_gpu_slowdown_temperature_celsius", "temperature_slowdown_c",
     "Temperature at which the GPU starts cutting its clocks."),
    ("readycheck_gpu_power_draw_watts", "power_draw_w", "GPU power draw when the facts were collected."),
    ("readycheck_gpu_power_limit_watts", "power_limit_w", "GPU enforced power limit."),
)
RACK_READINGS = (
    ("readycheck_rack_power_budget_watts", "budget_kw", "Power the rack's feeds may carry under its redundancy."),
    ("readycheck_rack_power_worst_case_watts", "worst_case_kw", "Worst-case draw of the rack's nodes."),
    ("readycheck_rack_power_headroom_watts", "headroom_kw", "Power budget minus worst case; negative is over."),
)


def label(value: Any) -> str:
    return printable(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def labelled(labels: dict[str, Any]) -> str:
    """Label pairs as a sample writes them, in order, values escaped: `key="value",...`. A node's Hostname and
    a GPU's labels are escaped once this way and joined to every series about them."""
    return ",".join(f'{key}="{label(val)}"' for key, val in labels.items())


def joined(pairs: str, **more: Any) -> str:
    """Label text already escaped (a node's Hostname), then `more`'s labels."""
    return f"{pairs},{labelled(more)}"


def number(value: float) -> str:
    """A sample value as the format writes it: `+Inf`, `-Inf`, `NaN`, else Python's shortest exact float."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


class Exposition:
    """Samples grouped by metric, each metric with one HELP and TYPE line, written in first-seen order.

    The format wants a metric's samples together, so a fleet's are gathered before any is written; each
    metric's lines go into one text buffer (a byte a character), not a string object a line, and the
    whole exposition is never joined into one text: 10,000 nodes are about 1.5 million lines."""

    def __init__(self) -> None:
        self.metrics: dict[str, tuple[str, io.StringIO]] = {}

    def add(self, name: str, doc: str, pairs: str, value: float) -> None:
        """One sample; `pairs` is its label text as `labelled` writes it."""
        metric = self.metrics.get(name)
        if metric is None:
            metric = self.metrics[name] = (doc, io.StringIO())
        metric[1].write(f"{name}{{{pairs}}} {number(value)}\n")

    def write(self, stream: TextIO) -> None:
        for name, (doc, samples) in self.metrics.items():
            stream.write(f"# HELP {name} {doc}\n# TYPE {name} gauge\n")
            stream.write(samples.getvalue())


def gpu_labels(gpu: dict[str, Any]) -> dict[str, Any]:
    """dcgm-exporter's labels for one GPU; an imported `nvidia-smi -q -i N` may lack the index (empty)."""
    return {"gpu": "" if gpu.get("index") is None else gpu["index"], "UUID": gpu.get("uuid") or "",
            "pci_bus_id": gpu.get("pci_bus_id") or "", "modelName": gpu.get("name") or ""}


def render(report: Report) -> str:
    buffer = io.StringIO()
    write(report, buffer)
    return buffer.getvalue()


def write(report: Report, stream: TextIO) -> None:
    out = Exposition()
    for node in report.nodes:
        facts = node.load_facts()
        where = labelled({"Hostname": node.node})
        out.add("readycheck_ready", "1 when readycheck judged the node ready for production, else 0.", where,
                node.verdict == READY)
        out.add("readycheck_info", "What judged the node: readycheck version and rule pack.",
                joined(where, version=report.tool_version, rule_pack=node.pack.name,
                       rule_pack_sha256=node.pack.content_hash), 1)
        when = collected_at(facts)
        if when is not None:
            out.add("readycheck_facts_collected_timestamp_seconds", "When the judged facts were collected.",
                    where, when.timestamp())
        counts = node.decision.counts
        for status in STATUSES:
            out.add("readycheck_findings", "Findings by status.", joined(where, status=status), counts[status])
        worst: dict[str, int] = {}
        for f in node.decision.findings:
            worst[f.check] = max(worst.get(f.check, 0), STATUS_VALUES[f.status])
        for check, value in worst.items():
            out.add("readycheck_check_status", "A check's worst status on the node: 0 pass, 1 skip, 2 warn, "
                    "3 unknown, 4 error, 5 fail.", joined(where, check=check), value)
        gpu_rows = [(gpu, labelled(gpu_labels(gpu))) for gpu in facts.get("gpus") or []]
        gpus = {gpu_subject(gpu): f",{pairs}" for gpu, pairs in gpu_rows}
        said = Counter((f.check, f.subject, f.status) for f in node.decision.findings if f.status not in (PASS, SKIP))
        for (check, subject, status), count in said.items():
            out.add("readycheck_finding", "A finding that needs attention (fail, error, unknown or warn) about one "
                    "subject; the value counts such findings.",
                    joined(where, check=check, subject=subject, status=status) + gpus.get(subject, ""), count)
        for gpu, pairs in gpu_rows:
            for name, key, doc in GPU_READINGS:
                if gpu.get(key) is not None:
                    out.add(name, doc, f"{where},{pairs}", gpu[key])
        bmc = facts.get("bmc") or {}
        if bmc.get("url") and bmc.get("tls"):
            out.add("readycheck_bmc_tls_verified", "1 when the BMC's facts came over HTTPS with its certificate "
                    "verified, 0 for --bmc-insecure (tls=\"insecure\") or plain HTTP (tls=\"none\").",
                    joined(where, url=bmc["url"], tls=bmc["tls"]), bmc["tls"] == "verified")
        for name, doc, labels, value in perf_series(facts):
            out.add(name, doc, joined(where, **labels), value)
    for rack in report.racks:
        for name, attribute, doc in RACK_READINGS:
            value = getattr(rack, attribute)
            if value is not None:
                out.add(name, doc, labelled({"rack": rack.name}), value * 1000)
    out.write(stream)
