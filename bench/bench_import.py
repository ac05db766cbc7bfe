"""Times importing 1,000 captures and prints the figures.

Run: python bench/bench_import.py [--captures 1000]. Cycles through the bundled captures in
tests/data/captures (nvidia-smi -q text and XML, topo -m, nvlink -s, ibstat, ibstatus), imports
each as one node (detect, parse, merge, validate) in this process, and prints the total, the rate
and the slowest format per capture.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CAPTURES = REPO / "tests" / "data" / "captures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--captures", type=int, default=1000)
    args = parser.parse_args()

    from readycheck.importers import import_files

    files = sorted(p for p in CAPTURES.iterdir() if p.name not in ("NOTICE.md", "expected.json"))
    per_format: dict[str, list[float]] = defaultdict(list)
    start = time.perf_counter()
    for path in itertools.islice(itertools.cycle(files), args.captures):
        begin = time.perf_counter()
        snapshot = import_files([path])
        per_format[snapshot["source"]].append(time.perf_counter() - begin)
    total = time.perf_counter() - start

    megabytes = sum(p.stat().st_size for p in itertools.islice(itertools.cycle(files), args.captures)) / 1e6
    print(f"import of {args.captures} captures ({megabytes:.0f} MB, {len(files)} distinct files): {total:.2f} s, "
          f"{args.captures / total:.0f} captures/s, {total / args.captures * 1000:.1f} ms each")
    for name, times in sorted(per_format.items(), key=lambda item: -max(item[1])):
        print(f"  {name:18} {len(times):4} captures, mean {sum(times) / len(times) * 1000:5.1f} ms, "
              f"slowest {max(times) * 1000:5.1f} ms")


if __name__ == "__main__":
    main()
