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

A GPU with ECC turned off has no counters: skipped (gpu.ecc_mode judges the
mode). NotSupported: skipped where the pack does not require ECC (GeForce),
`unknown` on a pack that does. A count that is over its limit fails even when
another counter is unread; otherwise an unread counter is `unknown`. MIG does
not change the counters, which are read per GPU (nvidia-smi shows each MIG
device's share as well).
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import counters_unread, per_gpu
from readycheck.facts.fields import ECC_ERROR_FIELDS
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, WARN, Finding, gpu_subject, nvidia_smi_id

ID = "health.ecc_errors"
SETTINGS = {
    "max_volatile_uncorrected": Setting("int", 0, "uncorrectable errors since the last reset above which a GPU fails"),
    "max_aggregate_uncorrected": Setting("int", 0, "lifetime uncorrectable errors above which a GPU warns"),
}
NEEDS = ("features",)

READ_ECC = "read them with `nvidia-smi -q -d ECC` as root"


def check(facts, settings, features=None):
    yield from per_gpu(ID, facts, (), partial(_judge, settings["max_volatile_uncorrected"],
                                              settings["max_aggregate_uncorrected"], features))


def _judge(max_volatile, max_aggregate, features, gpu):
    subject = gpu_subject(gpu)
    errors = gpu.get("ecc_errors") or {}
    observed = {name: errors.get(name) for name in ECC_ERROR_FIELDS}
    expected = {"volatile_uncorrected": f"<= {max_volatile}", "aggregate_uncorrected": f"<= {max_aggregate}"}
    volatile, aggregate = observed["volatile_uncorrected"], observed["aggregate_uncorrected"]
    if volatile is not None and volatile > max_volatile:
        return Finding(ID, FAIL, subject, observed, expected,
                       f"{volatile} uncorrectable ECC errors since the last GPU reset",
                       f"drain the node, reset the GPU (nvidia-smi -r -i {nvidia_smi_id(gpu)}) and re-run; "
                       "RMA it if they come back")
    if None in observed.values():
        if gpu.get("ecc_mode_current") is False:
            return Finding(ID, SKIP, subject, message="ECC is off, so there are no error counters (see gpu.ecc_mode)")
        unread = counters_unread(ID, gpu, "ecc_errors", READ_ECC, features)
        if unread.status == UNKNOWN and aggregate is not None and aggregate > max_aggregate:
            return unread._replace(message=f"{unread.message}; {aggregate} uncorrectable ECC errors in the GPU's "
                                           "lifetime")
        return unread
    if aggregate > max_aggregate:
        return Finding(ID, WARN, subject, observed, expected,
                       f"{aggregate} uncorrectable ECC errors in the GPU's lifetime",
                       "check the GPU's remapped rows or retired pages and RMA history; replace it if the count grows")
    return Finding(ID, PASS, subject, observed, expected,
                   f"uncorrectable: {volatile} since reset, {aggregate} lifetime; corrected: "
                   f"{observed['volatile_corrected']} since reset, {observed['aggregate_corrected']} lifetime")
