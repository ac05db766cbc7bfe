"""The engine: runs a resolved rule pack's checks over snapshots and decides the verdicts, once.

Checks only describe; the engine applies the pack's policy to what they say:
`severity = "warn"` turns a check's failures into warnings, `required = false`
keeps its `unknown` results from blocking readiness, and a check that raises
becomes an `error` finding (the node is then not ready) while the others
still run; a fleet check that raises gives each node an `error` finding about
`fleet`, and the run still ends with its reports (READYCHECK_DEBUG=1 prints
the traceback on stderr). Then it decides, once per node, what every reporter and the Slurm
command read and never recompute (`Decision`): the node's final findings (its
own and its rack's: a rack over budget makes every node in it not ready), their
counts, the ones that block readiness, and the verdict; and the run's `Report`.

Two scopes of check: node checks (`check(facts, settings)`) see one snapshot;
fleet checks (`SCOPE = "fleet"`, `check_fleet(fleet, settings)`) see every
node of the run and the site's racks, after the node checks. A check that
needs the site file, the pack's `[platform]` figures, the order file
(`--order`) or the features the pack says the platform has (`features`, see
readycheck.checks.lib.expects) names them in `NEEDS` (`site`, `platform`,
`order`, `features`) and receives them as keyword arguments. A fleet check may define
`extract(facts)`: its result is kept per node, so the facts themselves need not
stay in memory for a fleet of thousands: there each node keeps them packed
(`NodeResult.pack_facts`), a tenth of their size as objects, and reporters
unpack one node at a time.
"""

from __future__ import annotations

import functools
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple

from readycheck import __version__, checks
from readycheck.budget import NodeDraw, RackBudget, node_worst_case, rack_budget
from readycheck.checks.lib import expects
from readycheck.findings import ERROR, FAIL, NOT_READY, READY, STATUSES, WARN, Finding, worst_first
from readycheck.rulepack import Pack

if TYPE_CHECKING:  # imported when a run has a site or order file, not by every run
    from readycheck.order import Order
    from readycheck.site import Site

POLICY_KEYS = ("enabled", "required", "severity")
FLEET = "fleet"  # the subject of a fleet check's error: it could judge none of the run's nodes


@dataclass(frozen=True)
class Decision:
    """What the engine decided about one node.

    `findings`: the node's own, then its rack's, in check order; `counts`: of those, by status;
    `blocking`: those that make the node not ready (fail and error always; a required unknown; a
    warning under `--fail-on warn`), worst first; `verdict`: READY when nothing blocks."""

    findings: Sequence[Finding]  # a tuple, or for a node of a fleet its PackedFindings
    counts: dict[str, int]
    blocking: tuple[Finding, ...]
    verdict: str


def decide(findings: Iterable[Finding], fail_on: str = FAIL) -> Decision:
    """The decision over a node's final findings."""
    findings = findings if isinstance(findings, PackedFindings) else tuple(findings)
    blocking = tuple(worst_first(f for f in findings
                                 if f.blocks_readiness or (fail_on == WARN and f.status == WARN)))
    return Decision(findings=findings, counts=count(findings), blocking=blocking,
                    verdict=NOT_READY if blocking else READY)


class PackedFindings(Sequence):
    """The findings of a node of a fleet: its own as one compressed blob, packed by the worker that judged
    it, then those that joined them since (fleet and rack findings). As objects, 10,000 nodes' findings
    take most of a gigabyte (185 findings a node, each with its observed and expected values); packed, a
    few kB a node. Reading unpacks them; the last few nodes read stay unpacked, as a reporter reads one
    node's findings several times in a row."""

    __slots__ = ("blob", "size", "joined")
    RECENT = 8
    _recent: dict[int, tuple[bytes, list[Finding]]] = {}

    def __init__(self, blob: bytes, size: int, joined: Iterable[Finding] = ()):
        self.blob, self.size, self.joined = blob, size, list(joined)

    @classmethod
    def pack(cls, findings: list[Finding]) -> PackedFindings:
        plain = [tuple(item) for item in findings]  # a named tuple pickles three times slower
        return cls(_packed(plain), len(plain))

    def _own(self) -> list[Finding]:
        recent = self._recent.get(id(self.blob))
        if recent is None:
            if len(self._recent) >= self.RECENT:
                del self._recent[next(iter(self._recent))]
            own = list(map(_as_finding, _unpacked(self.blob)))
            recent = self._recent[id(self.blob)] = (self.blob, own)  # the blob kept: its id stays its own
        return recent[1]

    def __iter__(self) -> Iterator[Finding]:
        yield from self._own()
        yield from self.joined

    def __len__(self) -> int:
        return self.size + len(self.joined)

    def __getitem__(self, index):
        return [*self._own(), *self.joined][index]

    def append(self, finding: Finding) -> None:
        self.joined.append(finding)

    def __add__(self, other: Iterable[Finding]) -> PackedFindings:
        return PackedFindings(self.blob, self.size, [*self.joined, *other])


