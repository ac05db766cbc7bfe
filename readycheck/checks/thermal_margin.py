"""thermal.margin: every GPU runs well below the temperature at which it slows down.

The VBIOS of each board sets the temperature at which the GPU starts cutting
its clocks (slowdown, 89 °C on H100 SXM) and the maximum for its HBM (95 °C).
A GPU that is already close to them when the node is checked will throttle
as soon as it is loaded: its airflow, heatsink or cold plate needs attention
before the node takes jobs. This check fails for each GPU whose headroom
(threshold minus current temperature) is below `min_margin_c` for the GPU or
`min_memory_margin_c` for its memory. GPUs without a memory temperature
sensor (NotSupported, e.g. GDDR boards) are judged on the GPU alone; a
reading that could not be taken otherwise is `unknown`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.unread import READ_BY_HAND, lacks, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "thermal.margin"
SETTINGS = {
    "min_margin_c": Setting("float", 10.0, "headroom to the slowdown threshold"),
    "min_memory_margin_c": Setting("float", 10.0, "headroom to memory max"),
}

MEMORY_FIELDS = ("temperature_memory_c", "temperature_memory_max_c")


def check(facts, settings):
    def judge(gpu):
        subject = gpu_subject(gpu)
        margins = {"gpu_margin_c": gpu["temperature_slowdown_c"] - gpu["temperature_gpu_c"]}
        minimums = {"gpu_margin_c": settings["min_margin_c"]}
        parts = [f"GPU {gpu['temperature_gpu_c']:g} °C, slowdown at {gpu['temperature_slowdown_c']:g} °C"]
        unread = [field for field in MEMORY_FIELDS if gpu.get(field) is None]
        unknown = [field for field in unread if not lacks(gpu, field)]
        if not unread:
            margins["memory_margin_c"] = gpu["temperature_memory_max_c"] - gpu["temperature_memory_c"]
            minimums["memory_margin_c"] = settings["min_memory_margin_c"]
            parts.append(f"memory {gpu['temperature_memory_c']:g} °C, max {gpu['temperature_memory_max_c']:g} °C")
        elif not unknown:
            parts.append("no memory temperature sensor (NotSupported)")
        short = [f"{name} {margins[name]:g} °C < {minimum:g}" for name, minimum in minimums.items()
                 if margins[name] < minimum]
        expected = {name: f">= {minimum:g}" for name, minimum in minimums.items()}
        if short:
            return Finding(ID, FAIL, subject, margins, expected, f"too little headroom: {', '.join(short)} "
                           f"({'; '.join(parts)})", "check cooling: inlet temperature, fans, airflow, heatsink or "
                           "cold-plate contact; this GPU will throttle under load")
        if unknown:
            return Finding(ID, UNKNOWN, subject, margins, expected, missing(gpu, *unknown), READ_BY_HAND)
        return Finding(ID, PASS, subject, margins, expected, "; ".join(parts))

    yield from per_gpu(ID, facts, ("temperature_gpu_c", "temperature_slowdown_c"), judge)
