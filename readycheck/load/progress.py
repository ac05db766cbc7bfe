"""The load phase's progress line on a terminal: time left, current watts, the hottest GPU.

Drawn on one line (carriage return) only when the stream is a terminal;
elsewhere (a log, a CI job, Slurm's output file) nothing is printed, so logs
stay readable.
"""

from __future__ import annotations

from typing import TextIO


class TerminalProgress:
    def __init__(self, stream: TextIO):
        self.stream = stream
        self.active = stream.isatty()

    def __enter__(self) -> TerminalProgress:
        return self

    def __call__(self, elapsed: float, seconds: float, latest: list[dict]) -> None:
        if not self.active:
            return
        watts = sum(s.get("power_draw_w") or 0 for s in latest)
        hot = max(latest, key=lambda s: s.get("temperature_gpu_c") or -1, default=None)
        hottest = f", hottest gpu{hot['gpu']} {hot['temperature_gpu_c']:g} °C" \
            if hot and hot.get("temperature_gpu_c") is not None else ""
        left = max(0, seconds - elapsed)
        self.stream.write(f"\rload: {left:4.0f} s left, {watts:6.0f} W{hottest}   ")
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self.active:
            self.stream.write("\n")
            self.stream.flush()
