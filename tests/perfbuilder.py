"""The facts' `perf` of a healthy 8 x H100 SXM node, and the faults the perf checks are for, one at a time.

Where a real run exists, its figures are used, read through readycheck's own parsers and results:

- GPU pairs: the real nvbandwidth v0.4 `device_to_device_memcpy_read_ce` matrix of an 8 x H100 80GB HBM3
  node (tests/data/perf/nvbandwidth_8xH100-80GB-HBM3_v0.4_d2d-read-ce.txt, 370.26-372.96 GB/s);
- all-reduce and InfiniBand: the same kind of node's passing Azure health-check log (azurehpc-health-checks
  fork AlizeeChen11@5b6e2ee, customTests/debugging-test-failure.md, MIT): 480.318 GB/s bus bandwidth at 16 GiB,
  and ib_write_bw 392.82-393.01 Gb/s on its 8 NDR HCAs (mlx5_ib0..7 there, mlx5_0..7 in these facts);
- memory: DCGM's measured ~2,540,000 MB/s for H100 80GB HBM3 (nvvs/diag-skus.yaml.in, id 2330).

Illustrative, with no public per-GPU measurement behind them: host<->GPU 55 GB/s (Azure's README quotes 55 GB/s
for ND H100 v5) and the GEMM figures, which only test the median comparison.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from factsbuilder import hgx_h100

from readycheck.perf import nvbandwidth
from readycheck.perf.plan import plan
from readycheck.perf.results import PerfResults
from readycheck.perf.session import Session

DATA = Path(__file__).resolve().parent / "data" / "perf"
H100_P2P = DATA / "nvbandwidth_8xH100-80GB-HBM3_v0.4_d2d-read-ce.txt"
# Azure health-check log above: "IB=mlx5_ibN, IB BW=..." in the order it printed them.
H100_IB_GBPS = {0: 392.82, 3: 392.97, 4: 392.90, 6: 392.99, 1: 392.92, 2: 393.01, 7: 392.93, 5: 392.94}
H100_NCCL_BUSBW = 480.318
H100_HBM_GB_PER_S = 2540.0
GEMM = {"bf16": 660.0, "fp16": 662.0, "tf32": 340.0, "fp8": 1250.0}  # illustrative


def healthy() -> dict[str, Any]:
    """A healthy HGX H100 (factsbuilder) with a completed --perf run."""
    facts = hgx_h100()
    node = plan(facts)
    results = PerfResults(150, node.gpus, [(p.device, p.port) for p in node.ports])
    session = Session(results, node, 150)
    nvbandwidth.record(session, *nvbandwidth.parse(H100_P2P.read_text()))
    for gpu in node.gpus:
        results.gpu_value(gpu, "h2d_gb_per_s", 55.3 - gpu * 0.01, "builtin")
        results.gpu_value(gpu, "d2h_gb_per_s", 55.2 - gpu * 0.01, "builtin")
        results.gpu_value(gpu, "memory_bandwidth_gb_per_s", H100_HBM_GB_PER_S - gpu, "builtin")
        for dtype, tflops in GEMM.items():
            results.gemm(gpu, dtype, tflops - gpu * 0.5, "builtin")
    results.nccl_run("all_reduce", 8, 16 * 2**30, H100_NCCL_BUSBW, "nccl-tests")
    for index, gbps in H100_IB_GBPS.items():
        results.port_run(f"mlx5_{index}", 1, gbps, "perftest", f"gpu{index}")
    facts["perf"] = results.facts("completed", 121.4)
    return facts


def changed(facts: dict[str, Any], section: str, match: dict[str, Any], **values: Any) -> dict[str, Any]:
    """A copy of `facts` whose perf entry in `section` matching `match` has `values` (nested with `__`)."""
    facts = copy.deepcopy(facts)
    entries = facts["perf"][section]
    for entry in entries:
        if all(entry.get(key) == value for key, value in match.items()):
            for key, value in values.items():
                target, *rest = key.split("__")
                if rest:
                    entry[target][rest[0]] = value
                else:
                    entry[target] = value
            return facts
    raise KeyError(match)


def slow_gpu(gpu: int = 3) -> dict[str, Any]:
    """GPU `gpu` on a riser that trained x16 but moves half the data: 27.6 GB/s host to GPU."""
    return changed(healthy(), "gpus", {"index": gpu}, h2d_gb_per_s=27.6)


def slow_pair(a: int = 2, b: int = 5) -> dict[str, Any]:
    """One NVLink pair at half speed one way."""
    return changed(healthy(), "p2p", {"gpu_a": a, "gpu_b": b}, bandwidth_gb_per_s=185.2, b_to_a_gb_per_s=185.2)


def slow_nccl(busbw: float = 240.0) -> dict[str, Any]:
    return changed(healthy(), "nccl", {"op": "all_reduce"}, busbw_gb_per_s=busbw)


def slow_hca(device: str = "mlx5_3") -> dict[str, Any]:
    """One NDR port moving half its rate: a cable running with errors, an HCA in a narrow slot."""
    return changed(healthy(), "ib", {"device": device}, bandwidth_gbps=196.5)
