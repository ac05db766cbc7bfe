"""The built-in measurements, with PyTorch (the `readycheck[load]` extra): what no tool on the machine measures.

Always the source of the GEMM figures (no external tool here gives them), and of host<->GPU, memory
and GPU<->GPU bandwidth and all-reduce when dcgmi, nvbandwidth and nccl-tests are absent. It runs as
a child process, `python -m readycheck.perf.builtin --tests gemm,p2p --seconds 40`, printing one JSON
object per line as each figure is measured, so a run stopped at its limit keeps what it printed:

    {"running": "gemm"}
    {"test": "gemm", "gpu": 0, "dtype": "bf16", "tflops": 712.4}
    {"test": "gemm", "gpu": 0, "dtype": "fp8", "unsupported": "compute capability 8.0 has no FP8 tensor cores"}
    {"test": "p2p", "source": 0, "target": 1, "gb_per_s": 372.1}
    {"error": "nccl: RuntimeError: ..."}

What it does, each figure the rate of repeated operations timed between device synchronisations:
host<->GPU, 256 MiB copies from and to pinned host memory; memory, a 1 GiB copy within the GPU
(bytes read plus written); GEMM, 8192 x 8192 x 8192 matrix multiplies on every GPU at once (TF32
through PyTorch's allow_tf32 switch, FP8 through torch._scaled_mm on compute capability 8.9 and up);
GPU<->GPU, 256 MiB copies one direction at a time where the pair has peer access; all-reduce,
torch.cuda.nccl.all_reduce over every GPU in one process, bus bandwidth as nccl-tests defines it.
It only computes: no clock, power limit or mode is changed. CuPy (which the load burner accepts) is
not enough here: without PyTorch the tests these figures come from say so.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import threading
import time
from typing import Any, Callable

from readycheck.perf.session import Session, settle

NAME = "builtin"
TESTS = ("pcie", "memory_bandwidth", "gemm", "p2p", "nccl")
# share of the builtin's time each test gets, relative to the others it runs
WEIGHTS = {"pcie": 1.0, "memory_bandwidth": 1.0, "gemm": 3.0, "p2p": 2.0, "nccl": 1.5}
STARTUP_S = 10.0  # importing PyTorch and creating a CUDA context on every GPU
MIB = 1024**2
COPY_BYTES = 256 * MIB
LOCAL_BYTES = 1024 * MIB
GEMM_N = 8192
FP8_CAPABILITY = (8, 9)


def why_not() -> str | None:
    if importlib.util.find_spec("torch"):
        return None
    return "PyTorch is not installed (pip install 'readycheck[load]')"


def command(tests: list[str], seconds: float, nccl_bytes: int) -> list[str]:
    return [sys.executable, "-m", "readycheck.perf.builtin", "--tests", ",".join(tests),
            "--seconds", f"{max(1.0, seconds):.0f}", "--nccl-bytes", str(nccl_bytes)]


def parse(text: str) -> list[dict[str, Any]]:
    """The JSON objects of the child's output; any other line (a warning PyTorch prints) is skipped."""
    lines = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            lines.append(item)
    return lines


def doing(output: str) -> str | None:
    """The test the child said it is running, for the progress line."""
    running = [item["running"] for item in parse(output) if "running" in item]
    return str(running[-1]) if running else None


def record(session: Session, items: list[dict[str, Any]]) -> None:
    results = session.results
    for item in items:
        test = item.get("test")
        try:
            if "error" in item:
                results.error(str(item["error"]).split(":", 1)[0], f"{NAME}: {item['error']}")
            elif test in ("pcie", "memory_bandwidth"):
                for field in ("h2d_gb_per_s", "d2h_gb_per_s", "memory_bandwidth_gb_per_s"):
                    if field in item:
                        results.gpu_value(int(item["gpu"]), field, float(item[field]), NAME)
            elif test == "gemm":
                tflops = item.get("tflops")
                results.gemm(int(item["gpu"]), str(item["dtype"]), None if tflops is None else float(tflops), NAME,
                             unsupported="unsupported" in item)
            elif test == "p2p":
                value = item.get("gb_per_s")
                results.pair(int(item["source"]), int(item["target"]), None if value is None else float(value),
                             NAME, unsupported="unsupported" in item)
            elif test == "nccl":
                results.nccl_run(str(item["op"]), int(item["ranks"]), int(item["size_bytes"]),
                                 float(item["busbw_gb_per_s"]), NAME)
        except (KeyError, TypeError, ValueError) as exc:
            results.error(str(test), f"{NAME} printed a line readycheck cannot read ({exc}): {item}")


