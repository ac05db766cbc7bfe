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
from readycheck.entry import output_stream as _output
from readycheck.entry import site_file as _site
from readycheck.errors import InputError, exit_on, verdict_exit


def _write(report, fmt: str, output: str | None) -> None:
    from readycheck.report import write

    with _output(output) as stream:
        write(report, fmt, stream)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="readycheck")
def cli() -> None:
    """Is this GPU server ready for production? Probe it, judge it, prove it."""


def _bmc_options(func):
    """Options shared by `collect`, `scan` and `slurm-health`: which BMC to read over Redfish, and how."""
    func = click.option("--bmc-credentials", metavar="FILE",
                        help="File with READYCHECK_BMC_USER=... and READYCHECK_BMC_PASSWORD=... lines, readable "
                             "by its owner only (chmod 600); else those environment variables are used.")(func)
    func = click.option("--bmc-insecure", is_flag=True,
                        help="Do not verify the BMC's TLS certificate (recorded in the facts; bmc.tls warns).")(func)
    func = click.option("--bmc-ca", metavar="FILE", help="CA certificate (PEM) to verify the BMC's HTTPS with.")(func)
    func = click.option("--bmc", "bmc_url", metavar="URL",
                        help="Read PSUs, redundancy, inlet temperature, chassis power and fans from this BMC over "
                             "Redfish (https://ADDRESS). Default: the Redfish host interface the firmware "
                             "describes in SMBIOS type 42, if any. Needs readycheck[bmc].")(func)
    return func


def _bmc_target(bmc_url: str | None, bmc_ca: str | None, bmc_insecure: bool, bmc_credentials: str | None):
    from readycheck.probes.bmc_target import from_options

    return from_options(bmc_url, bmc_ca, bmc_insecure, bmc_credentials)


@cli.command()
@click.option("-o", "--output", metavar="FILE", help="Write the snapshot here instead of stdout.")
@_bmc_options
@click.option("--root", metavar="DIR", default="/", show_default=True,
              type=click.Path(exists=True, file_okay=False),
              help="Read files (/proc, /sys, /etc, logs) below DIR, as node_exporter's --path.sysfs does; "
                   "commands such as systemctl only run when DIR is /. NVML still reads this machine's "
                   "driver (in a container with the host's / at DIR, those are the host's GPUs).")
def collect(output: str | None, root: str, bmc_url: str | None, bmc_ca: str | None, bmc_insecure: bool,
            bmc_credentials: str | None) -> None:
    """Probe this machine (NVML, host, BMC, driver stack, InfiniBand, network, kernel log)
    and write one facts snapshot (JSON, facts v1)."""
    from readycheck import entry
    from readycheck.outputs import refuse_clashes

    refuse_clashes([bmc_ca, bmc_credentials], [output])
    entry.collect(output, root, _bmc_target(bmc_url, bmc_ca, bmc_insecure, bmc_credentials))


@cli.command()
def schema() -> None:
    """Print the JSON Schema of facts v1 (what `collect` writes and `check` reads)."""
    import json

    from readycheck.facts.schema import FACTS_V1

    click.echo(json.dumps(FACTS_V1, indent=2))


@cli.command(name="import")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("-o", "--output", metavar="FILE", help="Write the snapshot here instead of stdout.")
def import_captures(files: tuple[str, ...], output: str | None) -> None:
    """Build one facts snapshot of one node from its captures: nvidia-smi -q or -q -x, nvidia-smi
    topo -m, nvidia-smi nvlink -s, ibstat, ibstatus (each file's format is detected). What the
    captures do not show is null with the reason NotInSource, so `check` says unknown for it."""
    from readycheck.facts import dump_snapshot
    from readycheck.importers import import_files
    from readycheck.outputs import refuse_clashes

    refuse_clashes(list(files), [output])
    snapshot = import_files(list(files))
    with _output(output) as stream:
        stream.write(dump_snapshot(snapshot))


# The keys of readycheck.report.FORMATS and readycheck.load.backends.NAMES, listed here so that --help
# imports neither the reporters nor the load phase; tests/test_cli.py keeps each pair in step.
LOAD_BACKENDS = ("auto", "dcgm", "gpu_burn", "builtin")
REPORT_FORMATS = ("text", "json", "md", "html", "junit", "prom")
# Several formats for this many nodes or more are written side by side (readycheck.fanout), the slowest first.
FAN_OUT_FROM = 200
SLOWEST_FIRST = ("html", "junit", "prom", "md", "json", "text")


