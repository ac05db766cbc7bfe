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

Settings: `fail_reasons` (list of str), the clocks event reasons that fail a
GPU; default hw_slowdown, hw_thermal_slowdown, hw_power_brake_slowdown,
sw_thermal_slowdown.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.common import per_gpu
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "thermal.throttle"
SETTINGS = {"fail_reasons": Setting(
    "list[str]", ["hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "sw_thermal_slowdown"],
    "clocks event reasons that fail a GPU")}

COOLING = "check cooling: inlet temperature, fans, airflow and blanking panels, heatsink or cold-plate contact"
POWER = "check the PSUs and power feeds in the BMC (`ipmitool sdr`, `ipmitool sel list`) and replace a failed PSU"
INSPECT = "read `nvidia-smi -q -d PERFORMANCE,POWER,TEMPERATURE` to find the cause"

# What each reason means (NVML's nvmlClocksEventReasons) and, for the worrying ones, what to do.
MEANING = {
    "gpu_idle": "idle, nothing to run",
    "applications_clocks_setting": "held at the configured application clocks",
    "sw_power_cap": "at its power limit, normal under load",
    "hw_slowdown": "hardware slowdown, clocks cut 2x or more (heat, power brake or a fast power trigger)",
    "sync_boost": "clocks synchronised with its sync-boost group",
    "sw_thermal_slowdown": "driver thermal slowdown, the GPU or its memory is too hot (cooling problem)",
    "hw_thermal_slowdown": "hardware thermal slowdown (severe cooling problem)",
    "hw_power_brake_slowdown": "power brake asserted by the platform, e.g. a PSU lost (power problem)",
    "display_clock_setting": "held by the display clock setting",
}
REMEDY = {
    "applications_clocks_setting": ("reset the application clocks: `nvidia-smi -rac`",),
    "hw_slowdown": (COOLING, POWER),
    "sw_thermal_slowdown": (COOLING,),
    "hw_thermal_slowdown": (COOLING,),
    "hw_power_brake_slowdown": (POWER,),
}


def check(facts, settings):
    fail_reasons = settings["fail_reasons"]
    expected = f"none of {', '.join(fail_reasons)}"

    def judge(gpu):
        active = gpu["clocks_event_reasons"]
        bad = [reason for reason in active if reason in fail_reasons]
        if bad:
            remedies = dict.fromkeys(step for reason in bad for step in REMEDY.get(reason, (INSPECT,)))
            return Finding(ID, FAIL, gpu_subject(gpu), active, expected, _describe(bad), "; ".join(remedies))
        return Finding(ID, PASS, gpu_subject(gpu), active, expected,
                       _describe(active) or "no clocks event reason active")

    yield from per_gpu(ID, facts, ("clocks_event_reasons",), judge)


def _describe(reasons):
    return "; ".join(f"{reason}: {MEANING.get(reason, 'unknown reason')}" for reason in reasons)
