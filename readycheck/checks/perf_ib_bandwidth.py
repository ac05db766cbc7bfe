"""perf.ib_bandwidth: each active InfiniBand port moves RDMA writes at its link's rate.

A port can link at 400 Gb/s and move 200: a dirty or bent cable running with errors, an HCA in a
narrow or slow PCIe slot, GPUDirect RDMA not working so traffic bounces through host memory. `scan
--perf` runs `ib_write_bw` between the node's own active InfiniBand ports in a ring (each sends to
the next, through the switch; 8 MiB messages, GPU memory of the nearest GPU where GPUDirect works)
and keeps for each port its better run, so a port is slow only when every run through it was. Each
port (`mlx5_N/PORT`) is judged against `min_gbps` and the node's median. The facts say whether a
port's figure used GPU or host memory.

Without `--perf` this check is `skip`; a node with no active InfiniBand port is `skip`; a port not
measured is `unknown` with the reason.

NotSupported and MIG do not apply: the ports are measured with ib_write_bw, not read from NVML.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import MAX_BELOW_MEDIAN, judge, measured, nothing_measured, rows
from readycheck.findings import SKIP, Finding, port_subject

ID = "perf.ib_bandwidth"
SETTINGS = {
    "min_gbps": Setting("float", None, "RDMA write bandwidth floor in Gb/s; "
                                       "unset: judged against the node's median only"),
    "max_below_median": MAX_BELOW_MEDIAN,
}
FIELD = "bandwidth_gbps"
REMEDY = ("read the port's error counters (ib.errors, `perfquery -x`), swap the cable or transceiver, and check "
          "the HCA's PCIe link (`lspci -vv`: LnkSta) and GPUDirect (nvidia_peermem or DMA-BUF)")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    ports = perf.get("ib") or []
    if not ports:
        if "ib" in (perf.get("unavailable") or {}):
            yield nothing_measured(ID, perf, "ib", "InfiniBand bandwidth")
        else:
            yield Finding(ID, SKIP, "host", message="no active InfiniBand port to test")
        return
    yield from judge(ID, rows(perf, "ib", ports, {"": FIELD}, port_subject), {"": settings["min_gbps"]},
                     settings["max_below_median"], "Gb/s", REMEDY)
