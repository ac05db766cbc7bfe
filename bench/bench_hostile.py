"""Times hostile inputs to `readycheck check` and prints each one's exit code, wall time and peak RSS.

Run: python bench/bench_hostile.py [--mb 200]. Builds, in a temporary directory:

- a snapshot of about MB megabytes holding far more GPUs than one node can (refused by the schema's
  bounds after parsing: exit 2);
- a snapshot of about MB megabytes that one node can produce: 64 GPUs and a long load phase (judged:
  exit 0 or 1), written as every format at once;
- a snapshot just past the size bound (refused before parsing: exit 2);

and names a FIFO, /dev/zero, and /dev/zero on standard input as the snapshot (refused: exit 2, at
once for the first two, at the size bound for the third).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "hgx-h100-healthy.json"
sys.path.insert(0, str(REPO))

from readycheck.facts.snapshot import MAX_SNAPSHOT_BYTES  # noqa: E402


def run(label: str, args: list[str], stdin=None) -> None:
    """Run readycheck with `args`; print its exit code, wall time and peak RSS (of that process alone)."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "readycheck", *args], stdin=stdin,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
    err = child.stderr.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    said = err.strip().splitlines()[-1][:110] if err.strip() else ""
    print(f"{label:44} exit {code}  {elapsed:6.2f} s  peak RSS {usage.ru_maxrss / 1024:7.0f} MiB  {said}")


def write_snapshot(path: Path, facts: dict) -> None:
    path.write_text(json.dumps(facts, separators=(",", ":")))


def too_many_gpus(megabytes: float) -> dict:
    facts = json.loads(EXAMPLE.read_text())
    gpu = facts["gpus"][0]
    per_gpu = len(json.dumps(gpu, separators=(",", ":")))
    count = int(megabytes * 1e6 / per_gpu)
    facts["gpus"] = [dict(gpu, index=i % 64) for i in range(count)]
    return facts


def long_load_phase(megabytes: float) -> dict:
    """64 GPUs sampled every second: as long a load phase as fills `megabytes`."""
    facts = json.loads(EXAMPLE.read_text())
    facts["gpus"] = [dict(facts["gpus"][i % 8], index=i) for i in range(64)]
    sample = {"t": 0.0, "gpu": 0, "power_draw_w": 690.5, "temperature_gpu_c": 61.0, "temperature_memory_c": 70.0,
              "clocks_sm_mhz": 1980.0, "clocks_event_reasons": ["sw_power_cap"]}
    count = int(megabytes * 1e6 / (len(json.dumps(sample, separators=(",", ":"))) + 8))
    samples = [dict(sample, t=float(i // 64), gpu=i % 64, power_draw_w=600.0 + i % 97) for i in range(count)]
    facts["load"] = {"backend": "builtin", "seconds": count // 64, "interval_s": 1.0, "samples": samples,
                     "errors": [], "status": "completed", "reason": None, "elapsed_s": float(count // 64),
                     "chassis": [], "chassis_unavailable": None}
    return facts


def build(folder: Path, megabytes: float) -> None:
    """Write the snapshots (run in its own process, so the figures of the runs do not include it)."""
    write_snapshot(folder / "too-many-gpus.json", too_many_gpus(megabytes))
    write_snapshot(folder / "long-load.json", long_load_phase(megabytes))
    with (folder / "past-the-bound.json").open("wb") as stream:
        stream.truncate(MAX_SNAPSHOT_BYTES + 1)  # sparse: only the bounded reader's count matters
    os.mkfifo(folder / "pipe.json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the big snapshots in MB")
    parser.add_argument("--build", metavar="DIR", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.build:
        build(Path(options.build), options.mb)
        return
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        subprocess.run([sys.executable, __file__, "--build", str(folder), "--mb", str(options.mb)], check=True)
        huge, loaded, past = (folder / name for name in ("too-many-gpus.json", "long-load.json", "past-the-bound.json"))
        formats = [a for f in ("json", "md", "html", "junit", "prom") for a in ("-f", f)]
        run(f"{huge.stat().st_size / 1e6:.0f} MB, too many GPUs", ["check", str(huge)])
        run(f"{loaded.stat().st_size / 1e6:.0f} MB, 64 GPUs, long load phase, 5 formats",
            ["check", str(loaded), *formats, "-o", str(folder / "reports")])
        run(f"{past.stat().st_size / 1e6:.0f} MB (one byte past the bound)", ["check", str(past)])
        run("a FIFO with no writer", ["check", str(folder / "pipe.json")])
        run("/dev/zero", ["check", "/dev/zero"])
        with open("/dev/zero", "rb") as zero:
            run("/dev/zero on standard input (check -)", ["check", "-"], stdin=zero)


if __name__ == "__main__":
    main()
