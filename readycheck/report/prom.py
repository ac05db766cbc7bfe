"""Prometheus text exposition for node_exporter's textfile collector (write it as `*.prom`).

Every series carries the `node` it is about. Gauges:

- `readycheck_ready`: 1 when the engine called the node ready, else 0;
- `readycheck_check_status{check, subject, status}`: one series per check and subject with its status in
  the label, valued at the number of such findings (1; a check may say two things about one subject);
  alert on `readycheck_check_status{status=~"fail|error"}`;
- `readycheck_findings{status}`: how many findings have each status;
- `readycheck_facts_collected_timestamp_seconds`: when the judged facts were collected (the scan time);
- `readycheck_info{version, rule_pack, rule_pack_sha256}`: 1, what judged the node;
- per GPU: temperature and its slowdown threshold, power draw and limit, where they were read;
- per rack, when the run has a site's racks: power budget, worst case and headroom in watts.

Label values are escaped as the exposition format requires (backslash, double quote, line feed).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from readycheck.engine import Report
from readycheck.findings import READY, STATUSES
from readycheck.report import collected_at, printable

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


def number(value: float) -> str:
    """A sample value as the format writes it: `+Inf`, `-Inf`, `NaN`, else Python's shortest exact float."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


class Exposition:
    """Samples grouped by metric, each metric with one HELP and TYPE line, written in first-seen order."""

    def __init__(self) -> None:
        self.metrics: dict[str, tuple[str, list[str]]] = {}

    def add(self, name: str, doc: str, labels: dict[str, Any], value: float) -> None:
        pairs = ",".join(f'{key}="{label(val)}"' for key, val in labels.items())
        self.metrics.setdefault(name, (doc, []))[1].append(f"{name}{{{pairs}}} {number(value)}")

    def text(self) -> str:
        lines = []
        for name, (doc, samples) in self.metrics.items():
            lines += [f"# HELP {name} {doc}", f"# TYPE {name} gauge", *samples]
        return "\n".join(lines) + "\n"


def render(report: Report) -> str:
    out = Exposition()
    for node in report.nodes:
        facts = node.load_facts()
        where = {"node": node.node}
        out.add("readycheck_ready", "1 when readycheck judged the node ready for production, else 0.", where,
                node.verdict == READY)
        out.add("readycheck_info", "What judged the node: readycheck version and rule pack.",
                dict(where, version=report.tool_version, rule_pack=node.pack.name,
                     rule_pack_sha256=node.pack.content_hash), 1)
        when = collected_at(facts)
        if when is not None:
            out.add("readycheck_facts_collected_timestamp_seconds", "When the judged facts were collected.",
                    where, when.timestamp())
        counts = node.decision.counts
        for status in STATUSES:
            out.add("readycheck_findings", "Findings by status.", dict(where, status=status), counts[status])
        said = Counter((f.check, f.subject, f.status) for f in node.decision.findings)
        for (check, subject, status), count in said.items():
            out.add("readycheck_check_status", "A check's status on one subject (the status label); the value "
                    "counts such findings.", dict(where, check=check, subject=subject, status=status), count)
        for gpu in facts.get("gpus") or []:
            for name, key, doc in GPU_READINGS:
                if gpu.get(key) is not None:
                    index = "" if gpu.get("index") is None else gpu["index"]  # an imported `-q -i N` lacks it
                    out.add(name, doc, dict(where, gpu=index, uuid=gpu.get("uuid") or ""), gpu[key])
    for rack in report.racks:
        for name, attribute, doc in RACK_READINGS:
            value = getattr(rack, attribute)
            if value is not None:
                out.add(name, doc, {"rack": rack.name}, value * 1000)
    return out.text()
