"""The `readycheck` command line.

Kept lean on purpose: `readycheck --help` imports neither jinja2 nor the
probes, so a node's first contact with the tool is instant. Each command
imports what it needs when it runs. Exit codes: 0 ready, 1 not ready, 2 input
or usage error (one line, no traceback), 3 internal error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from readycheck import __version__
from readycheck.errors import EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, InputError


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write: {exc.strerror or exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readycheck")
def cli() -> None:
    """Is this GPU server ready for production? Probe it, judge it, prove it."""


@cli.command()
@click.option("-o", "--output", metavar="FILE", help="Write the snapshot here instead of stdout.")
@click.option("--root", metavar="DIR", default="/", show_default=True,
              type=click.Path(exists=True, file_okay=False),
              help="Read files (/proc, /sys, /etc, logs) below DIR, as node_exporter's --path.sysfs does; "
                   "commands such as systemctl only run when DIR is /.")
def collect(output: str | None, root: str) -> None:
    """Probe this machine (NVML, host, driver stack, InfiniBand, network, kernel log)
    and write one facts snapshot (JSON, facts v1)."""
    from readycheck.facts import dump_snapshot
    from readycheck.probes import ProbeContext
    from readycheck.probes import collect as run_probes

    snapshot = run_probes(lambda: ProbeContext(root=Path(root)), version=__version__)
    _write(dump_snapshot(snapshot), output)


@cli.command()
def schema() -> None:
    """Print the JSON Schema of facts v1 (what `collect` writes and `check` reads)."""
    import json

    from readycheck.schema import FACTS_V1

    click.echo(json.dumps(FACTS_V1, indent=2))


def main() -> None:
    """Run the CLI, turning input errors into exit 2 and bugs into exit 3 with one line each."""
    try:
        exit_code = cli.main(standalone_mode=False, prog_name="readycheck")
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("readycheck: aborted", err=True)
        sys.exit(130)
    except InputError as exc:
        click.echo(f"readycheck: {exc}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    except Exception as exc:
        if os.environ.get("READYCHECK_DEBUG"):
            raise
        click.echo(f"readycheck: internal error (a bug, please report it): {type(exc).__name__}: {exc};"
                   " set READYCHECK_DEBUG=1 for the traceback", err=True)
        sys.exit(EXIT_INTERNAL_ERROR)
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