def _judge_options(func):
    """Options shared by `check`, `scan` and `slurm-health`."""
    func = click.option("--fail-on", type=click.Choice(["fail", "warn"]), default="fail", show_default=True,
                        help="Also call the node not ready on warnings.")(func)
    func = click.option("-o", "--output", metavar="FILE|DIR",
                        help="Write the report here (a directory when several formats are asked for).")(func)
    func = click.option("-f", "--format", "formats", multiple=True, metavar="FORMAT",
                        type=click.Choice(REPORT_FORMATS),
                        help=f"Report format: {', '.join(REPORT_FORMATS)}; repeat for several "
                             "(default: text on the terminal).")(func)
    func = click.option("--site", metavar="FILE", help="Site file: racks, power feeds, cooling, ASHRAE class.")(func)
    func = click.option("--order", metavar="FILE",
                        help="Order file (TOML or CSV) to compare the node with, item by item (inventory.match).")(func)
    func = click.option("-r", "--rules", metavar="PACK|FILE",
                        help="Built-in rule pack name or a pack file (default: chosen from the GPU model).")(func)
    func = click.option("--xid-since", metavar="TIME|HOURSh",
                        help="Judge only Xids logged from this time on (RFC 3339, e.g. 2026-11-27T08:00:00Z) or "
                             "this many hours before collection (e.g. 24h), such as since the GPU reset; older "
                             "ones are listed, not judged (health.xid since).")(func)
    return func


def _overrides(xid_since: str | None) -> tuple:
    """The settings the command line gives over the pack's, checked as a pack's are (exit 2 naming the option)."""
    if not xid_since:
        return ()
    from readycheck import rulepack

    overrides = (("health.xid", "since", xid_since, "--xid-since"),)
    rulepack.overridden(rulepack.load(rulepack.FALLBACK_PACK), overrides)
    return overrides


def _destinations(formats: tuple[str, ...], output: str | None) -> list[tuple[str, str | None]]:
    """Where each report goes, as (format, file; None for stdout): several formats into the directory
    `output` (one file each), one format to `output` or stdout. Text alone goes to the terminal only."""
    from readycheck.report import FORMATS

    files = [fmt for fmt in formats or ("text",) if fmt != "text" or output]
    if len(files) <= 1:
        return [(fmt, None if output in (None, "-") else output) for fmt in files]
    if output in (None, "-"):
        raise InputError("several report formats need --output DIR")
    if Path(output).exists() and not Path(output).is_dir():
        raise InputError(f"{output}: not a directory (several formats are written as files into a directory)")
    return [(fmt, str(Path(output) / f"readycheck-report.{FORMATS[fmt][1]}")) for fmt in files]


