"""perf.pcie_bandwidth: each GPU moves data to and from host memory at its link's speed.

A GPU whose PCIe link trained at full width and generation can still be slow: a marginal riser or
retimer that replays, a switch port shared with a busy NIC, a GPU on the far socket. `scan --perf`
times 256-512 MiB copies between pinned host memory and each GPU, both ways (DCGM's pcie plugin,
else nvbandwidth's host_to_device_memcpy_ce and device_to_host_memcpy_ce, else PyTorch); each
direction is judged against `min_gb_per_s` and against the node's median for that direction.
GH200 and GB200 reach their GPU over NVLink-C2C, not PCIe: the same test then measures that link.

Without `--perf` this check is `skip`; a GPU not measured is `unknown` with the reason.

NotSupported does not apply: the figures are measured, not read from NVML. MIG: a GPU in MIG mode
runs CUDA work only inside its instances, so the whole-GPU test cannot run on it: it is not measured,
`unknown` with the reason.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import MAX_BELOW_MEDIAN, judge, measured, rows
from readycheck.findings import gpu_subject

ID = "perf.pcie_bandwidth"
SETTINGS = {
    "min_gb_per_s": Setting("float", None, "host-to-GPU and GPU-to-host floor in GB/s; "
                                           "unset: judged against the node's median only"),
    "max_below_median": MAX_BELOW_MEDIAN,
}
FIELDS = {"h2d": "h2d_gb_per_s", "d2h": "d2h_gb_per_s"}
REMEDY = ("reseat the GPU and its riser or cable, then compare `nvidia-smi -q -d PCIE` (link, replays) "
          "with a GPU that measures well")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    floor = settings["min_gb_per_s"]
    yield from judge(ID, rows(perf, "pcie", perf.get("gpus") or [], FIELDS, gpu_subject),
                     {"h2d": floor, "d2h": floor}, settings["max_below_median"], "GB/s", REMEDY)
