"""Times `readycheck check` on one 8-GPU snapshot and on 1,000, and prints the figures.

Run: python bench/bench_check.py [--nodes 1000]. Uses the bundled healthy HGX H100
example, copied to N files with distinct hostnames. Prints wall time of the whole
command (start-up included) and of the in-process judging alone, plus peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hgx-h100-healthy.json"


def timed_command(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "readycheck", *args], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"readycheck failed: {done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    args = parser.parse_args()

    from readycheck import rulepack
    from readycheck.engine import judge
    from readycheck.facts import load_snapshot

    snapshot = load_snapshot(EXAMPLE)
    pack = rulepack.load("hgx-h100")
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        judge(snapshot, pack)
    per_node_ms = (time.perf_counter() - start) / rounds * 1000

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for n in range(args.nodes):
            data = dict(snapshot, host=dict(snapshot["host"], hostname=f"gpu-{n:04d}"))
            path = Path(tmp) / f"node-{n:04d}.json"
            path.write_text(json.dumps(data))
            files.append(str(path))
        one = min(timed_command(["check", files[0]]) for _ in range(3))
        many = timed_command(["check", *files, "--format", "json", "--output", str(Path(tmp) / "report.json")])
        report_mb = (Path(tmp) / "report.json").stat().st_size / 1e6

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"judge one 8-GPU snapshot in process: {per_node_ms:.2f} ms (mean of {rounds})")
    print(f"readycheck check, 1 snapshot:        {one:.3f} s wall (best of 3, start-up included)")
    print(f"readycheck check, {args.nodes} snapshots:   {many:.3f} s wall, JSON report {report_mb:.1f} MB")
    print(f"peak RSS of a readycheck child:      {peak_mb:.0f} MiB")


if __name__ == "__main__":
    main()
