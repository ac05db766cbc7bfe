"""gpu.model: every GPU is the model the platform was ordered with, and all GPUs are the same model.

A server that was built with the wrong GPU SKU (an H100 PCIe where the order
says SXM, a 40 GB A100 in an 80 GB fleet, an RMA replacement of another
model) runs jobs with different speed and memory than its neighbours, and
NCCL jobs across it run at the pace of the slowest card. Each GPU's NVML name
must be one of the `expected` models, compared as whole names: a leading
"NVIDIA ", case and repeated spaces do not matter, and `*` stands for any text
("A100-SXM4-*" is both A100 SXM4 sizes). A whole name, not a part of one: "H20"
is not "H200", "L40" not "L40S". A GPU that is none of them fails.

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

from readycheck.catalogue.gpus import same_model
from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.settings import not_configured
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "gpu.model"
SETTINGS = {"expected": Setting("list[str]", None, "the models each GPU must be one of, as NVML names them "
                                                   "(\"NVIDIA \" optional, `*` for any text), e.g. "
                                                   "[\"H100 80GB HBM3\"]; unset: skipped")}


def check(facts, settings):
    expected = settings["expected"]
    if not expected:
        yield not_configured(ID, "expected")
        return
    names = Counter(gpu["name"] for gpu in facts["gpus"] if _matches(gpu.get("name"), expected))
    majority = names.most_common(1)[0][0] if names else None
    yield from per_gpu(ID, facts, ("name",), partial(_judge, expected, majority))


def _matches(name, expected):
    return any(same_model(name, pattern) for pattern in expected)


def _judge(expected, majority, gpu):
    name = gpu["name"]
    subject = gpu_subject(gpu)
    if not _matches(name, expected):
        return Finding(ID, FAIL, subject, name, expected, f"{name} is not one of the expected models",
                       "replace the GPU with the platform's model, or fix gpu.model in the rule pack")
    if name != majority:
        return Finding(ID, FAIL, subject, name, majority, f"the node mixes models: {name} among {majority} GPUs",
                       f"replace this GPU with a {majority} so the node has one model")
    return Finding(ID, PASS, subject, name, expected, name)
