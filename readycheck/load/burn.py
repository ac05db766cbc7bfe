"""The built-in burner: `python -m readycheck.load.burn --seconds N` multiplies matrices on every GPU.

Large half-precision matrix multiplies keep the tensor cores and HBM busy, which
draws a data-center GPU to its power limit within seconds. One thread per GPU;
PyTorch when installed, else CuPy. It only computes: no setting is changed.
"""

from __future__ import annotations

import argparse
import threading
import time

SIZE = 8192


def _torch_worker(device: int, deadline: float) -> None:
    import torch

    with torch.cuda.device(device):
        a = torch.randn(SIZE, SIZE, device="cuda", dtype=torch.float16)
        b = torch.randn(SIZE, SIZE, device="cuda", dtype=torch.float16)
        while time.monotonic() < deadline:
            for _ in range(20):
                torch.matmul(a, b)
            torch.cuda.synchronize()


def _cupy_worker(device: int, deadline: float) -> None:
    import cupy

    with cupy.cuda.Device(device):
        a = cupy.random.standard_normal((SIZE, SIZE), dtype=cupy.float32).astype(cupy.float16)
        b = cupy.random.standard_normal((SIZE, SIZE), dtype=cupy.float32).astype(cupy.float16)
        while time.monotonic() < deadline:
            for _ in range(20):
                cupy.matmul(a, b)
            cupy.cuda.Device(device).synchronize()


def _devices() -> tuple[int, object]:
    try:
        import torch

        return torch.cuda.device_count(), _torch_worker
    except ImportError:
        import cupy

        return cupy.cuda.runtime.getDeviceCount(), _cupy_worker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    count, worker = _devices()
    if not count:
        raise SystemExit("no CUDA device visible to the burner")
    deadline = time.monotonic() + args.seconds
    failures: list[str] = []

    def guarded(device: int) -> None:
        try:
            worker(device, deadline)
        except Exception as exc:  # reported, and the exit status tells the load phase it died
            failures.append(f"gpu{device}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=guarded, args=(device,)) for device in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit("burner failed: " + "; ".join(failures))
    print(f"burned {count} GPUs for {args.seconds:g} s")


if __name__ == "__main__":
    main()
