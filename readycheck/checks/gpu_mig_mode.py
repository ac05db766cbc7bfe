"""gpu.mig_mode: every GPU is in the MIG mode the platform runs in.

Multi-Instance GPU splits an A100/H100-class GPU into isolated slices. A GPU
left in MIG mode on a node meant for whole-GPU jobs shows up to the scheduler
as slices (or as nothing usable), and a GPU out of MIG mode on a node meant
for slicing offers one big device instead: either way the node does not
offer what the scheduler expects. A GPU whose MIG mode differs from
`expected` fails.

GPUs without MIG (pre-Ampere, GeForce, L40S) report `NotSupported`: they are
skipped when the platform expects MIG off, and fail when it expects MIG on.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu_feature
from readycheck.findings import FAIL, PASS, Finding, gpu_subject, nvidia_smi_id

ID = "gpu.mig_mode"
SETTINGS = {"expected": Setting("bool", False, "MIG mode the platform should be in")}


def check(facts, settings):
    expected = settings["expected"]
    yield from per_gpu_feature(ID, facts, ("mig_mode_current",), partial(_judge, expected),
                               lacking=_no_mig if expected else None)


def _words(enabled):
    return "on" if enabled else "off"


def _judge(expected, gpu):
    found = gpu["mig_mode_current"]
    if found == expected:
        return Finding(ID, PASS, gpu_subject(gpu), found, expected, f"MIG is {_words(found)}")
    return Finding(ID, FAIL, gpu_subject(gpu), found, expected,
                   f"MIG is {_words(found)}, the platform runs with MIG {_words(expected)}",
                   f"drain the node, set nvidia-smi -i {nvidia_smi_id(gpu)} -mig {int(expected)}, then reset the GPU")


def _no_mig(gpu):
    return Finding(ID, FAIL, gpu_subject(gpu), None, True,
                   f"{gpu.get('name') or 'this GPU'} does not support MIG, the platform runs with MIG on",
                   "fit the platform's GPU model, or set gpu.mig_mode expected = false in the rule pack")
