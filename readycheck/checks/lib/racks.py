"""The rack checks' shape: one finding per rack of the site file, and what stops a rack being judged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from readycheck.findings import FAIL, SKIP, UNKNOWN, Finding


def per_rack(check_id: str, fleet: Any, judge: Callable[[Any], Finding]) -> Iterator[Finding]:
    """For the rack checks: one finding per rack from `judge(rack_budget)`, and what stops it.

    Without a site file every node gets a `skip` saying so; a node whose hostname no rack's globs
    match is `unknown` (its rack's budget cannot include it); a rack with a node whose worst case
    is unknown is `unknown`, naming it; a rack judged on a lower bound passes or warns only as `unknown`
    (`unless_lower_bound`)."""
    if fleet.site is None:
        for n in fleet.nodes:
            yield Finding(check_id, SKIP, "host", node=n.node, message="no --site given: rack budgets not judged",
                          remedy="pass --site FILE with the racks' feeds and cooling")
        return
    for n in fleet.nodes:
        if n.rack is None:
            yield Finding(check_id, UNKNOWN, "host", node=n.node,
                          message=f"hostname {n.node} matches no rack in {fleet.site.path}",
                          remedy="add the node to its rack's `nodes` globs in the site file")
    for rack in fleet.racks:
        if rack.worst_case_kw is None:
            yield Finding(check_id, UNKNOWN, f"rack:{rack.name}", message="; ".join(rack.notes),
                          remedy="collect the missing power limits (run readycheck as root on those nodes)")
        else:
            yield unless_lower_bound(judge(rack), rack)


COUNT_THE_REST = ("set the server's maximum draw ([platform] nameplate_max_w, from its vendor) or what the node draws "
                  "besides its GPUs ([platform] overhead_w) in a site pack that extends the platform pack")


def unless_lower_bound(finding: Finding, rack: Any) -> Finding:
    """A rack whose worst case counts only some nodes' GPUs (the pack gives neither the server's maximum nor
    its overhead) is judged on a lower bound: over budget is a definite fault, anything else is `unknown`,
    since the CPUs, memory and fans it leaves out may tip it over (an `unknown` stays as it is)."""
    if not rack.lower_bound or finding.status in (FAIL, UNKNOWN):
        return finding
    return finding._replace(status=UNKNOWN, message=f"{finding.message}; a lower bound: the CPUs, memory and fans "
                            "of some nodes are not counted", remedy=COUNT_THE_REST)
