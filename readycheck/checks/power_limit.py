"""power.limit: every GPU enforces its board's power limit, and the board is one the platform ships.

A GPU capped below its board's default limit is a slow GPU: it holds its
clocks down under load (sw_power_cap) and a multi-GPU job runs at the pace of
the slowest one. Caps come from `nvidia-smi -pl`, from a boot script, or from
the BMC's out-of-band power capping, and outlive whoever set them: an
enforced limit below the GPU's default limit fails. A limit raised above the
default (within the board's maximum) warns: it is deliberate, but the site's
power budget must count it.

Boards of one model ship at different defaults (HGX A100 80 GB boards exist at
400 W and at 500 W): the default itself is judged against
`allowed_default_w`, the defaults the platform's boards ship with, and a GPU
whose default is none of them fails (another board than the platform's, or a
board whose default was changed). A site that runs its GPUs at one fixed
limit sets `expected_w`: the enforced limit must then be that, below fails as
capped and above fails as over the power budget the site computed. Within
`tolerance_w` counts as equal. A value that could not be read (NotSupported
included: every data-center GPU reports its limits) is `unknown`. MIG does not
change the limit, which is the whole GPU's.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject

ID = "power.limit"
SETTINGS = {
    "allowed_default_w": Setting("list[float]", None, "default power limits the platform's boards ship with, in W, "
                                                      "e.g. [400.0, 500.0]; unset: any default"),
    "expected_w": Setting("float", None, "enforced power limit the site runs every GPU at; default: the GPU's own "
                                         "default limit"),
    "tolerance_w": Setting("float", 1.0, "difference between two limits that still counts as equal, in watts"),
}

FIND_CAP = ("find who capped it: `nvidia-smi -q -d POWER` (requested vs enforced limit) and the BMC/OOB power "
            "capping policy")


def check(facts, settings):
    pinned, allowed, tolerance = settings["expected_w"], settings["allowed_default_w"], settings["tolerance_w"]

    def equal(a, b):
        return abs(a - b) <= tolerance

    def judge(gpu):
        subject, limit, default = gpu_subject(gpu), gpu["power_limit_w"], gpu.get("power_limit_default_w")
        target = default if pinned is None else pinned
        observed = {"limit_w": limit, "default_w": default}
        expected = {"limit_w": target, "default_w": allowed}
        problems, remedies = [], []
        if allowed and default is not None and not any(equal(default, w) for w in allowed):
            problems.append(f"the board's default limit is {default:g} W, the platform's boards ship at "
                            f"{' or '.join(f'{w:g}' for w in allowed)} W")
            remedies.append("check the board part number against the order (`nvidia-smi -q`): another board, "
                            "or a default changed in its firmware; or add its default to allowed_default_w")
        source = "its default limit" if pinned is None else "the site's expected_w"
        message = f"enforced power limit {limit:g} W, {source} {target:g} W"
        if limit < target - tolerance:
            problems.append(f"{message}: a capped GPU is a slow GPU")
            remedies.append(f"{FIND_CAP}; restore {target:g} W")
        elif limit > target + tolerance and pinned is not None:
            problems.append(f"{message}: above the limit the site's power budget assumes")
            remedies.append(f"set {target:g} W (`nvidia-smi -pl`, applied at every boot) or correct expected_w")
        if problems:
            return Finding(ID, FAIL, subject, observed, expected, "; ".join(problems), "; ".join(remedies))
        if allowed and default is None:
            return Finding(ID, UNKNOWN, subject, observed, expected, missing(gpu, "power_limit_default_w"),
                           READ_BY_HAND)
        if limit > target + tolerance:
            return Finding(ID, WARN, subject, observed, expected, f"{message}: raised above its default",
                           "confirm the rack's power budget counts the raised limit (power.rack_budget uses "
                           "the enforced limits), or restore the default with `nvidia-smi -pl`")
        return Finding(ID, PASS, subject, observed, expected, message)

    fields = ("power_limit_w",) if pinned is not None else ("power_limit_w", "power_limit_default_w")
    yield from per_gpu(ID, facts, fields, judge)
