"""Errors that end a run with a one-line message instead of a traceback.

`InputError` is anything wrong with what the user gave readycheck (a flag, a
snapshot, a rule pack, a site file): exit 2, the message names the file and the
key. Anything else that escapes is a bug in readycheck: exit 3. A run that ends
normally exits 0 when its verdict is ready, 1 when not (`verdict_exit`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

EXIT_READY = 0
EXIT_NOT_READY = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def verdict_exit(verdict: str) -> int:
    """The exit code of a run that judged: 0 ready, 1 not ready (scripts and Slurm read it)."""
    from readycheck.findings import READY

    return EXIT_READY if verdict == READY else EXIT_NOT_READY


class InputError(Exception):
    """Bad input from the user; the message is one line naming the file and what is wrong."""


@contextlib.contextmanager
def exit_on() -> Iterator[None]:
    """End the run as this module says for what escapes: one line on stderr, exit 2 for an `InputError`,
    3 for anything else (the traceback only with READYCHECK_DEBUG set)."""
    try:
        yield
    except InputError as exc:
        print(f"readycheck: {exc}", file=sys.stderr)
        sys.exit(EXIT_INPUT_ERROR)
    except Exception as exc:
        if os.environ.get("READYCHECK_DEBUG"):
            raise
        print(f"readycheck: internal error (a bug, please report it): {type(exc).__name__}: {exc};"
              " set READYCHECK_DEBUG=1 for the traceback", file=sys.stderr)
        sys.exit(EXIT_INTERNAL_ERROR)
