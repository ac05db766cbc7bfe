"""power.rack_budget: the rack's feeds carry all its nodes at their worst case, under its redundancy.

A breaker trips on the rack's peak, not its average: eight 700 W GPUs per
node, all at their limit at once during a job's first all-reduce. Each rack's
worst case is the sum of its nodes' worst-case draws (the pack's nameplate
maximum, else the GPUs' enforced limits plus platform overhead; never the
idle draw). Its budget is each feed's continuous capacity (V x A x PF x
derate, x sqrt(3) for three-phase) added up for "N"; for "2N" either side must
carry the rack when the other fails, so the budget is the weaker side: the sum
of the feeds on side A or on side B (a site file whose feeds name no side:
each feed alone, the weakest deciding).

Above the budget fails; above `warn_fraction` of it warns. A rack judged from
fewer snapshots than it will hold (`node_count`, or the literal names in its
`nodes`) is projected at the judged nodes' mean, and the finding says so. A
node whose worst case is unknown makes its rack `unknown`; so does a worst case that counts only the GPUs
(the pack gives neither the server's maximum, `[platform] nameplate_max_w`, nor its `overhead_w`), unless
even that lower bound is over budget, which fails. Without `--site`
every node reports `skip`. Subject: `rack:<name>`.

NotSupported and MIG do not apply: it reads the site file and each node's worst-case draw.
"""

from __future__ import annotations

import functools

from readycheck.checks import Setting
from readycheck.checks.lib.racks import per_rack
from readycheck.findings import FAIL, PASS, WARN, Finding

ID = "power.rack_budget"
SCOPE = "fleet"
SETTINGS = {"warn_fraction": Setting("float", 0.9, "share of the budget above which the rack warns", high=1)}


def check_fleet(fleet, settings):
    yield from per_rack(ID, fleet, functools.partial(_judge, warn_fraction=settings["warn_fraction"]))


def _judge(rack, warn_fraction):
    subject = f"rack:{rack.name}"
    feeds = ", ".join(f"{f.name}{' (side ' + f.side + ')' if f.side else ''} {f.usable_kw:.2f} kW" for f in rack.feeds)
    expected = f"at most {rack.budget_kw:.2f} kW ({rack.redundancy}; feeds {feeds})"
    projected = " projected" if rack.projected else ""
    observed = f"{rack.worst_case_kw:.2f} kW{projected}"
    used = rack.used_fraction
    detail = (f"worst case{projected} {rack.worst_case_kw:.2f} kW of {rack.budget_kw:.2f} kW usable "
              f"({used:.0%}; {len(rack.nodes)} nodes: {rack.basis})")
    if rack.notes:
        detail += "; " + "; ".join(rack.notes)
    if used > 1:
        return Finding(ID, FAIL, subject, observed, expected, f"over budget: {detail}",
                       "move nodes to another rack, add or upgrade a feed, or cap the GPUs' power limits "
                       "and set the pack's expected limit to match")
    if used > warn_fraction:
        return Finding(ID, WARN, subject, observed, expected, f"within {1 - used:.0%} of the budget: {detail}",
                       "plan the rack's next node elsewhere; confirm the feeds' breaker ratings")
    return Finding(ID, PASS, subject, observed, expected, detail)
