"""Times `scan --perf`'s bound: on an 8-GPU HGX H100 facts snapshot, with every tool present and every one of them
hanging (fake dcgmi, nvbandwidth, all_reduce_perf, ib_write_bw and built-in measurements that print a line and
never exit), the run must still end within --perf-seconds plus the time to stop the last tool, and the whole
`scan --perf` under three minutes at the default 150 s. No GPU needed: this measures the runner, not the node.

Run: python bench/bench_perf.py [--seconds 150]. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the healthy facts snapshot lives with the tests

HANG = "import sys, time\nprint('started', flush=True)\ntime.sleep(3600)\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=150.0)
    args = parser.parse_args()

    from factsbuilder import hgx_h100

    from readycheck.perf import builtin, runner

    with tempfile.TemporaryDirectory() as folder:
        for name in ("dcgmi", "nvbandwidth", "all_reduce_perf", "ib_write_bw"):
            tool = Path(folder) / name
            tool.write_text(f"#!{sys.executable}\n{HANG}")
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
        script = Path(folder) / "builtin.py"
        script.write_text(HANG)
        os.environ["PATH"] = f"{folder}{os.pathsep}{os.environ['PATH']}"
        builtin.why_not = lambda: None
        builtin.command = lambda tests, seconds, size: [sys.executable, str(script)]
        stages = []
        began = time.perf_counter()
        perf = runner.run(hgx_h100(), args.seconds,
                          lambda label, elapsed, seconds: stages.append(label) if label not in stages else None)
        took = time.perf_counter() - began
    print(f"--perf-seconds {args.seconds:g}: every tool hanging, the run took {took:.1f} s "
          f"({took - args.seconds:+.1f} s over the budget), status {perf['status']}")
    print(f"tools started, in order: {', '.join(stages)}")
    print(f"errors recorded: {len(perf['errors'])}; first: {perf['errors'][0] if perf['errors'] else '-'}")


if __name__ == "__main__":
    main()
