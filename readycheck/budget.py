"""Rack power and cooling budgets: what a rack's feeds can carry and what its nodes can draw at worst.

Filled in by the power-and-cooling work (issue 4); reporters render `RackBudget` as the per-rack
budget table and gauge.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class RackBudget:
    """A rack's budget against its nodes' worst case, in kW, and the heat that becomes."""

    name: str
    redundancy: str
    feeds: list[FeedBudget]
    budget_kw: float
    worst_case_kw: float
    nodes: list[str]
    projected: bool
    basis: str
    air_heat_kw: float
    liquid_heat_kw: float
    air_cooling_kw: float
    liquid_cooling_kw: float
    notes: list[str] = field(default_factory=list)

    @property
    def headroom_kw(self) -> float:
        return self.budget_kw - self.worst_case_kw

    @property
    def used_fraction(self) -> float:
        return self.worst_case_kw / self.budget_kw if self.budget_kw else float("inf")

    @property
    def heat_btu_per_h(self) -> float:
        return (self.air_heat_kw + self.liquid_heat_kw) * 3412.14
