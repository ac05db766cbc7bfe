"""thermal.margin: every GPU runs well below the temperature at which it slows down.

The VBIOS of each board sets the temperature at which the GPU starts cutting
its clocks (slowdown, 89 °C on H100 SXM) and the maximum for its HBM (95 °C).
A GPU that is already close to them when the node is checked will throttle
as soon as it is loaded: its airflow, heatsink or cold plate needs attention
before the node takes jobs. This check fails for each GPU whose headroom
(threshold minus current temperature) is below `min_margin_c` for the GPU or
`min_memory_margin_c` for its memory; a short margin fails even when another
reading is unread.

NotSupported: GPUs without a memory temperature sensor (GDDR boards such as
L40S and RTX 4090) are judged on the GPU alone, unless the pack says its GPUs
have one (`memory_sensor = true`, HBM parts): then it is `unknown`. Hopper and
Ada drivers publish the memory maximum only as a T.Limit offset; where NVML
has no memory maximum (NotSupported) the memory margin is left out with a
note. Any other reading that could not be taken is `unknown`. MIG does not
change the temperatures, which are read per GPU.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.thermal import judge_margins, reading
from readycheck.findings import gpu_subject

ID = "thermal.margin"
SETTINGS = {
    "min_margin_c": Setting("float", 10.0, "headroom to the slowdown threshold"),
    "min_memory_margin_c": Setting("float", 10.0, "headroom to memory max"),
    "memory_sensor": Setting("bool", False, "the platform's GPUs have a memory temperature sensor (HBM parts): "
                                            "NotSupported is then unknown, not a GPU judged without it"),
}
NEEDS = ("features",)

REMEDY = ("check cooling: inlet temperature, fans, airflow, heatsink or cold-plate contact; this GPU will throttle "
          "under load")
FIELDS = {"gpu": "temperature_gpu_c", "slowdown": "temperature_slowdown_c", "memory": "temperature_memory_c",
          "memory_max": "temperature_memory_max_c"}


def check(facts, settings, features=None):
    minimums = {"gpu_margin_c": settings["min_margin_c"], "memory_margin_c": settings["min_memory_margin_c"]}
    yield from per_gpu(ID, facts, (), partial(_judge, minimums, features))


def _judge(minimums, features, gpu):
    readings = {name: reading(gpu, field) for name, field in FIELDS.items()}
    return judge_margins(ID, gpu_subject(gpu), readings, minimums, features, REMEDY)
