"""load.power_reached: under load, each GPU drew at least a share of its power limit.

A GPU that cannot reach its limit under a full matrix-multiply load is held
back by something outside it: a PSU that cannot deliver, a loose power cable
on the baseboard, the platform's power brake. Each GPU's peak draw during the
load phase is compared with `min_share` of its enforced power limit (from the
idle facts). A load phase whose backend failed or died early fails here on
`host`, with the backend's last words; an interrupted run is judged on what
was sampled. Without a load phase this check is `skip`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, peak, samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, listed

ID = "load.power_reached"
SETTINGS = {"min_share": Setting("float", 0.9, "share of the enforced power limit each GPU must reach", high=1)}


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
    limits = {g["index"]: g.get("power_limit_w") for g in facts["gpus"]}
    share = settings["min_share"]
    for index in sorted(per_gpu):
        if not per_gpu[index]:
            yield no_sample(ID, index)
            continue
        subject = f"gpu{index}"
        drawn, limit = peak(per_gpu[index], "power_draw_w"), limits.get(index)
        if drawn is None or not limit:  # a limit of 0 W is no reading either
            yield Finding(ID, UNKNOWN, subject, drawn, limit,
                          "power draw or enforced limit unavailable", "read `nvidia-smi -q -d POWER` under load")
        elif drawn < share * limit:
            yield Finding(ID, FAIL, subject, f"{drawn:.0f} W", f"at least {share * limit:.0f} W ({share:.0%} of "
                          f"{limit:.0f} W)", f"peaked at {drawn:.0f} W, {drawn / limit:.0%} of its {limit:.0f} W limit",
                          "check the GPU's power cables and the PSUs (`ipmitool sdr type \"Power Supply\"`); "
                          "look for hw_power_brake_slowdown in load.throttle")
        else:
            yield Finding(ID, PASS, subject, f"{drawn:.0f} W", f"at least {share * limit:.0f} W",
                          f"peaked at {drawn:.0f} W, {drawn / limit:.0%} of its limit")
