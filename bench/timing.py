"""What the benches share: timing commands fairly on a busy machine, and printing a figure beside its target.

A 2-core machine that runs other work too makes wall times noisy, so every command is timed for its wall
time and for its CPU time (user + system of the child and everything it waited for), commands that are
compared run interleaved (a, b, a, b, ...) so both see the same machine, and a figure is the median with
the minimum beside it. The load average is printed with the figures.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def environment(**extra: str) -> dict[str, str]:
    """The children's environment: bytecode caching on (as an installed package has its .pyc files; a
    PYTHONDONTWRITEBYTECODE left in the environment would make every run compile readycheck afresh)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def readycheck_command() -> list[str]:
    """What users run: the installed `readycheck` script beside this Python, else `python -m readycheck`."""
    script = Path(sys.executable).with_name("readycheck")
    return [str(script)] if script.exists() else [sys.executable, "-m", "readycheck"]


def editable_install() -> bool:
    return any(Path(sys.executable).parent.parent.glob("lib/python*/site-packages/__editable__*readycheck*.pth"))


@dataclass
class Runs:
    """Wall and CPU seconds of repeated runs of one command, and the peak RSS of the largest child."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mib: float = 0.0

    def median(self, which: str = "wall") -> float:
        return statistics.median(getattr(self, which))

    def best(self, which: str = "wall") -> float:
        return min(getattr(self, which))

    def describe(self) -> str:
        return (f"wall median {self.median():.3f} s (min {self.best():.3f}), "
                f"CPU median {self.median('cpu'):.3f} s (min {self.best('cpu'):.3f}), n={len(self.wall)}")


def timed(command: list[str], runs: Runs, env: dict[str, str] | None = None, ok=(0, 1), cwd=None,
          stdout=subprocess.DEVNULL) -> subprocess.CompletedProcess:
    """Run once, adding its wall and CPU time to `runs`; exit with the command's stderr when its exit code
    is not one of `ok`. Peak RSS is the largest child's so far (getrusage only keeps the maximum)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        sys.exit(f"{' '.join(map(str, command))}: exit {done.returncode}: {done.stderr.strip()[-600:]}")
    runs.wall.append(elapsed)
    runs.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    runs.peak_mib = after.ru_maxrss / 1024
    return done


def interleaved(commands: dict[str, list[str]], rounds: int, env: dict[str, str] | None = None,
                ok=(0, 1)) -> dict[str, Runs]:
    """Each command once to warm caches, then `rounds` rounds of all of them in turn."""
    runs = {name: Runs() for name in commands}
    for command in commands.values():
        timed(command, Runs(), env, ok)
    for _ in range(rounds):
        for name, command in commands.items():
            timed(command, runs[name], env, ok)
    return runs


def machine() -> str:
    return (f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
            + (", an editable install (its import hook adds a little start-up time that `pip install .` has "
               "not)" if editable_install() else ""))


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT met"


def figure(label: str, value: float, unit: str, target: float, detail: str = "") -> None:
    """One figure beside its target: `label: value unit (target: at most T unit) met|NOT met; detail`."""
    print(f"  {label}: {value:.3g} {unit}   target: at most {target:g} {unit}   {verdict(value, target)}"
          + (f"   ({detail})" if detail else ""))


def which(name: str) -> str | None:
    return shutil.which(name)
