"""Times `readycheck check ONE.json --format html -o r.html` against the bare `python -c "import click, jinja2"`.

Run: python bench/bench_check.py [--rounds 15]. ONE.json is the bundled healthy HGX H100 example (8 GPUs).
The commands run interleaved; the figure is the ratio of their medians, wall and CPU. Target: at most 1.5x
the bare import (the libraries the command cannot do without). The template is compiled on the first run and
read from the user's cache afterwards ($XDG_CACHE_HOME/readycheck, here a fresh temporary folder), so the
first run is printed on its own. Also prints the text-only check and judging one snapshot in process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from timing import REPO, Runs, environment, figure, interleaved, machine, readycheck_command, timed

EXAMPLE = REPO / "examples" / "hgx-h100-healthy.json"
TARGET_RATIO = 1.5


def in_process_ms(rounds: int = 200) -> float:
    from readycheck import rulepack
    from readycheck.engine import judge
    from readycheck.facts import load_snapshot

    snapshot = load_snapshot(EXAMPLE)
    pack = rulepack.choose(snapshot)
    start = time.process_time()
    for _ in range(rounds):
        judge(snapshot, pack)
    return (time.process_time() - start) / rounds * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()

    print(f"readycheck check, one 8-GPU snapshot; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        html = [*readycheck_command(), "check", str(EXAMPLE), "--format", "html", "-o", str(Path(tmp) / "r.html")]
        first = Runs()
        timed(html, first, env)
        runs = interleaved({"bare": [sys.executable, "-c", "import click, jinja2"], "html": html,
                            "text": [*readycheck_command(), "check", str(EXAMPLE)]}, args.rounds, env)
    bare, ours, text = runs["bare"], runs["html"], runs["text"]
    print(f"  python -c 'import click, jinja2':      {bare.describe()}")
    print(f"  check --format html -o r.html:        {ours.describe()}")
    print(f"  check (text on the terminal only):    {text.describe()}")
    print(f"  first html run (template compiled):   wall {first.wall[0]:.3f} s, CPU {first.cpu[0]:.3f} s")
    figure("html check / bare import, wall medians", ours.median() / bare.median(), "x", TARGET_RATIO,
           f"minima {ours.best() / bare.best():.2f}x")
    figure("html check / bare import, CPU medians", ours.median("cpu") / bare.median("cpu"), "x", TARGET_RATIO,
           f"minima {ours.best('cpu') / bare.best('cpu'):.2f}x")
    print(f"  judging one 8-GPU snapshot in process: {in_process_ms():.2f} ms CPU (mean of 200)")


if __name__ == "__main__":
    main()
