"""health.ecc_errors: no GPU has had uncorrectable ECC memory errors.

An uncorrectable (double-bit) ECC error kills the job that touched the
memory, and a GPU that had one since the driver loaded is not fit to take new
work until it is reset and re-checked. The volatile counters cover the time
since the last driver load or GPU reset: more volatile uncorrected errors
than `max_volatile_uncorrected` fails. The aggregate counters cover the
GPU's lifetime: more aggregate uncorrected errors than
`max_aggregate_uncorrected` warns, since it is history (often already
repaired by row remapping or page retirement) that the operator should know
about, not a fault of today. Corrected (single-bit) errors are reported, not
judged.

A GPU without ECC (GeForce, `NotSupported`) or with ECC turned off has no
counters: skipped (gpu.ecc_mode judges the mode). Counters that could not be
read otherwise are `unknown`.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import counters_unread, per_gpu
from readycheck.findings import FAIL, PASS, SKIP, WARN, Finding, gpu_subject, nvidia_smi_id

ID = "health.ecc_errors"
SETTINGS = {
    "max_volatile_uncorrected": Setting("int", 0, "uncorrectable errors since the last reset above which a GPU fails"),
    "max_aggregate_uncorrected": Setting("int", 0, "lifetime uncorrectable errors above which a GPU warns"),
}

COUNTERS = ("volatile_corrected", "volatile_uncorrected", "aggregate_corrected", "aggregate_uncorrected")
READ_ECC = "read them with `nvidia-smi -q -d ECC` as root"


def check(facts, settings):
    yield from per_gpu(ID, facts, (), partial(_judge, settings["max_volatile_uncorrected"],
                                              settings["max_aggregate_uncorrected"]))


def _judge(max_volatile, max_aggregate, gpu):
    subject = gpu_subject(gpu)
    errors = gpu.get("ecc_errors") or {}
    observed = {name: errors.get(name) for name in COUNTERS}
    if None in observed.values():
        if gpu.get("ecc_mode_current") is False:
            return Finding(ID, SKIP, subject, message="ECC is off, so there are no error counters (see gpu.ecc_mode)")
        return counters_unread(ID, gpu, "ecc_errors", READ_ECC)
    expected = {"volatile_uncorrected": f"<= {max_volatile}", "aggregate_uncorrected": f"<= {max_aggregate}"}
    if observed["volatile_uncorrected"] > max_volatile:
        return Finding(ID, FAIL, subject, observed, expected,
                       f"{observed['volatile_uncorrected']} uncorrectable ECC errors since the last GPU reset",
                       f"drain the node, reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) and re-run; "
                       "RMA it if they come back")
    if observed["aggregate_uncorrected"] > max_aggregate:
        return Finding(ID, WARN, subject, observed, expected,
                       f"{observed['aggregate_uncorrected']} uncorrectable ECC errors in the GPU's lifetime",
                       "check the GPU's remapped rows or retired pages and RMA history; replace it if the count grows")
    return Finding(ID, PASS, subject, observed, expected,
                   f"uncorrectable: {observed['volatile_uncorrected']} since reset, "
                   f"{observed['aggregate_uncorrected']} lifetime; corrected: {observed['volatile_corrected']} "
                   f"since reset, {observed['aggregate_corrected']} lifetime")
