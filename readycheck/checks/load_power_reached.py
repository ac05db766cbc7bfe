"""load.power_reached: under load, each GPU drew at least a share of its power limit.

A GPU that cannot reach its limit under a full matrix-multiply load is held
back by something outside it: a PSU that cannot deliver, a loose power cable
on the baseboard, the platform's power brake. Each GPU's peak draw during the
load phase is compared with `min_share` of its enforced power limit (from the
idle facts). A GPU below it that held its maximum SM clock with no throttle
reason (no power cap, no slowdown) through the second half of the load
phase is limited by the workload, not by its power delivery: it passes, with
that note. A load phase whose backend failed or died early fails here on
`host`, with the backend's last words; an interrupted run is judged on what
was sampled. Without a load phase this check is `skip`. A draw or limit that
could not be read (NotSupported included) is `unknown`; MIG does not change
them, which are the whole GPU's.
"""

from __future__ import annotations

from readycheck.catalogue.clock_events import FAULTS
from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, peak, samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, listed

ID = "load.power_reached"
SETTINGS = {"min_share": Setting("float", 0.9, "share of the enforced power limit each GPU must reach", high=1)}

# Clock event reasons that hold the SM clock below its maximum: the faults and the power cap.
THROTTLES = (*FAULTS, "sw_power_cap")
# An SM clock this close to the maximum counts as at it (the clock steps in bins of a few MHz).
AT_MAXIMUM = 0.98


def check(facts, settings):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    if ended:
        return
    load = facts["load"]
    if load.get("status") == "backend_failed":
        yield Finding(ID, FAIL, "host", observed=load.get("status"), expected="completed",
                      message=listed(load.get("errors") or ["the load backend failed"], sep="; "),
                      remedy="read the backend's output (dcgmi diag / gpu_burn) and the kernel log for Xid errors")
    gpus = {g["index"]: g for g in facts["gpus"]}
    share = settings["min_share"]
    for index in sorted(per_gpu):
        if not per_gpu[index]:
            yield no_sample(ID, index)
            continue
        subject, gpu = f"gpu{index}", gpus.get(index) or {}
        drawn, limit = peak(per_gpu[index], "power_draw_w"), gpu.get("power_limit_w")
        if drawn is None or not limit:  # a limit of 0 W is no reading either
            yield Finding(ID, UNKNOWN, subject, drawn, limit,
                          "power draw or enforced limit unavailable", "read `nvidia-smi -q -d POWER` under load")
        elif drawn < share * limit and _workload_limited(per_gpu[index], gpu.get("clocks_max_sm_mhz")):
            yield Finding(ID, PASS, subject, f"{drawn:.0f} W", f"at least {share * limit:.0f} W, or the maximum "
                          "SM clock without throttling", f"peaked at {drawn:.0f} W, {drawn / limit:.0%} of its "
                          f"{limit:.0f} W limit, at its maximum SM clock ({gpu['clocks_max_sm_mhz']:g} MHz) with no "
                          "throttle reason: the workload, not the power delivery, set the draw")
        elif drawn < share * limit:
            yield Finding(ID, FAIL, subject, f"{drawn:.0f} W", f"at least {share * limit:.0f} W ({share:.0%} of "
                          f"{limit:.0f} W)", f"peaked at {drawn:.0f} W, {drawn / limit:.0%} of its {limit:.0f} W limit",
                          "check the GPU's power cables and the PSUs (`ipmitool sdr type \"Power Supply\"`); "
                          "look for hw_power_brake_slowdown in load.throttle")
        else:
            yield Finding(ID, PASS, subject, f"{drawn:.0f} W", f"at least {share * limit:.0f} W",
                          f"peaked at {drawn:.0f} W, {drawn / limit:.0%} of its limit")


def _workload_limited(samples, max_sm_mhz):
    """Whether, through the second half of the load phase, the GPU held its maximum SM clock with no
    throttle reason in any sample: then nothing held it back, and a lower draw is the workload's."""
    later = samples[len(samples) // 2:]
    if not later or not max_sm_mhz:  # a maximum of 0 MHz is no reading either
        return False
    return all(s.get("clocks_sm_mhz") is not None and s["clocks_sm_mhz"] >= AT_MAXIMUM * max_sm_mhz
               and s.get("clocks_event_reasons") is not None
               and not set(s["clocks_event_reasons"]) & set(THROTTLES) for s in later)
