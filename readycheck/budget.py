"""Rack power and cooling budgets: what a rack's feeds can carry and what its nodes can draw at worst.

The worst case is what the breaker sees when every GPU runs at its limit at
once (power caps do not stop millisecond transients, so budget at the enforced
limit, never at the idle draw): the platform's nameplate maximum from the rule
pack when it has one (DGX H100: 10.2 kW), else the sum of the GPUs' enforced
power limits plus the pack's platform overhead. Every electrical watt becomes
heat, split between air and liquid by the rack's `liquid_fraction`.

Figures: a continuous load (3 h or more) may use 80% of a breaker's rating (NFPA 70, the National
Electrical Code, 210.19(A) and 215.2); a three-phase circuit carries √3 × V(line to line) × A; 1 W is
3.412 BTU/h.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from readycheck.facts.views import gpu_count
from readycheck.findings import gpu_subject

if TYPE_CHECKING:  # a run without a site file never reads one
    from readycheck.site import Feed, Rack

BTU_PER_H_PER_KW = 3412.14


@dataclass
class FeedBudget:
    """One power feed (circuit) of a rack and the continuous load it may carry."""

    name: str
    volts: float
    amps: float
    phases: int
    power_factor: float
    derate: float
    usable_kw: float
    side: str | None = None


@dataclass
class NodeDraw:
    """One node's worst-case draw and what it was taken from (said in the finding)."""

    node: str
    watts: float | None
    basis: str
    complete: bool = True  # False: the GPUs alone, the rest of the node not counted (a lower bound)


@dataclass
class RackBudget:
    """A rack's budget against its nodes' worst case, in kW, and the heat that becomes."""

    name: str
    redundancy: str
    feeds: list[FeedBudget]
    budget_kw: float
    worst_case_kw: float | None
    nodes: list[str]
    projected: bool
    basis: str
    air_heat_kw: float | None
    liquid_heat_kw: float | None
    air_cooling_kw: float | None
    liquid_cooling_kw: float
    notes: list[str] = field(default_factory=list)
    lower_bound: bool = False  # a node's worst case counts its GPUs only: the rack's can only be higher

    @property
    def headroom_kw(self) -> float | None:
        return None if self.worst_case_kw is None else self.budget_kw - self.worst_case_kw

    @property
    def used_fraction(self) -> float | None:
        if self.worst_case_kw is None:
            return None
        return self.worst_case_kw / self.budget_kw if self.budget_kw else math.inf

    @property
    def heat_btu_per_h(self) -> float | None:
        return None if self.worst_case_kw is None else self.worst_case_kw * BTU_PER_H_PER_KW


def feed_usable_kw(feed: Feed) -> float:
    """Continuous kW a feed may carry: V x A x PF x derate, times sqrt(3) for three-phase (V line to line)."""
    volt_amps = feed.volts * feed.amps * (math.sqrt(3) if feed.phases == 3 else 1.0)
    return volt_amps * feed.power_factor * feed.derate / 1000.0


def rack_capacity_kw(rack: Rack) -> float:
    """N: the feeds add up. 2N: either side alone must carry the rack, so the weaker side (the sum of its
    feeds) is the budget; a feed with no side is a side of its own (see readycheck/site.py)."""
    if rack.redundancy == "2N":
        return min(sum(feed_usable_kw(feed) for feed in feeds) for feeds in rack.sides().values())
    return sum(feed_usable_kw(feed) for feed in rack.feeds)


def node_worst_case(facts: dict[str, Any], platform: dict[str, float]) -> NodeDraw:
    """The node's worst-case draw in W: nameplate maximum, else GPU limits plus platform overhead."""
    node = (facts.get("host") or {}).get("hostname") or "unknown-host"
    if platform.get("nameplate_max_w"):
        return NodeDraw(node, float(platform["nameplate_max_w"]), "nameplate maximum from the rule pack")
    gpus = facts.get("gpus") or []
    if not gpus:
        return NodeDraw(node, None, "no GPU power limits in the facts")
    if gpu_count(facts) > len(gpus):  # an imported `nvidia-smi -q -i N`: the others' limits are not known
        return NodeDraw(node, None, f"the facts show {len(gpus)} of the node's {gpu_count(facts)} GPUs")
    limits = [g.get("power_limit_w") for g in gpus]
    if None in limits:
        missing = ", ".join(gpu_subject(g) for g in gpus if g.get("power_limit_w") is None)
        return NodeDraw(node, None, f"enforced power limit unavailable on {missing}")
    overhead = float(platform.get("overhead_w", 0.0))
    basis = f"{len(limits)} GPU enforced limits ({sum(limits):.0f} W) + platform overhead {overhead:.0f} W"
    if not overhead:
        basis += " (the pack sets no overhead: the CPUs and fans are not counted)"
    return NodeDraw(node, sum(limits) + overhead, basis, complete=bool(overhead))


def rack_budget(rack: Rack, draws: list[NodeDraw]) -> RackBudget:
    """Sum the nodes present; project the rest of the rack at the present nodes' mean when it is not full."""
    feeds = [FeedBudget(f.name, f.volts, f.amps, f.phases, f.power_factor, f.derate, feed_usable_kw(f), f.side)
             for f in rack.feeds]
    known = [d.watts for d in draws if d.watts is not None]
    notes = [f"{d.node}: worst case unknown ({d.basis})" for d in draws if d.watts is None]
    expected = rack.expected_nodes
    projected = bool(known) and expected is not None and len(draws) < expected
    if not known or notes:
        worst_kw = None
    else:
        worst_kw = sum(known) / 1000.0
        if projected:
            worst_kw = worst_kw / len(known) * expected
            notes.append(f"projected: {len(draws)} of {expected} nodes judged, the other "
                         f"{expected - len(draws)} counted at the judged nodes' mean")
    bases = sorted({d.basis for d in draws if d.watts is not None})
    liquid = None if worst_kw is None else worst_kw * rack.liquid_fraction
    return RackBudget(
        name=rack.name, redundancy=rack.redundancy, feeds=feeds, budget_kw=rack_capacity_kw(rack),
        worst_case_kw=worst_kw, nodes=[d.node for d in draws], projected=projected, basis="; ".join(bases),
        air_heat_kw=None if worst_kw is None else worst_kw - liquid, liquid_heat_kw=liquid,
        air_cooling_kw=rack.air_cooling_kw, liquid_cooling_kw=rack.liquid_cooling_kw, notes=notes,
        lower_bound=any(not d.complete for d in draws if d.watts is not None),
    )
