"""health.remapped_rows: no pending row remap and no remap failure on any GPU.

HBM GPUs (A100 and newer) repair bad memory rows by remapping them. A
*pending* remap only takes effect after a GPU reset, so the GPU runs with a
known-bad row until then: not ready. A remapping *failure* means the spare
rows of a bank are used up: NVIDIA's RMA criterion. Uncorrectable remaps at or
above `max_uncorrectable` (NVIDIA's RMA rule is 512) fail too; correctable
remaps are reported, not failed.

NotSupported: GPUs without row remapping (pre-Ampere, and most GeForce)
report it and are skipped, unless the pack says the platform's GPUs remap
rows (`supported = true`), or requires ECC while the GPU reports no page
retirement either (an ECC GPU repairs its memory one way or the other): then
it is `unknown`. A GPU in MIG mode is always
`unknown` when NVML says NotSupported, whatever the pack: NVML cannot read the
remapped rows of a MIG-enabled GPU with active instances (nvml.h,
nvmlDeviceGetRemappedRows), and MIG GPUs all remap rows. Read them as root
with `nvidia-smi -q -d ROW_REMAPPER`, or disable MIG. A remap failure, a
pending remap or too many uncorrectable remaps fail even when another counter
is unread; otherwise an unread counter is `unknown`.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib import expects
from readycheck.checks.lib.gpus import per_gpu, unsupported
from readycheck.checks.lib.unread import reason
from readycheck.facts import NOT_SUPPORTED
from readycheck.facts.fields import REMAPPED_ROW_FIELDS
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject, nvidia_smi_id

ID = "health.remapped_rows"
SETTINGS = {
    "max_uncorrectable": Setting("int", 512, "uncorrectable remapped rows at which a GPU fails (RMA)"),
    "supported": Setting("bool", False, "the platform's GPUs remap rows (A100 and newer data-center GPUs, L40S): "
                                        "NotSupported is then unknown, not skip"),
}
NEEDS = ("features",)

READ_ROWS = "read them with `nvidia-smi -q -d ROW_REMAPPER` as root"
MIG_ROWS = ("read them as root with `nvidia-smi -q -d ROW_REMAPPER`, or drain the node, disable MIG "
            "(`nvidia-smi -i {index} -mig 0`, then reset the GPU) and re-run")


def check(facts, settings, features=None):
    yield from per_gpu(ID, facts, (), partial(_judge, settings["max_uncorrectable"], features))


def _judge(limit, features, gpu):
    subject = gpu_subject(gpu)
    rows = gpu.get("remapped_rows")
    if rows is None:
        why = reason(gpu, "remapped_rows")
        if why == NOT_SUPPORTED and gpu.get("mig_mode_current"):
            return Finding(ID, UNKNOWN, subject, message="remapped rows unavailable (NotSupported): NVML cannot read "
                           "them on a MIG-enabled GPU with active instances",
                           remedy=MIG_ROWS.format(index=nvidia_smi_id(gpu)))
        if why == NOT_SUPPORTED and not expects.has(features, expects.ROW_REMAPPING) and \
                expects.has(features, expects.ECC) and gpu.get("retired_pages") is None:
            return Finding(ID, UNKNOWN, subject, message="remapped rows unavailable (NotSupported), but the platform's "
                           "GPUs have ECC memory and this one reports no page retirement either: it repairs its memory "
                           "one way or the other", remedy=READ_ROWS)
        if why == NOT_SUPPORTED:
            return unsupported(ID, gpu, "remapped_rows", features, READ_ROWS)
        return Finding(ID, UNKNOWN, subject, message=f"remapped rows unavailable ({why})", remedy=READ_ROWS)
    observed = {k: rows.get(k) for k in REMAPPED_ROW_FIELDS}
    if observed["failure"]:
        return Finding(ID, FAIL, subject, observed, "no remap failure",
                       "row remapping failed: the bank has no spare rows left", "RMA the GPU (NVIDIA's criterion)")
    if observed["pending"]:
        return Finding(ID, FAIL, subject, observed, "no pending remap",
                       "a row remap is pending and applies only after a GPU reset",
                       f"drain the node and reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) or reboot, "
                       "then re-run")
    if observed["uncorrectable"] is not None and observed["uncorrectable"] >= limit:
        return Finding(ID, FAIL, subject, observed, f"uncorrectable < {limit}",
                       f"{observed['uncorrectable']} uncorrectable remapped rows", "RMA the GPU")
    if None in observed.values():
        unread = ", ".join(name for name, value in observed.items() if value is None)
        return Finding(ID, UNKNOWN, subject, observed=observed, message=f"remapped row counters unread: {unread}",
                       remedy=READ_ROWS)
    return Finding(ID, PASS, subject, observed, "no pending remap or failure",
                   f"{observed['correctable']} correctable, {observed['uncorrectable']} uncorrectable remaps")
