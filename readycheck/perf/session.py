"""Runs the measuring tools as child processes under a time limit, and keeps what they printed.

Each tool runs in its own session (process group) through the load phase's `Running`, its output in
a file, so a tool that hangs is stopped whole at its limit and a tool stopped early (by the limit or
by Ctrl-C) still hands over every result it printed. Ctrl-C stops the tools at once, marks the
session interrupted, and the runner measures nothing further. The progress line names the tool and
the test it is running.

The tools see this environment, less `CUDA_VISIBLE_DEVICES` (an acceptance run measures every GPU
NVML lists), with `CUDA_DEVICE_ORDER=PCI_BUS_ID`: CUDA numbers the GPUs fastest first by default,
NVML (and so the facts) by PCI bus id, and only the latter makes `gpu3` the same GPU in both.
"""

from __future__ import annotations

import os
import time
from typing import Callable, NamedTuple

from readycheck.facts import TIMEOUT
from readycheck.load.backends import Running, tail
from readycheck.perf.plan import Plan
from readycheck.perf.results import INTERRUPTED, NOT_MEASURED, PerfResults

POLL_S = 0.2
# A measuring tool has nothing to tidy up: killed 2 s after SIGTERM, so the run overshoots its budget by that at most.
STOP_GRACE_S = 2.0
Progress = Callable[[str, float, float], None]  # (what runs, seconds elapsed, seconds allowed)


class Outcome(NamedTuple):
    """How one child ended: its exit status (None when readycheck stopped it), what it printed, and
    why it was stopped (`Timeout`, `Interrupted`) or None when it ended by itself."""

    code: int | None
    output: str
    stopped: str | None


def child_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "CUDA_VISIBLE_DEVICES"}
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    return env


class Session:
    """One `--perf` run: the results so far, the node's plan, the clock, the progress line."""

    def __init__(self, results: PerfResults, plan: Plan, seconds: float, progress: Progress | None = None):
        self.results = results
        self.plan = plan
        self.seconds = seconds
        self.progress = progress
        self.began = time.monotonic()
        self.interrupted = False
        self.env = child_environment()

    def elapsed(self) -> float:
        return time.monotonic() - self.began

    def left(self) -> float:
        return self.seconds - self.elapsed()

    def run(self, label: str, commands: list[list[str]], limit: float, delays: list[float] | None = None,
            watch: Callable[[str], str | None] | None = None) -> list[Outcome]:
        """Run `commands` together (each after its delay), until all end or `limit` seconds pass.

        `watch(output)` may name what the first command is doing now, for the progress line."""
        delays = delays or [0.0] * len(commands)
        children: list[Running | Outcome | None] = [None] * len(commands)
        stopped = None
        start = time.monotonic()
        try:
            while True:
                now = time.monotonic() - start
                for i, argv in enumerate(commands):
                    if children[i] is None and now >= delays[i]:
                        children[i] = self._start(argv)
                doing = watch(children[0].output()) if watch and isinstance(children[0], Running) else None
                self._show(f"{label}: {doing}" if doing else label)
                if all(c is not None and (not isinstance(c, Running) or c.poll() is not None) for c in children):
                    break
                if now >= limit:
                    stopped = TIMEOUT
                    break
                time.sleep(POLL_S)
        except KeyboardInterrupt:
            stopped, self.interrupted = INTERRUPTED, True
        return [self._end(child, stopped) for child in children]

    def _start(self, argv: list[str]) -> Running | Outcome:
        try:
            return Running(argv, env=self.env)
        except OSError as exc:  # the tool vanished or is not executable
            return Outcome(127, f"{argv[0]}: {exc.strerror or exc}", None)

    @staticmethod
    def _end(child: Running | Outcome | None, stopped: str | None) -> Outcome:
        if child is None:  # its delay had not passed when the run stopped
            return Outcome(None, "", stopped)
        if isinstance(child, Outcome):
            return child
        still_running = child.poll() is None
        child.stop(STOP_GRACE_S)
        output = child.output()
        child.close()
        return Outcome(None if still_running else child.poll(), output, stopped if still_running else None)

    def _show(self, label: str) -> None:
        if self.progress is not None:
            self.progress(label, self.elapsed(), self.seconds)


def settle(session: Session, tool: str, tests: list[str], outcomes: list[Outcome], limit: float) -> None:
    """After a tool ran and its figures were recorded: its failures become errors the report shows,
    and each test it left unmeasured keeps the reason (its failure, else that it gave no figure)."""
    failed = list(dict.fromkeys(f for f in (_failure(tool, o, limit) for o in outcomes) if f))
    for _, words in failed:
        session.results.error(", ".join(tests), words)
    for test in tests:
        if session.results.wants(test):
            if failed:
                session.results.unmeasured(test, failed[0][0])
            else:
                session.results.unmeasured(test, NOT_MEASURED, f"{tool} gave no figure for it")


def _failure(tool: str, outcome: Outcome, limit: float) -> tuple[str, str] | None:
    """(reason word, words) when a child did not end well; None when it exited 0."""
    if outcome.stopped == TIMEOUT:
        return TIMEOUT, f"{tool} stopped at its {limit:.0f} s limit"
    if outcome.stopped == INTERRUPTED:
        return INTERRUPTED, f"{tool} stopped by Ctrl-C"
    if outcome.code != 0:
        last = tail(outcome.output, 3)
        return "CommandFailed", f"{tool} exited with status {outcome.code}: {last or 'no output'}"
    return None