_as_finding = functools.partial(tuple.__new__, Finding)


def _packed(value: Any) -> bytes:
    """`value` pickled and compressed (fast level): how a fleet keeps each node's facts and findings. Imported
    here, on first use: one node, or a scan, never packs anything."""
    import pickle
    import zlib

    return zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)


def _unpacked(blob: bytes) -> Any:
    import pickle
    import zlib

    return pickle.loads(zlib.decompress(blob))


def count(findings) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for item in findings:
        counts[item.status] += 1
    return counts


@dataclass
class NodeResult:
    """Everything a report says about one node: its facts, the pack, its own findings, the decision."""

    node: str
    facts: dict[str, Any] | None
    pack: Pack
    # the node's own (PackedFindings in a fleet); the rack's join in `decision`
    findings: list[Finding] | PackedFindings = field(default_factory=list)
    decision: Decision | None = None
    draw: NodeDraw | None = None
    rack: str | None = None
    source: str | None = None
    source_sha256: str | None = None  # of the file's bytes as read and validated; None: judged from memory (a scan)
    extracts: dict[str, Any] = field(default_factory=dict)
    load_status: str | None = None  # the load phase's status; None: judged at idle only
    perf_run: bool = False  # the facts hold a --perf run: a summary reads them only then (a fleet's are packed)
    packed_facts: bytes | None = None  # `facts`, compressed, once `pack_facts` has run

    @property
    def load_words(self) -> str:
        """How the node was loaded, in words for every report."""
        if self.load_status is None:
            return "judged at idle only (no load phase ran)"
        return f"judged under load (load phase {self.load_status.replace('_', ' ')})"

    @property
    def verdict(self) -> str:
        return self.decision.verdict

    def load_facts(self) -> dict[str, Any]:
        """The judged facts: as they are for one node; unpacked afresh for a node of a fleet (never read again
        from its file, which may have changed since it was judged)."""
        if self.facts is not None:
            return self.facts
        return _unpacked(self.packed_facts)

    def pack_facts(self) -> None:
        """Keep the facts compressed (a 67 kB snapshot packs into a few kB; as Python objects it takes
        ten times its size), so a fleet of 10,000 nodes keeps them all for its reports."""
        self.packed_facts = _packed(self.facts)
        self.facts = None


@dataclass
class Fleet:
    """What a fleet check sees: every judged node, the site file, the racks' budgets."""

    nodes: list[NodeResult]
    site: Site | None
    racks: list[RackBudget]


def node_name(snapshot: dict[str, Any]) -> str:
    return snapshot.get("host", {}).get("hostname") or "unknown-host"


def _scope(check_id: str) -> str:
    return getattr(checks.load(check_id), "SCOPE", "node")


def _policy(check_id: str, found: list[Finding], table: dict[str, Any], node: str) -> list[Finding]:
    """The pack's policy over a check's findings: severity, required, and the node they belong to."""
    required = table["required"]
    if not found:
        found = [Finding(check_id, ERROR, "host", message="check produced no finding",
                         remedy="report this readycheck bug with the snapshot")]
    downgrade = table["severity"] == WARN
    # Built field by field rather than with _replace: this runs for every finding of every node. The texts are
    # interned: most say the same on every node, and a fleet's findings then share one copy of each.
    intern = sys.intern
    return [Finding(item.check, WARN if downgrade and item.status == FAIL else item.status,
                    intern(item.subject) if type(item.subject) is str else item.subject, item.observed, item.expected,
                    intern(item.message) if type(item.message) is str else item.message,
                    intern(item.remedy) if type(item.remedy) is str else item.remedy, item.node or node, required)
            for item in found]


