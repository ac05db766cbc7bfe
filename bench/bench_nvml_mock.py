"""Times `readycheck collect` against `nvidia-smi -q -d ...` on NVIDIA's NVML mock library, H100 profile.

Both load the same libnvidia-ml.so.1 and answer from the same profile, and an NVML call costs the mock
next to nothing, so the ratio measures readycheck's own overhead (start-up, imports, threads, sysfs)
over nvidia-smi's. Runs alternate (readycheck, nvidia-smi, readycheck, ...) so both see the same machine.

Run: READYCHECK_TEST_NVML_MOCK=DIR READYCHECK_TEST_NVIDIA_SMI=PATH python bench/bench_nvml_mock.py [--rounds 21]
(the same variables as the tests: README.md's Development section). Prints figures; asserts nothing.
Target: readycheck collect within 3x nvidia-smi's wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATIO = 3.0
SECTIONS = "MEMORY,ECC,TEMPERATURE,POWER,CLOCK,PERFORMANCE,ROW_REMAPPER,PAGE_RETIREMENT,COMPUTE"


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    mock, smi = os.environ.get("READYCHECK_TEST_NVML_MOCK"), os.environ.get("READYCHECK_TEST_NVIDIA_SMI")
    if not (mock and smi):
        sys.exit("set READYCHECK_TEST_NVML_MOCK (the NVML mock's folder) and READYCHECK_TEST_NVIDIA_SMI (nvidia-smi)")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "LD_LIBRARY_PATH": mock,
               "MOCK_NVML_CONFIG": str(Path(mock) / "configs" / "mock-nvml-config-h100.yaml"),
               "MOCK_NVML_OVERRIDES": str(Path(folder) / "none.yaml")}
        script = Path(sys.executable).with_name("readycheck")  # what users run: the installed command
        launcher = [str(script)] if script.exists() else [sys.executable, "-m", "readycheck"]
        readycheck = [*launcher, "collect", "-o", str(Path(folder) / "facts.json")]
        nvidia_smi = [smi, "-q", "-d", SECTIONS]
        timed(readycheck, env), timed(nvidia_smi, env)  # warm the page cache for both
        ours, theirs = [], []
        for _ in range(args.rounds):
            ours.append(timed(readycheck, env))
            theirs.append(timed(nvidia_smi, env))
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    print(f"NVML mock, h100 profile (8 GPUs), median of {args.rounds} interleaved runs, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    if any(Path(sys.executable).parent.parent.glob("lib/python*/site-packages/__editable__*readycheck*.pth")):
        print("  (an editable install: its import hook adds start-up time that `pip install .` does not have)")
    print(f"  readycheck collect          {ours_s:.3f} s   (best {min(ours):.3f} s)")
    print(f"  nvidia-smi -q -d {SECTIONS}  {theirs_s:.3f} s   (best {min(theirs):.3f} s)")
    print(f"  ratio {ours_s / theirs_s:.1f}x   (target: at most {TARGET_RATIO:g}x)")


if __name__ == "__main__":
    main()
