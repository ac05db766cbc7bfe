"""power.limit: every GPU enforces the power limit the platform should run at.

A GPU capped below its platform's limit is a slow GPU: it holds its clocks
down under load (sw_power_cap) and a multi-GPU job runs at the pace of the
slowest one. Caps come from `nvidia-smi -pl`, from a boot script, or from the
BMC's out-of-band power capping, and outlive whoever set them. A limit above
the expected one fails too: the site's power budget (breakers, PSUs, cooling)
was computed at the expected limit. The expected limit is `expected_w` when
the pack sets it, else the GPU's own default limit; a difference within
`tolerance_w` passes. A limit that could not be read is `unknown`.

A limit that could not be read (NotSupported included: every data-center GPU reports it) is
`unknown`. MIG does not change the limit, which is the whole GPU's.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "power.limit"
SETTINGS = {
    "expected_w": Setting("float", None, "enforced power limit the platform should run at; "
                                         "default: the GPU's default limit"),
    "tolerance_w": Setting("float", 1.0, "difference from the expected limit that still passes, in watts"),
}


def check(facts, settings):
    configured = settings["expected_w"]
    tolerance = settings["tolerance_w"]

    def judge(gpu):
        limit = gpu["power_limit_w"]
        target = gpu["power_limit_default_w"] if configured is None else configured
        source = "its default limit" if configured is None else "the pack's expected_w"
        message = f"enforced power limit {limit:g} W, {source} {target:g} W"
        if abs(limit - target) <= tolerance:
            return Finding(ID, PASS, gpu_subject(gpu), limit, target, message)
        if limit < target:
            return Finding(ID, FAIL, gpu_subject(gpu), limit, target, f"{message}: a capped GPU is a slow GPU",
                           "find who capped it: `nvidia-smi -q -d POWER` (requested vs enforced limit) and the "
                           f"BMC/OOB power capping policy; restore {target:g} W")
        return Finding(ID, FAIL, gpu_subject(gpu), limit, target,
                       f"{message}: above the limit the site's power budget assumes",
                       f"set {target:g} W (`nvidia-smi -pl`, applied at every boot) or correct expected_w in the pack")

    fields = ("power_limit_w",) if configured is not None else ("power_limit_w", "power_limit_default_w")
    yield from per_gpu(ID, facts, fields, judge)
