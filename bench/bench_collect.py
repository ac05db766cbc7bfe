"""Times `readycheck collect`: against the fake 8-GPU backend (no GPU needed) and, where a GPU and
nvidia-smi are present, the real collection against `nvidia-smi -q -x` in the same run.

Run: python bench/bench_collect.py [--rounds 20]. Prints figures; asserts nothing.
The target on a GPU node: readycheck collect under half of nvidia-smi -q -x's wall time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the fake NVML backend lives with the tests


def wall(command: list[str], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return times


def describe(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.0f} ms, best {min(times) * 1000:.0f} ms (n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    import fake_nvml

    from readycheck.probes import ProbeContext, collect

    in_process = []
    for _ in range(args.rounds):
        backend = fake_nvml.hgx_h100_8gpu()
        start = time.perf_counter()
        collect(lambda b=backend: ProbeContext(root=REPO / "tests/data/roots/hgx-h100", nvml_backend=lambda: b),
                version="bench")
        in_process.append(time.perf_counter() - start)
    print(f"collect, fake 8x H100 backend + fake tree, in process: {describe(in_process)}")

    cli = [sys.executable, "-m", "readycheck"]
    print(f"readycheck --help (start-up):                          {describe(wall([*cli, '--help'], args.rounds))}")
    live = wall([*cli, "collect", "-o", "/dev/null"], max(3, args.rounds // 4))
    print(f"readycheck collect on this machine (live probes):       {describe(live)}")
    if shutil.which("nvidia-smi"):
        smi = wall(["nvidia-smi", "-q", "-x"], max(3, args.rounds // 4))
        print(f"nvidia-smi -q -x on this machine:                       {describe(smi)}")
        ratio = statistics.median(live) / statistics.median(smi)
        print(f"readycheck collect / nvidia-smi -q -x:                  {ratio:.2f} (target < 0.5)")
    else:
        print("nvidia-smi not found: no comparison on this machine (run this on a GPU node)")


if __name__ == "__main__":
    main()
