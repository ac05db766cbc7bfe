"""gpu.memory: every GPU has at least the memory its model is sold with.

The frame-buffer size NVML reports tells a 40 GB board from an 80 GB one of
the same name family, and shows a board that came up with part of its memory
missing. A job sized for the platform's memory runs out of memory on such a
GPU. Each GPU's `memory_total_mib` below `min_mib` fails; a size that could
not be read is `unknown`.

NVML reports a little less than the marketing size (an H100 80 GB shows
81559 MiB), so set `min_mib` somewhat below the nominal size.

NotSupported is `unknown` too (every GPU reports its memory). MIG: NVML reports the whole
GPU's memory, not a MIG device's share.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.settings import not_configured
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "gpu.memory"
SETTINGS = {"min_mib": Setting("int", None, "least memory per GPU in MiB, as NVML reports it; unset: skipped")}


def check(facts, settings):
    min_mib = settings["min_mib"]
    if min_mib is None:
        yield not_configured(ID, "min_mib")
        return
    yield from per_gpu(ID, facts, ("memory_total_mib",), partial(_judge, min_mib))


def _judge(min_mib, gpu):
    found = gpu["memory_total_mib"]
    expected = f">= {min_mib} MiB"
    if found >= min_mib:
        return Finding(ID, PASS, gpu_subject(gpu), found, expected, f"{found} MiB")
    return Finding(ID, FAIL, gpu_subject(gpu), found, expected,
                   f"{found} MiB, less than the {min_mib} MiB the platform's GPUs have",
                   "check the board part number (nvidia-smi -q): a smaller model or a faulty board; replace it")
