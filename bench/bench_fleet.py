"""Times a fleet check: `readycheck check DIR --site site.toml` over N snapshots (default 10,000).

Run: python bench/bench_fleet.py [--nodes 10000] [--json]. Makes N copies of the bundled healthy
HGX H100 snapshot with distinct hostnames spread over racks of 4 nodes, writes a site file for
them, runs the command once, and prints wall time and the child's peak RSS, plus the same for a
tenth of the nodes to show how it grows. Target: 10,000 nodes in under 30 s and 2 GB on 2 cores.
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
PER_RACK = 4

RACK = """
[[rack]]
name = "R{rack:04d}"
nodes = ["gpu-r{rack:04d}-*"]
redundancy = "2N"
air_cooling_kw = 45.0
[[rack.feed]]
name = "A"
volts = 415
amps = 63
phases = 3
[[rack.feed]]
name = "B"
volts = 415
amps = 63
phases = 3
"""


def make_fleet(folder: Path, count: int) -> Path:
    facts = json.loads(EXAMPLE.read_text())
    for n in range(count):
        facts["host"]["hostname"] = f"gpu-r{n // PER_RACK:04d}-{n % PER_RACK}"
        (folder / f"node-{n:05d}.json").write_text(json.dumps(facts))
    site = folder / "site.toml"
    racks = "".join(RACK.format(rack=r) for r in range((count + PER_RACK - 1) // PER_RACK))
    site.write_text('[site]\nname = "bench"\n' + racks)
    return site


def run(count: int, json_report: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "snapshots"
        folder.mkdir()
        site = make_fleet(folder, count)
        command = [sys.executable, "-m", "readycheck", "check", str(folder), "--site", str(site)]
        if json_report:
            command += ["--format", "json", "--output", str(Path(tmp) / "report.json")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        elapsed = time.perf_counter() - start
        if done.returncode not in (0, 1):
            raise SystemExit(f"readycheck failed: {done.stderr}")
        peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
        return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=10000)
    parser.add_argument("--json", action="store_true", help="also write the JSON report (facts included)")
    args = parser.parse_args()
    for count in (args.nodes // 10, args.nodes):
        elapsed, peak = run(count, args.json)
        print(f"readycheck check, {count:>6} snapshots + site file{' + JSON report' if args.json else ''}: "
              f"{elapsed:6.1f} s wall, peak RSS of the largest process {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