def measure(session: Session, tests: list[str], limit: float) -> None:
    argv = command(tests, limit - STARTUP_S, session.plan.nccl_bytes)
    [outcome] = session.run(NAME, [argv], limit, watch=doing)
    record(session, parse(outcome.output))
    settle(session, NAME, tests, [outcome], limit)


# ---- the child process ---------------------------------------------------------------------------

def emit(item: dict[str, Any]) -> None:
    print(json.dumps(item), flush=True)


def _seconds_per(torch: Any, action: Callable[[], Any], devices: list[int], seconds: float) -> float:
    """Seconds one `action` takes: once to warm up, then batches until `seconds` have passed."""
    def sync() -> None:
        for device in devices:
            torch.cuda.synchronize(device)

    action()
    sync()
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(4):
            action()
        sync()
        count += 4
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed / count


def _copy_rate(torch: Any, target: Any, source: Any, devices: list[int], seconds: float) -> float:
    """GB/s of copying `source` into `target`, counting each byte copied once."""
    each = _seconds_per(torch, lambda: target.copy_(source, non_blocking=True), devices, seconds)
    return source.numel() * source.element_size() / each / 1e9


def _pcie(torch: Any, gpus: int, seconds: float) -> None:
    host = torch.empty(COPY_BYTES, dtype=torch.uint8).pin_memory()
    for gpu in range(gpus):
        device = torch.empty(COPY_BYTES, dtype=torch.uint8, device=f"cuda:{gpu}")
        each = seconds / gpus / 2
        emit({"test": "pcie", "gpu": gpu, "h2d_gb_per_s": _copy_rate(torch, device, host, [gpu], each),
              "d2h_gb_per_s": _copy_rate(torch, host, device, [gpu], each)})
        del device


def _memory(torch: Any, gpus: int, seconds: float) -> None:
    for gpu in range(gpus):
        source = torch.empty(LOCAL_BYTES, dtype=torch.uint8, device=f"cuda:{gpu}")
        copied = _copy_rate(torch, torch.empty_like(source), source, [gpu], seconds / gpus)
        emit({"test": "memory_bandwidth", "gpu": gpu, "memory_bandwidth_gb_per_s": 2 * copied})
        del source


def _gemm_operands(torch: Any, gpu: int, dtype: str) -> Callable[[], Any] | str:
    """The multiply to time on `gpu` in `dtype`, or why the GPU has no such tensor-core type."""
    device = f"cuda:{gpu}"
    if dtype == "fp8":
        if torch.cuda.get_device_capability(gpu) < FP8_CAPABILITY or not hasattr(torch, "_scaled_mm"):
            major, minor = torch.cuda.get_device_capability(gpu)
            return f"compute capability {major}.{minor} has no FP8 tensor cores (or PyTorch lacks _scaled_mm)"
        a = torch.randn(GEMM_N, GEMM_N, device=device).to(torch.float8_e4m3fn)
        b = torch.randn(GEMM_N, GEMM_N, device=device).to(torch.float8_e4m3fn).t()  # column-major, as required
        scale = torch.tensor(1.0, device=device)
        return lambda: torch._scaled_mm(a, b, scale_a=scale, scale_b=scale, out_dtype=torch.bfloat16)
    kind = {"bf16": torch.bfloat16, "fp16": torch.float16, "tf32": torch.float32}[dtype]
    a = torch.randn(GEMM_N, GEMM_N, device=device, dtype=kind)
    b = torch.randn(GEMM_N, GEMM_N, device=device, dtype=kind)
    return lambda: torch.matmul(a, b)


