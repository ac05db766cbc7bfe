"""One run of `check` or `scan`: snapshots in, a `Report` out.

Judging a node is independent of every other node, so a fleet of snapshot
files is judged in worker processes (one per core), each reading, validating
and judging its files and sending back the findings, what the fleet checks
need, the SHA-256 of the bytes it judged, and the facts and findings packed
(compressed, engine.PackedFindings): every file is read and validated once,
and reporters unpack a node's facts and findings from memory when they show
them. Then the fleet checks (rack budgets, drift) run once over all nodes.
While a fleet's results arrive the collector of cyclic garbage rests: judging
makes none, and with 10,000 nodes in memory each of its passes would walk
them all.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from readycheck import rulepack
from readycheck.engine import NodeResult, PackedFindings, Report, finish, judge
from readycheck.errors import InputError
from readycheck.findings import FAIL

if TYPE_CHECKING:  # imported when a run has a site or order file, not by every run
    from readycheck.order import Order
    from readycheck.site import Site

# Below this many files a pool of processes costs more to start than it saves.
PARALLEL_FROM = 200
CHUNK = 32


def snapshot_paths(arguments: list[str]) -> list[str]:
    """The snapshot files named, a directory standing for the *.json files in it (sorted)."""
    paths: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(str(p) for p in path.glob("*.json"))
            if not found:
                raise InputError(f"{argument}: directory holds no *.json snapshot")
            paths.extend(found)
        else:
            paths.append(argument)
    return paths


def _pack_for(rules: rulepack.Pack | None, platform: rulepack.Platform,
              overrides: rulepack.Overrides = ()) -> rulepack.Pack:
    return rulepack.overridden(rules if rules is not None else rulepack.choose_for(platform), overrides)


@dataclasses.dataclass(frozen=True)
class _Setting:
    """What every file of one run is judged with; sent to each worker once, not with every file
    (a hall's site file has thousands of racks)."""

    rules: str | None
    site: Site | None
    order: Order | None
    overrides: rulepack.Overrides = ()


_RUN: _Setting | None = None


def _start_worker(setting: _Setting) -> None:
    global _RUN
    _RUN = setting


def _start_pool_worker(setting: _Setting) -> None:
    gc.disable()  # a worker lives for one run and judging leaves no cycles behind
    _start_worker(setting)


def _judge_file(path: str, run: _Setting) -> tuple[NodeResult, rulepack.Platform]:
    """Read, validate and judge one file; return the result with its facts packed, without its pack, and
    its findings as plain tuples (see the module docstring)."""
    from readycheck.importers import read_input  # here: a scan reads no file

    snapshot, digest = read_input(path)
    platform = rulepack.platform_of(snapshot)
    result = judge(snapshot, _pack_for(resolve_rules(run.rules), platform, run.overrides), run.site, order=run.order)
    result.pack, result.source, result.source_sha256 = None, path, digest
    result.pack_facts()
    result.findings = PackedFindings.pack(result.findings)
    return result, platform


def _judge_job(path: str):
    try:
        return _judge_file(path, _RUN)
    except InputError as exc:  # sent back whole: the parent stops with this one line
        return exc


def judge_files(paths: list[str], rules: str | None, site: Site | None, fail_on: str = FAIL,
                workers: int | None = None, *, order: Order | None = None,
                overrides: rulepack.Overrides = ()) -> Report:
    """Judge snapshot files, each read and validated once: one file keeps its facts as they are, a fleet
    keeps them packed."""
    from readycheck.importers import read_input

    pack = resolve_rules(rules)
    if len(paths) == 1:
        snapshot, digest = read_input(paths[0])
        return judge_snapshots([snapshot], pack, site, fail_on, sources=paths, order=order, digests=[digest],
                               overrides=overrides)
    setting = _Setting(rules, site, order, overrides)
    workers = workers or os.cpu_count() or 1
    collecting = gc.isenabled()
    gc.disable()
    try:
        if len(paths) < PARALLEL_FROM or workers == 1:
            _start_worker(setting)
            nodes = _collect(map(_judge_job, paths), pack, overrides)
        else:
            import multiprocessing  # a fleet only: one file or a scan never starts a pool

            with multiprocessing.get_context("fork").Pool(workers, _start_pool_worker, (setting,)) as pool:
                nodes = _collect(pool.imap(_judge_job, paths, chunksize=CHUNK), pack, overrides)
    finally:
        if collecting:
            gc.freeze()  # what arrived stays to the end of the run: out of the collector's sight
            gc.enable()
    return _finish(nodes, pack, site, fail_on)


def _collect(outcomes, pack: rulepack.Pack | None, overrides: rulepack.Overrides) -> list[NodeResult]:
    nodes = []
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
        result, platform = outcome
        result.pack = _pack_for(pack, platform, overrides)
        nodes.append(result)
    return nodes


def judge_snapshots(snapshots: list[dict[str, Any]], pack: rulepack.Pack | None, site: Site | None,
                    fail_on: str = FAIL, sources: list[str] | None = None, *, order: Order | None = None,
                    overrides: rulepack.Overrides = (), digests: list[str] | None = None) -> Report:
    """Judge snapshots held in memory (a scan, a single file): the facts stay with the result. `sources` and
    `digests` name the files they were read from and the SHA-256 of the bytes read; `overrides`: settings
    given on the command line, over every node's pack."""
    nodes = []
    for i, snapshot in enumerate(snapshots):
        result = judge(snapshot, _pack_for(pack, rulepack.platform_of(snapshot), overrides), site, order=order)
        result.source = sources[i] if sources else None
        result.source_sha256 = digests[i] if digests else None
        nodes.append(result)
    return _finish(nodes, pack, site, fail_on)


@functools.lru_cache(maxsize=8)
def resolve_rules(rules: str | None) -> rulepack.Pack | None:
    """The --rules pack, or None to choose one per node from its GPU model."""
    if not rules:
        return None
    pack = rulepack.load(rules)
    pack.reason = f"chosen with --rules {rules}"
    return pack


def _distinct_names(nodes: list[NodeResult]) -> None:
    """Snapshots that name the same host stay separate nodes: each repeat is told apart by its file
    (imported captures carry no hostname, so all of them are `unknown-host`), else its position.
    Fleet findings are matched to nodes by name, and reports list nodes by it."""
    counts = Counter(n.node for n in nodes)
    sources = Counter(n.source for n in nodes)
    for position, node in enumerate(nodes, 1):
        if counts[node.node] > 1:
            label = Path(node.source).name if node.source and sources[node.source] == 1 else f"#{position}"
            node.node = f"{node.node} ({label})"
            node.findings = [f._replace(node=node.node) for f in node.findings]


def _finish(nodes: list[NodeResult], pack: rulepack.Pack | None, site: Site | None, fail_on: str) -> Report:
    _distinct_names(nodes)
    fleet_pack = pack or (nodes[0].pack if nodes else rulepack.load(rulepack.FALLBACK_PACK))
    return finish(nodes, site, fleet_pack, fail_on)
