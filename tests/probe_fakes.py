"""Fakes shared by the probe tests: the fake trees, a tree treated as the live host, canned commands."""

from __future__ import annotations

from pathlib import Path

from readycheck.facts import NOT_FOUND, Unreadable
from readycheck.probes import ProbeContext

ROOTS = Path(__file__).parent / "data" / "roots"


class LiveTree(ProbeContext):
    """A fake tree the probes treat as the live host, so commands go to the fake runner."""

    live = True


def runner(outputs: dict[tuple[str, ...], object], calls: list | None = None):
    """Canned output per argv; an `Unreadable` value is raised, a missing argv is 'not installed'.
    Each argv asked is appended to `calls` when given."""
    def run(argv: list[str], timeout: float) -> str:
        if calls is not None:
            calls.append(tuple(argv))
        answer = outputs.get(tuple(argv), Unreadable(NOT_FOUND, f"{argv[0]} not installed"))
        if isinstance(answer, Exception):
            raise answer
        return answer
    return run