def _call(check_id: str, function: Any, *args: Any, **kwargs: Any) -> list[Finding]:
    """The check's findings; a check that raises gives one `error` finding about `host` instead (a
    bug in one check must not hide the other checks' results), its traceback printed on stderr when
    READYCHECK_DEBUG is set."""
    try:
        return list(function(*args, **kwargs))
    except Exception as exc:
        return [raised(check_id, exc, "host")]


def raised(check_id: str, exc: Exception, subject: str, node: str = "") -> Finding:
    """The `error` finding of a check that raised `exc`."""
    if os.environ.get("READYCHECK_DEBUG"):
        print(f"readycheck: check {check_id} raised:", file=sys.stderr)
        import traceback

        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    return Finding(check_id, ERROR, subject, message=f"check raised {type(exc).__name__}: {exc}"[:1000], node=node,
                   remedy="report this readycheck bug with the snapshot; judge this check by hand")


def _settings(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if key not in POLICY_KEYS}


def run_check(check_id: str, snapshot: dict[str, Any], table: dict[str, Any], node: str,
              context: dict[str, Any] | None = None) -> list[Finding]:
    """One node check under the pack's policy; a check that raises becomes a single `error` finding."""
    return _run(_step(check_id, table), snapshot, context or {}, node)


class _Step(NamedTuple):
    """One enabled check of a pack, resolved for judging node after node."""

    check_id: str
    table: dict[str, Any]
    settings: dict[str, Any]  # the table less the policy keys: the same dict for every node (checks never change it)
    needs: tuple[str, ...]
    check: Any  # the module's check(facts, settings); None for a fleet check
    extract: Any  # a fleet check's extract(facts), where it has one


class _Plan(NamedTuple):
    """A pack resolved for judging node after node: its enabled checks, and the features it says the
    platform has (readycheck.checks.lib.expects)."""

    steps: tuple[_Step, ...]
    features: frozenset[str]


_PLANS: dict[int, tuple[Pack, _Plan]] = {}


def _plan(pack: Pack) -> _Plan:
    """The pack's enabled checks resolved once per pack rather than once per node (a resolved pack is never
    changed). The pack is kept with its plan, so its id cannot be another pack's while the plan is kept."""
    known = _PLANS.get(id(pack))
    if known is None:
        if len(_PLANS) > 256:
            _PLANS.clear()
        steps = tuple(_step(check_id, pack.checks[check_id]) for check_id in pack.enabled())
        known = _PLANS[id(pack)] = (pack, _Plan(steps, expects.declared(pack.checks)))
    return known[1]


def _step(check_id: str, table: dict[str, Any]) -> _Step:
    module = checks.load(check_id)
    fleet = _scope(check_id) == "fleet"
    return _Step(check_id, table, _settings(table), tuple(getattr(module, "NEEDS", ())),
                 None if fleet else module.check, getattr(module, "extract", None) if fleet else None)


def _run(step: _Step, snapshot: dict[str, Any], context: dict[str, Any], node: str) -> list[Finding]:
    """One node check under the pack's policy, given what it NEEDS from `context` (None for what is not there)."""
    extra = {name: context.get(name) for name in step.needs}
    found = _call(step.check_id, step.check, snapshot, step.settings, **extra)
    return _policy(step.check_id, found, step.table, node)


def judge(snapshot: dict[str, Any], pack: Pack, site: Site | None = None, *, order: Order | None = None) -> NodeResult:
    """Run the pack's node checks on one snapshot, and keep what the fleet checks will need
    (`finish` decides the verdict, once the fleet and rack checks have run)."""
    node = node_name(snapshot)
    rack = site.rack_of(node) if site else None
    result = NodeResult(node=node, facts=snapshot, pack=pack, draw=node_worst_case(snapshot, pack.platform),
                        rack=rack.name if rack else None, load_status=(snapshot.get("load") or {}).get("status"),
                        perf_run=snapshot.get("perf") is not None)
    plan = _plan(pack)
    context = {"site": site, "platform": pack.platform, "order": order, "features": plan.features}
    for step in plan.steps:
        if step.check is None:
            if step.extract is not None:
                try:
                    result.extracts[step.check_id] = step.extract(snapshot)
                except Exception as exc:
                    result.findings.extend(_policy(step.check_id, [raised(step.check_id, exc, "host")], step.table,
                                                   node))
            continue
        result.findings.extend(_run(step, snapshot, context, node))
    return result


