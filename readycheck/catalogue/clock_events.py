"""What each clock event reason means and what to do about it.

The reasons are NVML's `nvmlClocksEventReasons` bits (nvml.h, "Clocks Event Reasons"; `nvidia-smi -q -d
PERFORMANCE` prints them as "Clocks Event Reasons"), by the names facts use (`readycheck.facts.decode`).
thermal.throttle judges them at idle and load.throttle under load; both word them from here.
"""

from __future__ import annotations

# The reasons that mean heat or the platform's power protection cut the clocks: a fault at idle and
# under load alike. sw_power_cap is not among them: a GPU at its power limit under load is normal.
FAULTS = ("hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "sw_thermal_slowdown")

COOLING = "check cooling: inlet temperature, fans, airflow and blanking panels, heatsink or cold-plate contact"
POWER = "check the PSUs and power feeds in the BMC (`ipmitool sdr`, `ipmitool sel list`) and replace a failed PSU"
INSPECT = "read `nvidia-smi -q -d PERFORMANCE,POWER,TEMPERATURE` to find the cause"

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


def describe(reasons: list[str]) -> str:
    """`hw_slowdown: hardware slowdown, ...; sw_power_cap: at its power limit, ...`."""
    return "; ".join(f"{reason}: {MEANING.get(reason, 'unknown reason')}" for reason in reasons)


def remedies(reasons: list[str], default: tuple[str, ...] = (INSPECT,)) -> str:
    """The steps for these reasons, each once, in order."""
    return "; ".join(dict.fromkeys(step for reason in reasons for step in REMEDY.get(reason, default)))
