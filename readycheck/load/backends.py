"""Load backends, in order of preference: DCGM's targeted power test, gpu_burn, the built-in burner.

Each runs as a child process in its own session, so stopping it stops the
whole process group. A backend is available when its tool is installed (the
built-in burner: when PyTorch or CuPy is, the optional `readycheck[load]`
extra); none is ever a hard dependency.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable

STOP_GRACE_S = 10.0


class LoadUnavailable(Exception):
    """No backend can run here; the message says why in words."""


@dataclass(frozen=True)
class Backend:
    name: str
    why_not: Callable[[], str | None]  # None when it can run here
    command: Callable[[int], list[str]]


def tail(text: str, lines: int) -> str:
    """The last `lines` lines of a child's output on one line, blank ones dropped: for a one-line error."""
    return " | ".join(line.strip() for line in text.splitlines()[-lines:] if line.strip())


def tool_missing(binary: str, label: str | None = None) -> str | None:
    """None when `binary` is on PATH, else the words that say it is not (`label` names it, the binary's name
    by default)."""
    return None if shutil.which(binary) else f"{label or binary} not on PATH"


def _tool(name: str) -> Callable[[], str | None]:
    return lambda: tool_missing(name)


def _burner_missing() -> str | None:
    if any(importlib.util.find_spec(module) for module in ("torch", "cupy")):
        return None
    return "neither PyTorch nor CuPy is installed (pip install 'readycheck[load]')"


BACKENDS = (
    Backend("dcgm", _tool("dcgmi"),
            lambda seconds: ["dcgmi", "diag", "-r", "targeted_power", "-p",
                             f"targeted_power.test_duration={seconds}"]),
    Backend("gpu_burn", _tool("gpu_burn"), lambda seconds: ["gpu_burn", str(seconds)]),
    Backend("builtin", _burner_missing,
            lambda seconds: [sys.executable, "-m", "readycheck.load.burn", "--seconds", str(seconds)]),
)
NAMES = ("auto", *(b.name for b in BACKENDS))


def choose(name: str = "auto") -> Backend:
    """The backend asked for, or the first available one for "auto"; `LoadUnavailable` says why not."""
    reasons = []
    for backend in BACKENDS:
        if name not in ("auto", backend.name):
            continue
        why = backend.why_not()
        if why is None:
            return backend
        reasons.append(f"{backend.name}: {why}")
    raise LoadUnavailable("no load backend available (" + "; ".join(reasons) + ")")


class Running:
    """A started backend: poll it, stop it, read the end of what it printed."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None):
        self.log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True, env=env)

    def poll(self) -> int | None:
        return self.process.poll()

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """SIGTERM to the process group, SIGKILL after `grace` seconds; safe to call twice."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            pass

    def output(self) -> str:
        """Everything the child printed so far; safe while it still writes (pread leaves the file
        offset the child shares untouched)."""
        fd = self.log.fileno()
        return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")

    def tail(self, lines: int = 5) -> str:
        return tail(self.output(), lines)

    def close(self) -> None:
        self.stop()
        self.log.close()
