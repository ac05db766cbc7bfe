"""The `--perf` progress line on a terminal: which tool and test run, and the time used of the budget.

Drawn on one line (carriage return) only when the stream is a terminal; nothing is printed into a
log, a CI job or Slurm's output file.
"""

from __future__ import annotations

from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.active = stream.isatty()
        self.width = 0

    def __enter__(self) -> TerminalProgress:
        return self

    def __call__(self, label: str, elapsed: float, seconds: float) -> None:
        if not self.active:
            return
        line = f"perf: {label}, {elapsed:3.0f} of {seconds:.0f} s"
        self.stream.write("\r" + line.ljust(self.width))
        self.width = len(line)
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self.active:
            self.stream.write("\n")
            self.stream.flush()
