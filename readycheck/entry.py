"""Where the `readycheck` command starts (the console script and `python -m readycheck`).

`readycheck collect`, `readycheck slurm-health` and `readycheck scan` are what a fleet runs on every
node, often under a time budget (Slurm's HealthCheckProgram, a Kubernetes probe, an NHC-style sweep), and
loading click and the command tree costs about as much as the collection itself. Their plain forms
therefore go straight to the work: a collect with only `-o/--output FILE` and `--root DIR`; a
slurm-health with only `--node`, `--snapshot`, `-r/--rules`, `--site`, `--fail-on` and `--dry-run`; a
scan with only `-r/--rules`, `--site` and `--fail-on` (no report files, no BMC, load or perf options).
Everything else, `--help` or anything unusual included, goes to the click command line in cli.py, which
gives the same result, output, help and error messages.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from readycheck.errors import exit_on, verdict_exit

# The plain form of each command that has one: option -> the parameter it sets (None: a flag).
PLAIN: dict[str, dict[str, str | None]] = {
    "collect": {"-o": "output", "--output": "output", "--root": "root"},
    "slurm-health": {"--node": "node", "--snapshot": "snapshot", "-r": "rules", "--rules": "rules", "--site": "site",
                     "--fail-on": "fail_on", "--dry-run": None},
    "scan": {"-r": "rules", "--rules": "rules", "--site": "site", "--fail-on": "fail_on"},
}
FAIL_ON = ("fail", "warn")  # cli.py's --fail-on choices; any other value goes to click, which refuses it
# click's ANSI escape pattern: click.echo removes styles from what does not go to a terminal.
ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")


@contextlib.contextmanager
def output_stream(path: str | None) -> Iterator[IO[str]]:
    """The stream to write to: stdout for none or "-", else the file, replaced whole once written
    (readycheck.outputs), with a one-line error if it cannot be."""
    if path is None or path == "-":
        yield sys.stdout
        return
    from readycheck.outputs import replacing

    with replacing(path) as stream:
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


def plain_options(argv: list[str]) -> dict[str, Any] | None:
    """The parameters of a command line in its command's plain form (`--opt value` or `--opt=value`, the last
    one winning, as click takes them), with "command" naming the command; None for anything else."""
    if not argv or argv[0] not in PLAIN:
        return None
    known = PLAIN[argv[0]]
    options: dict[str, Any] = {"command": argv[0]}
    rest = iter(argv[1:])
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name not in known or (equals and not name.startswith("--")) or (equals and known[name] is None):
            return None
        if known[name] is None:
            options[name[2:].replace("-", "_")] = True
            continue
        if not equals:
            value = next(rest, None)
            if value is None:
                return None
        options[known[name]] = value
    return options


def plain_collect(argv: list[str]) -> dict[str, str | None] | None:
    """`{"output": ..., "root": ...}` for a plain collect with an existing --root directory; None for anything
    else."""
    options = plain_options(argv)
    if options is None or options["command"] != "collect":
        return None
    chosen = {"output": options.get("output"), "root": options.get("root", "/")}
    return chosen if os.path.isdir(chosen["root"] or "") else None


def site_file(path: str | None):
    """The site file given with --site, read and validated; None without one (and the parser not loaded)."""
    if not path:
        return None
    from readycheck import site

    return site.load(path)


def slurm_health(options: dict[str, Any]) -> int:
    """A plain `readycheck slurm-health`: judge this node (or the snapshot), tell Slurm, print the summary line
    and what was done, as cli.slurm_health does without --format."""
    from readycheck import slurm
    from readycheck.probes.bmc_target import from_options

    report, said = slurm.check_node(options.get("snapshot"), options.get("rules"), site_file(options.get("site")),
                                    options.get("fail_on", "fail"), None, from_options(None, None, False, None),
                                    options.get("node"), bool(options.get("dry_run")))
    for line in (slurm.summary(report), said):
        sys.stdout.write((line if sys.stdout.isatty() else ANSI.sub("", line)) + "\n")
    return verdict_exit(report.verdict)


def scan(options: dict[str, Any]) -> int:
    """A plain `readycheck scan`: probe this machine, judge it and print the terminal summary, as cli.scan does
    with no report file (the pack and the site file are read before any probe runs, as there)."""
    from readycheck import __version__
    from readycheck.checks import load_all
    from readycheck.probes import ProbeContext
    from readycheck.probes import collect as run_probes
    from readycheck.probes.bmc_target import from_options
    from readycheck.report import text
    from readycheck.run import judge_snapshots, resolve_rules

    site = site_file(options.get("site"))
    target = from_options(None, None, False, None)
    pack = resolve_rules(options.get("rules"))
    snapshot = run_probes(lambda: ProbeContext(bmc=target), version=__version__, meanwhile=load_all)
    report = judge_snapshots([snapshot], pack, site, options.get("fail_on", "fail"))
    sys.stdout.write(text.render(report, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR")))
    return verdict_exit(report.verdict)


PLAIN_JUDGES = {"slurm-health": slurm_health, "scan": scan}


# The cyclic collector's first generation runs every 700 new objects by default: importing the checks and
# judging one node (which makes almost no cycles) would trigger it hundreds of times, about a twentieth of a
# one-node run. A run is short-lived; a fleet's run turns the collector off while its results arrive.
GC_THRESHOLDS = (50_000, 20, 20)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        argv = sys.argv[1:]
        collecting, plain = plain_collect(argv), plain_options(argv)
        if collecting is not None:
            with exit_on():
                collect(collecting["output"], collecting["root"] or "/")
            sys.exit(0)
        if plain is not None and plain["command"] in PLAIN_JUDGES and plain.get("fail_on", "fail") in FAIL_ON:
            with exit_on():
                code = PLAIN_JUDGES[plain["command"]](plain)
            sys.exit(code)
        from readycheck.cli import main as cli_main

        cli_main()
    finally:
        # Everything a run made lives until the process ends. Out of the collector's sight, it is not walked
        # again by the interpreter's final collection, which costs a one-node `check` a fifth of its time;
        # files are closed and atexit handlers run as usual.
        gc.freeze()
