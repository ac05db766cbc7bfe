"""Independent pieces of work on one core each: a fleet's report formats, written side by side.

Writing HTML, JUnit, Prometheus and Markdown for thousands of nodes costs more than judging them, and each
format is independent of the others, so with several formats and several cores each format is written in
a process forked from the run: the children share the judged report with it (copy-on-write, nothing is
sent to them) and each writes its own file. A failure in a child (a report file that cannot be written)
comes back to the run, which stops with it as it would have alone.
"""

from __future__ import annotations

import os
from typing import Callable

_WORK: Callable[[int], None] | None = None


def _do(index: int) -> Exception | None:
    try:
        _WORK(index)
    except Exception as exc:  # sent back whole: the run raises it, one line for an InputError
        return exc
    return None


def each(work: Callable[[int], None], count: int, parallel: bool) -> None:
    """`work(i)` for i in range(count), in forked processes (one per core at most) when `parallel` and there
    is more than one piece and core; else here, in order."""
    global _WORK
    processes = min(count, os.cpu_count() or 1)
    if not parallel or processes < 2:
        for index in range(count):
            work(index)
        return
    import multiprocessing

    _WORK = work
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            for failure in pool.imap_unordered(_do, range(count)):
                if failure is not None:
                    raise failure
    finally:
        _WORK = None
