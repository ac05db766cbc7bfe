"""thermal.throttle: no GPU has its clocks cut by heat or by the platform's power protection.

NVML reports why a GPU runs below its maximum clocks (the "clocks event
reasons" of `nvidia-smi -q -d PERFORMANCE`). A GPU held back by thermal
slowdown or a power brake delivers a fraction of its speed and drags every
multi-GPU job down to its pace, and on a freshly racked node it points at a
site problem: airflow, a heatsink or cold plate, a PSU or a power feed. This
check fails for each GPU with one of `fail_reasons` active, naming what the
reason means and what to inspect. `sw_power_cap` alone is normal: the GPU is
at its power limit under load (power.limit checks the limit itself);
`gpu_idle`, `sync_boost`, application and display clock settings are normal
too. Reasons that could not be read are `unknown`.

Reasons that could not be read (NotSupported included) are `unknown`. MIG does not change
them, which are the whole GPU's.
"""

from __future__ import annotations

from readycheck.catalogue.clock_events import FAULTS, describe, remedies
from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "thermal.throttle"
SETTINGS = {"fail_reasons": Setting("list[str]", list(FAULTS), "clocks event reasons that fail a GPU")}

def check(facts, settings):
    fail_reasons = settings["fail_reasons"]
    expected = f"none of {', '.join(fail_reasons)}"

    def judge(gpu):
        active = gpu["clocks_event_reasons"]
        bad = [reason for reason in active if reason in fail_reasons]
        if bad:
            return Finding(ID, FAIL, gpu_subject(gpu), active, expected, describe(bad), remedies(bad))
        return Finding(ID, PASS, gpu_subject(gpu), active, expected,
                       describe(active) or "no clocks event reason active")

    yield from per_gpu(ID, facts, ("clocks_event_reasons",), judge)

