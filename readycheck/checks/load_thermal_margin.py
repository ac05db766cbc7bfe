"""load.thermal_margin: under load, the hottest GPU and memory temperatures kept a margin below their limits.

A GPU that passes at idle can reach its slowdown temperature after two
minutes at full power when the airflow or cold plate is marginal. Each GPU's
peak temperature during the load phase must stay `min_margin_c` below its
slowdown threshold, and its peak memory temperature `min_memory_margin_c` below
the memory's maximum (both thresholds from the idle facts). A short margin
fails even when another reading is unread. NotSupported and MIG as in
thermal.margin: the memory part is left out where the GPU has no memory
sensor and the pack does not say it has one (`memory_sensor` of
thermal.margin), or where NVML has no memory maximum. Without a load phase
this check is `skip`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, peak, samples_by_gpu, unsampled
from readycheck.checks.lib.thermal import Reading, judge_margins, reading

ID = "load.thermal_margin"
SETTINGS = {
    "min_margin_c": Setting("float", 5.0, "headroom to the slowdown threshold at the peak"),
    "min_memory_margin_c": Setting("float", 5.0, "headroom to the memory maximum at the peak"),
}
NEEDS = ("features",)


def check(facts, settings, features=None):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    gpus = {g["index"]: g for g in facts["gpus"]}
    minimums = {"gpu_margin_c": settings["min_margin_c"], "memory_margin_c": settings["min_memory_margin_c"]}
    for index in sorted(per_gpu):
        samples, gpu = per_gpu[index], gpus.get(index) or {}
        if not samples:
            yield no_sample(ID, index)
            continue
        readings = {name: Reading(peak(samples, field), unsampled(samples, field))
                    for name, field in (("gpu", "temperature_gpu_c"), ("memory", "temperature_memory_c"))}
        readings.update(slowdown=reading(gpu, "temperature_slowdown_c"),
                        memory_max=reading(gpu, "temperature_memory_max_c"))
        yield judge_margins(ID, f"gpu{index}", readings, minimums, features, at="peaked at ")
