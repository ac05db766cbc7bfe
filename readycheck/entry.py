"""Where the `readycheck` command starts (the console script and `python -m readycheck`).

`readycheck collect` is what a fleet runs on every node, often under a time budget (a Slurm health
check, a Kubernetes probe), and loading click and the command tree costs more than the collection
itself. A plain collect (`-o/--output FILE`, `--root DIR`, nothing else) therefore goes straight to
the probes; everything else, collect with `--help` or anything unusual included, goes to the click
command line in cli.py, which gives the same result, help and error messages.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from readycheck.errors import InputError, exit_on

OPTIONS = {"-o": "output", "--output": "output", "--root": "root"}


@contextlib.contextmanager
def output_stream(path: str | None) -> Iterator[IO[str]]:
    """The stream to write to: stdout for none or "-", else the file, with a one-line error if it cannot be."""
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        stream = open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    with stream:
        yield stream


def collect(output: str | None, root: str, bmc=None) -> None:
    """`readycheck collect`: probe this machine and write one facts snapshot (`bmc`: the --bmc target; None
    looks for the Redfish host interface the firmware describes)."""
    from readycheck import __version__
    from readycheck.facts import dump_snapshot
    from readycheck.probes import ProbeContext
    from readycheck.probes import collect as run_probes

    snapshot = run_probes(lambda: ProbeContext(root=Path(root), bmc=bmc), version=__version__)
    with output_stream(output) as stream:
        stream.write(dump_snapshot(snapshot))


def plain_collect(argv: list[str]) -> dict[str, str | None] | None:
    """`{"output": ..., "root": ...}` for a collect with only -o/--output and --root (`--opt value` or
    `--opt=value`, the last one winning, as click takes them) and an existing --root directory; None for
    anything else."""
    if argv[:1] != ["collect"]:
        return None
    options: dict[str, str | None] = {"output": None, "root": "/"}
    rest = iter(argv[1:])
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name not in OPTIONS or (equals and name == "-o"):
            return None
        if not equals:
            value = next(rest, None)
            if value is None:
                return None
        options[OPTIONS[name]] = value
    return options if os.path.isdir(options["root"] or "") else None


def main() -> None:
    try:
        options = plain_collect(sys.argv[1:])
        if options is None:
            from readycheck.cli import main as cli_main

            cli_main()
            return
        with exit_on():
            collect(options["output"], options["root"] or "/")
        sys.exit(0)
    finally:
        # Everything a run made lives until the process ends. Out of the collector's sight, it is not walked
        # again by the interpreter's final collection, which costs a one-node `check` a fifth of its time;
        # files are closed and atexit handlers run as usual.
        gc.freeze()
