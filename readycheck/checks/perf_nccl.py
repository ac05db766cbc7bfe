"""perf.nccl: an all-reduce across all the node's GPUs reaches the bus bandwidth the platform does.

All-reduce is what data-parallel training waits on; its bus bandwidth ("the speed of the hardware
bottleneck: NVLink, PCI, QPI, or network", nccl-tests doc/PERFORMANCE.md) falls when one link,
NVSwitch or GPU is slow, when NCCL picks the wrong path, or when a GPU is missing from the run.
`scan --perf` runs one all-reduce over every GPU at one large message size (nccl-tests'
all_reduce_perf, else torch.cuda.nccl) and judges its bus bandwidth against `min_busbw_gb_per_s` on
`host`. A run over fewer ranks than the node has GPUs fails. There is one figure per node, so no
median: without a floor in the pack the check says so (`skip`) and reports the figure.

Without `--perf` this check is `skip`; with it but no run, `unknown` with the reason.

NotSupported does not apply: the figure is measured, not read from NVML. MIG: a GPU in MIG mode
runs CUDA work only inside its instances, so it cannot take part in the all-reduce: the run then
covers fewer ranks than the node has GPUs, which fails.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import measured, nothing_measured
from readycheck.findings import FAIL, PASS, SKIP, Finding

ID = "perf.nccl"
SETTINGS = {"min_busbw_gb_per_s": Setting("float", None, "all-reduce bus bandwidth floor in GB/s; unset: not judged")}
REMEDY = ("run `all_reduce_perf -b 16G -e 16G -g <GPUs>` with NCCL_DEBUG=INFO and read the path NCCL picks; "
          "look for a slow pair in perf.nvlink_bandwidth and for nvlink.errors")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    gpus = len(perf.get("gpus") or [])
    runs = perf.get("nccl") or []
    if gpus < 2:
        yield Finding(ID, SKIP, "host", message="a node with one GPU has nothing to all-reduce across")
        return
    if not runs:
        yield nothing_measured(ID, perf, "nccl", "all-reduce bus bandwidth")
        return
    for run in runs:
        busbw, floor = run.get("busbw_gb_per_s"), settings["min_busbw_gb_per_s"] or None  # 0 clears a floor
        said = (f"{run.get('op')} over {run.get('ranks')} GPUs at {run.get('size_bytes', 0) / 2**30:g} GiB: "
                f"bus bandwidth {busbw:g} GB/s") if busbw is not None else ""
        observed = None if busbw is None else f"{busbw:g} GB/s"
        expected = None if floor is None else f"at least {floor:g} GB/s over {gpus} GPUs"
        if busbw is None:
            yield nothing_measured(ID, perf, "nccl", "all-reduce bus bandwidth")
        elif run.get("ranks") != gpus:
            yield Finding(ID, FAIL, "host", observed, expected, f"{said}, but the node has {gpus} GPUs", REMEDY)
        elif floor is None:
            yield Finding(ID, SKIP, "host", observed, message=f"{said}; the rule pack sets no 'min_busbw_gb_per_s'",
                          remedy=f"set [checks.\"{ID}\"] min_busbw_gb_per_s in the rule pack to judge it")
        elif busbw < floor:
            yield Finding(ID, FAIL, "host", observed, expected, f"{said}, below the pack's floor {floor:g} GB/s",
                          REMEDY)
        else:
            yield Finding(ID, PASS, "host", observed, expected, said)