@dataclass
class Report:
    """The judged nodes of one run, their decisions, the racks, and the run-wide verdict."""

    nodes: list[NodeResult]
    fail_on: str = FAIL
    tool_version: str = __version__
    racks: list[RackBudget] = field(default_factory=list)
    rack_findings: list[Finding] = field(default_factory=list)
    verdict: str = READY
    counts: dict[str, int] = field(default_factory=dict)  # every finding once: each node's own, then the racks'
    # When the report was made (a ticket carries it; the facts' own collection time is per node).
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    # Whether the JSON report embeds each node's facts and lists every finding: None, for one node only (a
    # fleet's report names each node's snapshot and lists what needs attention); `check --embed-facts`: True.
    embed_facts: bool | None = None

    @property
    def findings(self) -> Iterator[Finding]:
        """Every finding once: each node's own, then the racks' (one node unpacked at a time in a fleet)."""
        for node in self.nodes:
            yield from node.findings
        yield from self.rack_findings

    def about_rack(self, name: str | None) -> list[Finding]:
        """The findings whose subject is this rack."""
        return self._by_rack.get(name, []) if name is not None else []

    @functools.cached_property
    def _by_rack(self) -> dict[str, list[Finding]]:
        return findings_by_rack(self.rack_findings)

    def summary(self) -> dict[str, Any]:
        return {
            "nodes": len(self.nodes),
            "ready": sum(1 for n in self.nodes if n.verdict == READY),
            "not_ready": sum(1 for n in self.nodes if n.verdict == NOT_READY),
            "findings": self.counts,
        }


def finish(nodes: list[NodeResult], site: Site | None, pack: Pack, fail_on: str = FAIL) -> Report:
    """Run the fleet checks over all judged nodes (rack budgets, drift between nodes), then decide.

    Findings about one node join that node's findings; findings about a rack are the report's, and
    join the decision of every node in that rack. Settings come from `pack` (the `--rules` pack, or
    the first node's)."""
    draws: dict[str, list[NodeDraw]] = defaultdict(list)
    for node in nodes:
        if node.rack is not None:
            draws[node.rack].append(node.draw)
    racks = [rack_budget(rack, draws[rack.name]) for rack in (site.racks if site else ()) if draws.get(rack.name)]
    fleet = Fleet(nodes=nodes, site=site, racks=racks)
    by_name = {n.node: n for n in nodes}
    rack_findings: list[Finding] = []
    for check_id in pack.enabled():
        if _scope(check_id) != "fleet":
            continue
        module = checks.load(check_id)
        table = pack.checks[check_id]
        try:
            found = list(module.check_fleet(fleet, _settings(table)))
        except Exception as exc:  # it judged no node: each one gets the error, and the run goes on
            found = [raised(check_id, exc, FLEET, node.node) for node in nodes] or [raised(check_id, exc, FLEET)]
        found = _policy(check_id, found, table, "")
        for item in found:
            owner = by_name.get(item.node)
            if owner is not None:
                owner.findings.append(item)
            else:
                rack_findings.append(item)
    report = Report(nodes=nodes, fail_on=fail_on, racks=racks, rack_findings=rack_findings)
    report.counts = count(rack_findings)
    for node in nodes:
        node.decision = decide(node.findings + report.about_rack(node.rack), fail_on)
        for status, number in count(node.findings).items():  # node by node: a fleet's findings stay packed
            report.counts[status] += number
    rack_blocks = decide(rack_findings, fail_on).verdict == NOT_READY
    report.verdict = NOT_READY if rack_blocks or any(n.verdict == NOT_READY for n in nodes) else READY
    return report


def findings_by_rack(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Rack findings grouped by rack name (their subject is `rack:<name>`)."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for item in findings:
        if item.subject.startswith("rack:"):
            grouped[item.subject.split(":", 1)[1]].append(item)
    return dict(grouped)
