"""NVIDIA's nccl-tests `all_reduce_perf` (https://github.com/NVIDIA/nccl-tests): all-reduce inside the node.

Run as one process driving every GPU, at one message size (`-b S -e S -g <GPUs> -w 5 -n 20 -c 0`;
S from plan.py, 16 GiB where the GPUs hold it, as Azure's health checks run it). The table it prints:

    #       size         count      type   redop    root     time   algbw   busbw  #wrong     time ...
     17179869184    4294967296     float     sum      -1    61234  280.56  490.98       0    61190 ...

Older versions have no `root` column and call `#wrong` `error`; the columns are therefore found by
the header's names, never by position. The facts keep the largest size's out-of-place `busbw` (bus
bandwidth: algbw x 2(n-1)/n, "the speed of the hardware bottleneck", nccl-tests doc/PERFORMANCE.md)
and the ranks counted from the `#  Rank  N ...` lines. Lines that are not the table (NCCL INFO
chatter, `# Avg bus bandwidth`) are skipped.
"""

from __future__ import annotations

from typing import NamedTuple

from readycheck.load.backends import tool_missing
from readycheck.perf.session import Session, settle

NAME = "nccl-tests"
BINARY = "all_reduce_perf"
OP = "all_reduce"
TESTS = ("nccl",)


class Run(NamedTuple):
    ranks: int
    size_bytes: int
    busbw_gb_per_s: float


def why_not() -> str | None:
    return tool_missing(BINARY, f"{BINARY} (nccl-tests)")


def command(gpus: int, size: int) -> list[str]:
    return [BINARY, "-b", str(size), "-e", str(size), "-g", str(gpus), "-w", "5", "-n", "20", "-c", "0"]


def parse(text: str) -> Run | None:
    """The largest message size's out-of-place bus bandwidth, or None when the table has no row."""
    ranks = 0
    columns: list[str] = []
    best: tuple[int, float] | None = None
    for line in text.splitlines():
        tokens = line.split()
        if line.startswith("#"):
            words = line.lstrip("#").split()
            if words[:1] == ["Rank"]:
                ranks += 1
            elif "size" in words and "busbw" in words:
                columns = words
            continue
        if not columns or len(tokens) < len(columns) or not tokens[0].isdigit():
            continue
        try:
            size, busbw = int(tokens[columns.index("size")]), float(tokens[columns.index("busbw")])
        except ValueError:
            continue
        if best is None or size >= best[0]:
            best = (size, busbw)
    if best is None:
        return None
    return Run(ranks, best[0], best[1])


def measure(session: Session, tests: list[str], limit: float) -> None:
    plan = session.plan
    [outcome] = session.run(f"{BINARY} ({len(plan.gpus)} GPUs, {plan.nccl_bytes / 2**30:g} GiB)",
                            [command(len(plan.gpus), plan.nccl_bytes)], limit)
    run = parse(outcome.output)
    if run is not None:
        session.results.nccl_run(OP, run.ranks or len(plan.gpus), run.size_bytes, run.busbw_gb_per_s, NAME)
    settle(session, NAME, tests, [outcome], limit)
