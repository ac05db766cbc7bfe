"""gpu.model: every GPU is the model the platform was ordered with, and all GPUs are the same model.

A server that was built with the wrong GPU SKU (an H100 PCIe where the order
says SXM, a 40 GB A100 in an 80 GB fleet, an RMA replacement of another
model) runs jobs with different speed and memory than its neighbours, and
NCCL jobs across it run at the pace of the slowest card. Each GPU's NVML name
must contain one of the `expected` substrings (case does not matter): a GPU
that matches none fails.

A node that mixes models fails too, even when each model is on the list:
the most common GPU name on the node is taken as the node's model (on a tie,
the name of the lowest-indexed GPU) and the odd GPUs fail. A GPU whose name
could not be read is `unknown`.

A name that could not be read (NotSupported included) is `unknown`. MIG: NVML names the
physical GPU, not its MIG devices.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.settings import not_configured
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "gpu.model"
SETTINGS = {"expected": Setting("list[str]", None, "substrings, any of which each GPU's name must contain, e.g. "
                                                   "[\"H100 80GB HBM3\"]; unset: skipped")}


def check(facts, settings):
    expected = settings["expected"]
    if not expected:
        yield not_configured(ID, "expected")
        return
    wanted = [pattern.casefold() for pattern in expected]
    names = Counter(gpu["name"] for gpu in facts["gpus"] if _matches(gpu.get("name"), wanted))
    majority = names.most_common(1)[0][0] if names else None
    yield from per_gpu(ID, facts, ("name",), partial(_judge, expected, wanted, majority))


def _matches(name, wanted):
    return name is not None and any(pattern in name.casefold() for pattern in wanted)


def _judge(expected, wanted, majority, gpu):
    name = gpu["name"]
    subject = gpu_subject(gpu)
    if not _matches(name, wanted):
        return Finding(ID, FAIL, subject, name, expected, f"{name} is not one of the expected models",
                       "replace the GPU with the platform's model, or fix gpu.model in the rule pack")
    if name != majority:
        return Finding(ID, FAIL, subject, name, majority, f"the node mixes models: {name} among {majority} GPUs",
                       f"replace this GPU with a {majority} so the node has one model")
    return Finding(ID, PASS, subject, name, expected, name)