def _report(report, destinations: list[tuple[str, str | None]]) -> int:
    """Write the report to each destination and print the terminal summary; return the exit code."""
    from readycheck.report import text as text_report

    if len(destinations) > 1:  # several formats: files side by side in their directory
        folder = Path(destinations[0][1]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{folder}: cannot create the report directory: {exc.strerror or exc}") from None
        from readycheck import fanout

        ordered = sorted(destinations, key=lambda destination: SLOWEST_FIRST.index(destination[0]))
        fanout.each(lambda i: _write(report, *ordered[i]), len(ordered), parallel=len(report.nodes) >= FAN_OUT_FROM)
    elif destinations:
        _write(report, *destinations[0])
    if all(path is not None for _, path in destinations):
        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        click.echo(text_report.render(report, colour=colour), nl=False)
    return verdict_exit(report.verdict)


def _judge_paths(inputs: list[str | None], rules: str | None, formats: tuple[str, ...],
                 output: str | None) -> list[tuple[str, str | None]]:
    """The report destinations, once the inputs (with a --rules pack file) are known not to clash with them."""
    from readycheck.outputs import refuse_clashes
    from readycheck.rulepack import names_file

    destinations = _destinations(formats, output)
    refuse_clashes([*inputs, rules if rules and names_file(rules) else None], [path for _, path in destinations])
    return destinations


def _order(path: str | None):
    if not path:
        return None
    from readycheck import order

    return order.load(path)


@cli.command()
@click.argument("snapshots", nargs=-1, required=True, metavar="SNAPSHOT|DIR...")
@_judge_options
@click.option("--embed-facts", is_flag=True,
              help="In the JSON report of several nodes, embed each node's facts and list every finding, as for "
                   "one node (10,000 nodes: about 1 GB); by default each snapshot is named by path and SHA-256.")
def check(snapshots: tuple[str, ...], rules: str | None, formats: tuple[str, ...], output: str | None,
          fail_on: str, site: str | None, order: str | None, xid_since: str | None, embed_facts: bool) -> int:
    """Judge facts snapshots (from `collect`, another node, an archive; a directory stands for its
    *.json files) against a rule pack, and each rack against the site file. A capture (see
    `readycheck import`) is imported on the fly, one file per node.

    Exit 0 ready, 1 not ready, 2 bad input, 3 internal error."""
    from readycheck.run import judge_files, snapshot_paths

    paths = snapshot_paths(list(snapshots))
    destinations = _judge_paths([*paths, site, order], rules, formats, output)
    report = judge_files(paths, rules, _site(site), fail_on, order=_order(order), overrides=_overrides(xid_since))
    report.embed_facts = embed_facts or None
    return _report(report, destinations)


@cli.command()
@_judge_options
@_bmc_options
@click.option("--load", "load_seconds", type=click.IntRange(min=1), metavar="SECONDS",
              help="After collecting, drive every GPU to full power for SECONDS while sampling NVML.")
@click.option("--load-backend", type=click.Choice(LOAD_BACKENDS), default="auto", show_default=True,
              help="dcgm (dcgmi diag targeted_power), gpu_burn, or the builtin PyTorch/CuPy burner.")
@click.option("--load-interval", type=click.FloatRange(min=0.1), default=1.0, show_default=True, metavar="S",
              help="Seconds between samples during the load phase.")
@click.option("--storage-test", metavar="PATH", type=click.Path(exists=True),
              help="Also time a sequential read of existing files under PATH (never writes; host.storage_throughput).")
@click.option("--storage-seconds", metavar="N", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Stop the storage read test after N seconds.")
@click.option("--storage-max-gib", metavar="N", type=click.FloatRange(min=0, min_open=True), default=64.0,
              show_default=True, help="Stop the storage read test after N GiB.")
@click.option("--perf", is_flag=True,
              help="Measure PCIe, memory, GEMM, NVLink, NCCL and InfiniBand bandwidth (GPUs unchanged).")
@click.option("--perf-seconds", metavar="N", type=click.FloatRange(min=10), default=150.0, show_default=True,
              help="Time budget of the whole --perf run; each test stops at its share of it.")
def scan(rules: str | None, formats: tuple[str, ...], output: str | None, fail_on: str, site: str | None,
         order: str | None, xid_since: str | None, load_seconds: int | None, load_backend: str,
         load_interval: float, storage_test: str | None, storage_seconds: float, storage_max_gib: float,
         bmc_url: str | None, bmc_ca: str | None, bmc_insecure: bool, bmc_credentials: str | None, perf: bool,
         perf_seconds: float) -> int:
    """Collect facts on this machine and judge them: `collect` and `check` in one step.

    With --site, this node's rack is projected from its worst case times the rack's node count.
    With --load, the GPUs run at full power first (nothing is changed on them) and the load
    checks judge what was sampled; without it they say the node was judged at idle only.
    With --perf, short bounded tests measure what the node delivers (the perf.* checks); they run
    before the load phase, on cool GPUs."""
    from readycheck.probes import ProbeContext
    from readycheck.probes import collect as run_probes
    from readycheck.run import judge_snapshots, resolve_rules

    destinations = _judge_paths([site, order, bmc_ca, bmc_credentials], rules, formats, output)
    site_file, order_file = _site(site), _order(order)  # bad input stops the scan before any probe runs
    target = _bmc_target(bmc_url, bmc_ca, bmc_insecure, bmc_credentials)
    overrides = _overrides(xid_since)
    pack = resolve_rules(rules)
    from readycheck.checks import load_all

    snapshot = run_probes(lambda: ProbeContext(bmc=target), version=__version__, meanwhile=load_all)
    if storage_test:
        from readycheck.probes import storage_test as read_test

        snapshot["host"]["storage_test"] = read_test.run(Path(storage_test), storage_seconds,
                                                         int(storage_max_gib * 1024**3))
    if perf:
        from readycheck.perf.progress import TerminalProgress as PerfProgress
        from readycheck.perf.runner import run as run_perf

        with PerfProgress(sys.stderr) as progress:
            snapshot["perf"] = run_perf(snapshot, perf_seconds, progress)
    if load_seconds:
        from readycheck.load.progress import TerminalProgress
        from readycheck.load.runner import run as run_load

        with TerminalProgress(sys.stderr) as progress:
            snapshot["load"] = run_load(ProbeContext(bmc=_read_bmc(target, snapshot)), load_seconds, load_backend,
                                        load_interval, progress)
    return _report(judge_snapshots([snapshot], pack, site_file, fail_on, order=order_file, overrides=overrides),
                   destinations)


def _read_bmc(target, snapshot):
    """The BMC the load phase may sample: the one whose chassis power the probes read over Redfish, else none."""
    import dataclasses

    url = (snapshot.get("bmc") or {}).get("url")
    read = snapshot["host"].get("chassis_power_source") == "redfish"
    return dataclasses.replace(target, url=url) if url and read else None


@cli.command(name="slurm-health")
@_judge_options
@_bmc_options
@click.option("--node", metavar="NAME", help="Slurm node to drain or resume (default: $SLURMD_NODENAME, "
                                             "else this host's short hostname).")
@click.option("--snapshot", metavar="FILE", help="Judge this snapshot (from `collect`) instead of scanning.")
@click.option("--dry-run", is_flag=True, help="Print the scontrol command instead of running it.")
def slurm_health(rules: str | None, formats: tuple[str, ...], output: str | None, fail_on: str, site: str | None,
                 order: str | None, xid_since: str | None, node: str | None, snapshot: str | None, dry_run: bool,
                 bmc_url: str | None, bmc_ca: str | None, bmc_insecure: bool, bmc_credentials: str | None) -> int:
    """Judge this node for Slurm (HealthCheckProgram, prolog, epilog) and drain or resume it.

    A node that is not ready is drained with reason "readycheck: <first failing check>"; a node
    readycheck drained is resumed once ready; a node drained with any other reason is left alone.
    Fast: no load phase, no report files unless --format is given. Exit 0 ready, 1 not ready,
    2 bad input or scontrol failed, 3 internal error."""
    from readycheck import slurm

    if snapshot and bmc_url:
        raise InputError("--bmc reads the live BMC; it does not go with --snapshot")
    destinations = _judge_paths([snapshot, site, order, bmc_ca, bmc_credentials], rules, formats, output)
    target = _bmc_target(bmc_url, bmc_ca, bmc_insecure, bmc_credentials)
    report, said = slurm.check_node(snapshot, rules, _site(site), fail_on, _order(order), target, node, dry_run,
                                    overrides=_overrides(xid_since))
    if formats:
        return_code = _report(report, destinations)
    else:
        click.echo(slurm.summary(report))
        return_code = verdict_exit(report.verdict)
    click.echo(said)
    return return_code


@cli.command(name="checks")
@click.argument("check_id", required=False, metavar="[ID]")
def list_checks(check_id: str | None) -> None:
    """List the checks, or print one check's documentation and settings."""
    from readycheck import checks

    if check_id is None:
        for cid in checks.all_ids():
            click.echo(f"{cid:24} {checks.summary(checks.load(cid)).split(': ', 1)[-1]}")
        return
    if check_id not in checks.REGISTRY:
        raise InputError(f"no check {check_id!r} (see `readycheck checks`)")
    click.echo(checks.documentation(check_id), nl=False)


@cli.command()
@click.argument("name", required=False)
def packs(name: str | None) -> None:
    """List the built-in rule packs and what each is chosen for, or print one resolved (after `extends`),
    each figure with the file that set it and its source."""
    from readycheck import rulepack

    if name is None:
        for pack_name in rulepack.builtin_names():
            pack = rulepack.load(pack_name)
            click.echo(f"{pack_name:22} {pack.description}")
            chosen_for = rulepack.chosen_for(pack)
            if chosen_for:
                click.echo(f"{'':22} chosen for: {chosen_for}")
        return
    pack = rulepack.load(name)
    click.echo(f"# {pack.name}: {pack.description}")
    click.echo(f"# chain: {' -> '.join(pack.chain)}; sha256 {pack.content_hash}")
    if pack.dmi_products:
        _figure("dmi_products", pack.dmi_products, pack.set_by.get("dmi_products"))
    if pack.platform:
        click.echo("\n[platform]")
        for key, value in pack.platform.items():
            _figure(key, value, pack.set_by.get(f"platform.{key}"))
    for check_id, table in pack.checks.items():
        click.echo(f'\n[checks."{check_id}"]')
        for key, value in table.items():
            _figure(key, value, pack.set_by.get(f"{check_id}.{key}"))


def _figure(key, value, set_by) -> None:
    """One figure, then the file that set it and its source (nothing for an engine or check default)."""
    click.echo(f"# {key} = (not set)" if value is None else f"{key} = {_toml_value(value)}")
    if set_by:
        label, source = set_by
        click.echo(f"#   {label}: {source or 'no source given'}")


def _toml_value(value) -> str:
    import json

    return str(value).lower() if isinstance(value, bool) else json.dumps(value)


def main() -> None:
    """Run the CLI, turning input errors into exit 2 and bugs into exit 3 with one line each."""
    with exit_on():
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
    sys.exit(exit_code if isinstance(exit_code, int) else 0)
