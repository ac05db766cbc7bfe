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
health.remapped_rows) and report retired pages as not supported: skipped when
the GPU shows remapped rows or the pack says its GPUs remap rows. Other GPUs
that report NotSupported are skipped where the pack does not require ECC
(no ECC, no page retirement) and `unknown` where it does. A count over its
limit or a pending retirement fails even when another counter is unread;
otherwise an unread counter is `unknown`. MIG (A100 and newer) does not apply:
those GPUs remap rows.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib import expects
from readycheck.checks.lib.gpus import counters_unread, per_gpu
from readycheck.checks.lib.unread import reason
from readycheck.facts import NOT_SUPPORTED
from readycheck.facts.fields import RETIRED_PAGE_FIELDS
from readycheck.findings import FAIL, PASS, SKIP, Finding, gpu_subject, nvidia_smi_id

ID = "health.retired_pages"
SETTINGS = {
    "max_total": Setting("int", 62, "retired pages (single plus double bit) above which a GPU fails; DCGM fails at 63"),
    "max_double_bit": Setting("int", 15, "pages retired for double-bit errors above which a GPU fails"),
}
NEEDS = ("features",)

READ_PAGES = "read them with `nvidia-smi -q -d PAGE_RETIREMENT`"


def check(facts, settings, features=None):
    yield from per_gpu(ID, facts, (), partial(_judge, settings["max_total"], settings["max_double_bit"], features))


def _judge(max_total, max_double_bit, features, gpu):
    subject = gpu_subject(gpu)
    pages = gpu.get("retired_pages") or {}
    observed = {name: pages.get(name) for name in RETIRED_PAGE_FIELDS}
    single, double = observed["single_bit"], observed["double_bit"]
    expected = {"total": f"<= {max_total}", "double_bit": f"<= {max_double_bit}", "pending": False}
    problems = []
    if single is not None and double is not None and single + double > max_total:
        problems.append((f"{single + double} retired pages, more than {max_total}", "RMA the GPU: it is wearing out"))
    if double is not None and double > max_double_bit:
        problems.append((f"{double} pages retired for double-bit errors, more than {max_double_bit}",
                         "RMA the GPU: too many uncorrectable memory errors"))
    if observed["pending"]:
        problems.append(("a page retirement is pending and applies only after a GPU reset",
                         f"drain the node and reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) or reboot, "
                         "then re-run"))
    if problems:
        return Finding(ID, FAIL, subject, observed, expected, "; ".join(message for message, _ in problems),
                       problems[0][1])
    if None in observed.values():
        remaps = gpu.get("remapped_rows") is not None or (
            expects.has(features, expects.ROW_REMAPPING) and reason(gpu, "retired_pages") == NOT_SUPPORTED)
        if remaps:
            return Finding(ID, SKIP, subject, message="this GPU repairs memory by row remapping, not page "
                                                      "retirement (see health.remapped_rows)")
        return counters_unread(ID, gpu, "retired_pages", READ_PAGES, features)
    return Finding(ID, PASS, subject, observed, expected, f"{single} single-bit and {double} double-bit retired pages")