def _gemm(torch: Any, gpus: int, seconds: float) -> None:
    torch.backends.cuda.matmul.allow_tf32 = True  # this process's matmul precision, not a GPU setting
    for dtype in ("bf16", "fp16", "tf32", "fp8"):
        found: dict[int, dict[str, Any]] = {}

        def worker(gpu: int, dtype: str = dtype, found: dict = found) -> None:
            try:
                with torch.cuda.device(gpu):
                    multiply = _gemm_operands(torch, gpu, dtype)
                    if isinstance(multiply, str):
                        found[gpu] = {"unsupported": multiply}
                        return
                    each = _seconds_per(torch, multiply, [gpu], seconds / 4)
                    found[gpu] = {"tflops": 2 * GEMM_N**3 / each / 1e12}
            except Exception as exc:  # reported per GPU; the other GPUs' figures stand
                found[gpu] = {"error": f"gemm: gpu{gpu} {dtype}: {type(exc).__name__}: {exc}"}

        threads = [threading.Thread(target=worker, args=(gpu,)) for gpu in range(gpus)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for gpu in sorted(found):
            emit(found[gpu] if "error" in found[gpu] else {"test": "gemm", "gpu": gpu, "dtype": dtype, **found[gpu]})


def _p2p(torch: Any, gpus: int, seconds: float) -> None:
    buffers = [(torch.empty(COPY_BYTES, dtype=torch.uint8, device=f"cuda:{gpu}"),
                torch.empty(COPY_BYTES, dtype=torch.uint8, device=f"cuda:{gpu}")) for gpu in range(gpus)]
    pairs = [(a, b) for a in range(gpus) for b in range(gpus) if a != b]
    for source, target in pairs:
        if not torch.cuda.can_device_access_peer(source, target):
            emit({"test": "p2p", "source": source, "target": target, "unsupported": "no peer access"})
            continue
        rate = _copy_rate(torch, buffers[target][1], buffers[source][0], [source, target], seconds / len(pairs))
        emit({"test": "p2p", "source": source, "target": target, "gb_per_s": rate})


def _nccl(torch: Any, gpus: int, seconds: float, size: int) -> None:
    import torch.cuda.nccl as nccl

    if gpus < 2:
        return
    tensors = [torch.ones(size // 4, dtype=torch.float32, device=f"cuda:{gpu}") for gpu in range(gpus)]
    each = _seconds_per(torch, lambda: nccl.all_reduce(tensors), list(range(gpus)), seconds)
    busbw = size / each * 2 * (gpus - 1) / gpus / 1e9
    emit({"test": "nccl", "op": "all_reduce", "ranks": gpus, "size_bytes": size, "busbw_gb_per_s": busbw})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="readycheck's built-in performance measurements")
    parser.add_argument("--tests", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--nccl-bytes", type=int, default=1024 * MIB)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError as exc:
        emit({"error": f"{args.tests}: PyTorch is not importable: {exc}"})
        return 2
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if not gpus:
        emit({"error": f"{args.tests}: PyTorch sees no CUDA device"})
        return 2
    tests = [test for test in args.tests.split(",") if test in WEIGHTS]
    runs = {"pcie": _pcie, "memory_bandwidth": _memory, "gemm": _gemm, "p2p": _p2p,
            "nccl": lambda torch, gpus, seconds: _nccl(torch, gpus, seconds, args.nccl_bytes)}
    deadline = time.monotonic() + args.seconds
    for position, test in enumerate(tests):
        share = WEIGHTS[test] / sum(WEIGHTS[t] for t in tests[position:])
        emit({"running": test})
        try:
            runs[test](torch, gpus, max(0.5, (deadline - time.monotonic()) * share))
        except Exception as exc:  # one test's failure is reported; the next test still runs
            emit({"error": f"{test}: {type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
