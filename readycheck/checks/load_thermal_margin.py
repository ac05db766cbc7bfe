"""load.thermal_margin: under load, the hottest GPU and memory temperatures kept a margin below their limits.

A GPU that passes at idle can reach its slowdown temperature after two
minutes at full power when the airflow or cold plate is marginal. Each GPU's
peak temperature during the load phase must stay `min_margin_c` below its
slowdown threshold, and its peak memory temperature `min_memory_margin_c` below
the memory's maximum (both thresholds from the idle facts; the memory part is
left out where the GPU has no memory sensor). Without a load phase this check
is `skip`.
"""

from __future__ import annotations

from readycheck.catalogue.clock_events import COOLING
from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, peak, samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "load.thermal_margin"
SETTINGS = {
    "min_margin_c": Setting("float", 5.0, "headroom to the slowdown threshold at the peak"),
    "min_memory_margin_c": Setting("float", 5.0, "headroom to the memory maximum at the peak"),
}


def check(facts, settings):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    gpus = {g["index"]: g for g in facts["gpus"]}
    for index in sorted(per_gpu):
        yield _judge(f"gpu{index}", per_gpu[index], gpus.get(index) or {}, settings) if per_gpu[index] \
            else no_sample(ID, index)


def _judge(subject, samples, gpu, settings):
    hottest, slowdown = peak(samples, "temperature_gpu_c"), gpu.get("temperature_slowdown_c")
    if hottest is None or slowdown is None:
        return Finding(ID, UNKNOWN, subject, hottest, slowdown, "peak temperature or slowdown threshold unavailable",
                       "read `nvidia-smi -q -d TEMPERATURE` under load")
    observed = {"gpu_peak_c": hottest, "gpu_margin_c": slowdown - hottest}
    problems = []
    if slowdown - hottest < settings["min_margin_c"]:
        problems.append(f"GPU peaked at {hottest:g} °C, {slowdown - hottest:g} °C below slowdown at {slowdown:g} °C")
    memory, memory_max = peak(samples, "temperature_memory_c"), gpu.get("temperature_memory_max_c")
    if memory is not None and memory_max is not None:
        observed.update(memory_peak_c=memory, memory_margin_c=memory_max - memory)
        if memory_max - memory < settings["min_memory_margin_c"]:
            problems.append(f"memory peaked at {memory:g} °C, {memory_max - memory:g} °C below "
                            f"its {memory_max:g} °C max")
    expected = (f"{settings['min_margin_c']:g} °C below slowdown, "
                f"{settings['min_memory_margin_c']:g} °C below memory max")
    if problems:
        return Finding(ID, FAIL, subject, observed, expected, "; ".join(problems), COOLING)
    return Finding(ID, PASS, subject, observed, expected, f"peaked at {hottest:g} °C of {slowdown:g} °C slowdown")
