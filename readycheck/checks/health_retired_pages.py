"""health.retired_pages: no GPU is retiring memory pages beyond what it can afford.

GPUs before Ampere (P100, V100, T4, ...) take a memory page out of service
after a double-bit error or repeated single-bit errors. A page marked
*pending* is only retired at the next GPU reset or reboot: until then the GPU
keeps using it, so the node is not ready. A GPU with many retired pages is
wearing out; DCGM fails it at 63 or more in total, or when double-bit
retirements exceed 15, and NVIDIA replaces it under RMA. More pages than
`max_total` (single plus double bit) fails, more double-bit pages than
`max_double_bit` fails; all problems found are listed in one finding.

A100 and newer GPUs repair memory by row remapping instead (see
health.remapped_rows) and report retired pages as not supported: skipped,
as are other GPUs that report `NotSupported`. Counters that could not be read
otherwise are `unknown`.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import counters_unread, per_gpu
from readycheck.findings import FAIL, PASS, SKIP, Finding, gpu_subject, nvidia_smi_id

ID = "health.retired_pages"
SETTINGS = {
    "max_total": Setting("int", 62, "retired pages (single plus double bit) above which a GPU fails; DCGM fails at 63"),
    "max_double_bit": Setting("int", 15, "pages retired for double-bit errors above which a GPU fails"),
}

COUNTERS = ("single_bit", "double_bit", "pending")


def check(facts, settings):
    yield from per_gpu(ID, facts, (), partial(_judge, settings["max_total"], settings["max_double_bit"]))


def _judge(max_total, max_double_bit, gpu):
    subject = gpu_subject(gpu)
    pages = gpu.get("retired_pages") or {}
    observed = {name: pages.get(name) for name in COUNTERS}
    if None in observed.values():
        if gpu.get("remapped_rows") is not None:
            return Finding(ID, SKIP, subject, message="this GPU repairs memory by row remapping, not page "
                                                      "retirement (see health.remapped_rows)")
        return counters_unread(ID, gpu, "retired_pages", "read them with `nvidia-smi -q -d PAGE_RETIREMENT`")
    total = observed["single_bit"] + observed["double_bit"]
    expected = {"total": f"<= {max_total}", "double_bit": f"<= {max_double_bit}", "pending": False}
    problems = []
    if total > max_total:
        problems.append((f"{total} retired pages, more than {max_total}", "RMA the GPU: it is wearing out"))
    if observed["double_bit"] > max_double_bit:
        problems.append((f"{observed['double_bit']} pages retired for double-bit errors, more than {max_double_bit}",
                         "RMA the GPU: too many uncorrectable memory errors"))
    if observed["pending"]:
        problems.append(("a page retirement is pending and applies only after a GPU reset",
                         f"drain the node and reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) or reboot, "
                         "then re-run"))
    if problems:
        return Finding(ID, FAIL, subject, observed, expected, "; ".join(message for message, _ in problems),
                       problems[0][1])
    return Finding(ID, PASS, subject, observed, expected,
                   f"{observed['single_bit']} single-bit and {observed['double_bit']} double-bit retired pages")
