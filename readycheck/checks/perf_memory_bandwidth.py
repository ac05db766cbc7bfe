"""perf.memory_bandwidth: each GPU's memory delivers the bandwidth its kind does.

A GPU with a weak HBM stack, memory clocked down, or a board that is not the model it claims (an
H20 sold as something faster) shows it here first. `scan --perf` copies a buffer within each GPU's
memory (nvbandwidth's device_local_copy, else PyTorch) and counts the bytes read plus written per
second, as DCGM's memory-bandwidth figures do. Each GPU is judged against `min_gb_per_s` and the
node's median.

Without `--perf` this check is `skip`; a GPU not measured is `unknown` with the reason.

NotSupported does not apply: the figures are measured, not read from NVML. MIG: a GPU in MIG mode
runs CUDA work only inside its instances, so the whole-GPU test cannot run on it: it is not measured,
`unknown` with the reason.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import MAX_BELOW_MEDIAN, judge, measured, rows
from readycheck.findings import gpu_subject

ID = "perf.memory_bandwidth"
SETTINGS = {
    "min_gb_per_s": Setting("float", None, "memory bandwidth floor in GB/s (read plus write); "
                                           "unset: judged against the node's median only"),
    "max_below_median": MAX_BELOW_MEDIAN,
}
FIELD = "memory_bandwidth_gb_per_s"
REMEDY = ("check the memory clock and ECC state (`nvidia-smi -q -d CLOCK,ECC`) and run `dcgmi diag -r "
          "memory_bandwidth`; a GPU that stays slow goes back to the vendor")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    yield from judge(ID, rows(perf, "memory_bandwidth", perf.get("gpus") or [], {"": FIELD}, gpu_subject),
                     {"": settings["min_gb_per_s"]}, settings["max_below_median"], "GB/s", REMEDY)
