"""What the benches share: timing commands fairly on a busy machine, and printing a figure beside its target.

A 2-core machine that runs other work too makes wall times noisy, so every command is timed for its wall
time and for its CPU time (user + system of the child and everything it waited for), commands that are
compared run interleaved (a, b, a, b, ...) so both see the same machine, and a figure is the median with
the minimum beside it. The load average is printed with the figures.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
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
    peak_total_mib: float = 0.0

    def median(self, which: str = "wall") -> float:
        return statistics.median(getattr(self, which))

    def best(self, which: str = "wall") -> float:
        return min(getattr(self, which))

    def describe(self) -> str:
        return (f"wall median {self.median():.3f} s (min {self.best():.3f}), "
                f"CPU median {self.median('cpu'):.3f} s (min {self.best('cpu'):.3f}), n={len(self.wall)}")


def timed(command: list[str], runs: Runs, env: dict[str, str] | None = None, ok=(0, 1),
          memory: bool = False) -> None:
    """Run once, adding its wall and CPU time to `runs`; exit with the command's stderr when its exit code
    is not one of `ok`. `peak_mib` is the largest single process's peak RSS so far (getrusage keeps only the
    maximum); with `memory`, also the peak of all its processes together (`peak_total_mib`, sampled)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        peak = 0.0
        while True:
            try:
                child.wait(timeout=0.1 if memory else None)  # returns the moment the child ends
                break
            except subprocess.TimeoutExpired:
                peak = max(peak, tree_memory_mib(child.pid))
        elapsed = time.perf_counter() - start
        errors.seek(0)
        if child.returncode not in ok:
            sys.exit(f"{' '.join(map(str, command))}: exit {child.returncode}: {errors.read().strip()[-600:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs.wall.append(elapsed)
    runs.cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    runs.peak_mib = after.ru_maxrss / 1024
    runs.peak_total_mib = max(runs.peak_total_mib, peak)


def tree_memory_mib(pid: int) -> float:
    """Memory of a process and all its descendants now: the sum of their proportional set sizes (a page
    shared by n processes counts 1/n in each: forked workers are not counted twice), RSS where PSS is not
    readable."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent and child not in tree]
        tree.update(children)
        frontier.extend(children)
    total_kib = 0
    for member in tree:
        for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
            try:
                line = next(line for line in (Path("/proc") / str(member) / name).read_text().splitlines()
                            if line.startswith(key))
            except (OSError, StopIteration):
                continue
            total_kib += int(line.split()[1])
            break
    return total_kib / 1024


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


def figure(label: str, value: float, unit: str, target: float, detail: str = "", at_least: bool = False) -> None:
    """One figure beside its target: `label: value unit   target: at most T unit   met|NOT met   (detail)`."""
    met = value >= target if at_least else value <= target
    print(f"  {label}: {value:.3g} {unit}   target: {'at least' if at_least else 'at most'} {target:g} {unit}   "
          f"{'met' if met else 'NOT met'}" + (f"   ({detail})" if detail else ""))
