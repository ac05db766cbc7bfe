"""health.remapped_rows: no pending row remap and no remap failure on any GPU.

HBM GPUs (A100 and newer) repair bad memory rows by remapping them. A
*pending* remap only takes effect after a GPU reset, so the GPU runs with a
known-bad row until then: not ready. A remapping *failure* means the spare
rows of a bank are used up: NVIDIA's RMA criterion. Uncorrectable remaps at or
above `max_uncorrectable` (NVIDIA's RMA rule is 512) fail too; correctable
remaps are reported, not failed.

GPUs without row remapping (pre-Ampere, GeForce) report `NotSupported`: the
check says `skip` for them, since there is nothing to judge.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, gpu_subject, nvidia_smi_id

ID = "health.remapped_rows"
SETTINGS = {"max_uncorrectable": Setting("int", 512, "uncorrectable remapped rows at which a GPU fails (RMA)")}


def check(facts, settings):
    if not facts["gpus"]:
        yield no_gpus(ID, facts)
        return
    for gpu in facts["gpus"]:
        yield _judge(gpu, settings["max_uncorrectable"])


def _judge(gpu, limit):
    subject = gpu_subject(gpu)
    rows = gpu.get("remapped_rows")
    if rows is None:
        why = reason(gpu, "remapped_rows")
        status = SKIP if why == "NotSupported" else UNKNOWN
        return Finding(ID, status, subject, message=f"remapped rows unavailable ({why})",
                       remedy="" if status == SKIP else "read them with `nvidia-smi -q -d ROW_REMAPPER`")
    observed = {k: rows.get(k) for k in ("correctable", "uncorrectable", "pending", "failure")}
    if None in observed.values():
        return Finding(ID, UNKNOWN, subject, observed=observed, message="remapped row counters incomplete",
                       remedy="read them with `nvidia-smi -q -d ROW_REMAPPER`")
    if observed["failure"]:
        return Finding(ID, FAIL, subject, observed, "no remap failure",
                       "row remapping failed: the bank has no spare rows left", "RMA the GPU (NVIDIA's criterion)")
    if observed["pending"]:
        return Finding(ID, FAIL, subject, observed, "no pending remap",
                       "a row remap is pending and applies only after a GPU reset",
                       f"drain the node and reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) or reboot, "
                       "then re-run")
    if observed["uncorrectable"] >= limit:
        return Finding(ID, FAIL, subject, observed, f"uncorrectable < {limit}",
                       f"{observed['uncorrectable']} uncorrectable remapped rows", "RMA the GPU")
    return Finding(ID, PASS, subject, observed, "no pending remap or failure",
                   f"{observed['correctable']} correctable, {observed['uncorrectable']} uncorrectable remaps")
