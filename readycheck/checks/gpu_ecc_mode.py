"""gpu.ecc_mode: ECC is on for every GPU's memory, now and after the next reboot.

Without ECC a flipped bit in GPU memory silently corrupts a training run or
a result instead of being corrected or reported, and the memory-health
checks (health.ecc_errors, health.retired_pages) have no counters to read.
Data-center GPUs ship with ECC on; it is found off after someone disabled it
for a few percent more memory or bandwidth.

ECC off now fails. An ECC change takes effect only at the next reboot or GPU
reset, so the pending mode is judged as well: on now but off after the
reboot warns; off now and on after the reboot still fails (the GPU runs
without ECC until then); off now fails even when the pending mode is unread.

NotSupported: GPUs without ECC (most GeForce) report it and are skipped
where the pack does not require ECC; on a pack that does (it runs this
check expecting ECC on), NotSupported hides what the platform has and is
`unknown`. MIG does not change the ECC mode, which is read per GPU.
"""

from __future__ import annotations

from readycheck.checks.lib.gpus import per_gpu_feature, unsupported
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject

ID = "gpu.ecc_mode"
SETTINGS: dict = {}
NEEDS = ("features",)

EXPECTED = {"current": True, "pending": True}


def check(facts, settings, features=None):
    yield from per_gpu_feature(ID, facts, ("ecc_mode_current",), _judge,
                               lambda gpu: unsupported(ID, gpu, "ecc_mode_current", features))


def _judge(gpu):
    subject = gpu_subject(gpu)
    observed = {"current": gpu["ecc_mode_current"], "pending": gpu.get("ecc_mode_pending")}
    reboot = f"reboot the node (or reset the GPU: nvidia-smi -r -i {gpu['index']}) to apply it"
    if observed["current"] and observed["pending"] is None:
        return Finding(ID, UNKNOWN, subject, observed, EXPECTED,
                       f"ECC is on now; {missing(gpu, 'ecc_mode_pending')}", READ_BY_HAND)
    if not observed["current"]:
        if observed["pending"]:
            return Finding(ID, FAIL, subject, observed, EXPECTED,
                           "ECC is off until the next reboot (enabling it is pending)", reboot)
        return Finding(ID, FAIL, subject, observed, EXPECTED, "ECC is off",
                       f"enable ECC (nvidia-smi -i {gpu['index']} -e 1), then {reboot}")
    if not observed["pending"]:
        return Finding(ID, WARN, subject, observed, EXPECTED,
                       "ECC is on now but is set to turn off at the next reboot",
                       f"cancel the change before rebooting: nvidia-smi -i {gpu['index']} -e 1")
    return Finding(ID, PASS, subject, observed, EXPECTED, "ECC is on")
