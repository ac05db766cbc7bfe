"""power.psu_redundancy: every PSU is present and healthy, the BMC's declared redundancy holds, and the
healthy PSUs carry the node's worst case.

A DGX H100 has six 3.3 kW supplies in a 4+2 arrangement: it runs with two
failed, until the third fails under load and the GPUs hit the power brake.
A freshly racked node with a PSU absent, unplugged or faulted is not ready.
The PSUs come from the BMC over Redfish (`--bmc URL`: PowerSubsystem or the
legacy Power resource), else from `ipmitool sdr type "Power Supply"`; each
says its `source`. A PSU is healthy when it is present and its status is
good: a Redfish health of Warning or Critical is not healthy, nor is a supply
the BMC reports disabled or offline.

Where the BMC declares a redundancy group (Redfish `PowerSupplyRedundancy`
or `Power.Redundancy`: mode, `MinNeededInGroup`, `MaxSupportedInGroup`), the
group's healthy members must number at least its minimum ("the minimum number
of devices needed for this group to be redundant", DMTF Redundancy schema,
DSP0268), and the BMC must not itself report the group's health as Warning or
Critical. Where the capacities are known, the healthy PSUs together must carry
the node's worst-case draw (the figure the rack budget uses: the pack's
nameplate maximum, else the GPUs' enforced limits plus the platform overhead),
and, when the BMC declares a redundant mode, still carry it with the largest
one lost: redundancy that browns out at full load is no redundancy.

No PSU facts (no BMC given, not root, a BMC that hides them or cannot be
reached) is `unknown`, with the BMC's own error where it had one; the base
pack marks this check optional for that reason.

NotSupported and MIG do not apply: the PSUs are read from the BMC.
"""

from __future__ import annotations

from readycheck.budget import node_worst_case
from readycheck.checks import Setting
from readycheck.checks.lib.unread import bmc_failure, reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, listed

ID = "power.psu_redundancy"
SETTINGS = {"min_psus": Setting("int", None, "number of PSUs the platform has (DGX H100: 6); fewer present fails; "
                                             "unset: not counted")}
NEEDS = ("platform",)

REMEDY = ("reseat or replace the PSU and check its power cord and feed (the BMC's PowerSubsystem, or "
          "`ipmitool sdr type \"Power Supply\"`)")
UNHEALTHY = ("Warning", "Critical")
NOT_REDUNDANT = ("NotRedundant", None)


def _state(psu: dict) -> str:
    """A PSU in one word for `observed`: absent, the BMC's health word, else ok/failed/unknown."""
    if psu.get("present") is False:
        return "absent"
    if psu.get("health"):
        return psu["health"]
    return "ok" if psu.get("ok") else "failed" if psu.get("ok") is False else "unknown"


def _why(psu: dict) -> str:
    words = [_state(psu)]
    if psu.get("line_input_ok") is False:
        words.append("no line input")
    return f"{psu['name']} ({', '.join(words)})"


def check(facts, settings, platform=None):
    host = facts["host"]
    psus = host.get("psus") or []
    if not psus:
        why = reason(host, "psus", "none reported")
        bmc = bmc_failure(facts)
        yield Finding(ID, UNKNOWN, "host", message=f"no PSU facts ({why}{': ' + bmc if bmc else ''})",
                      remedy="read the PSUs from the BMC (`--bmc URL` with READYCHECK_BMC_USER/"
                             "READYCHECK_BMC_PASSWORD, or `ipmitool sdr type \"Power Supply\"` as root)")
        return
    # a sensor without a name is named by its place
    psus = [p if p.get("name") else {**p, "name": f"PSU {i + 1}"} for i, p in enumerate(psus)]
    observed = {p["name"]: _state(p) for p in psus}
    bad = [p for p in psus if p.get("present") is False or p.get("ok") is False]
    if bad:
        yield Finding(ID, FAIL, "host", observed, "every PSU present and healthy",
                      f"PSU not healthy: {listed(_why(p) for p in bad)}", REMEDY)
        return
    wanted = settings["min_psus"]
    if wanted is not None and len(psus) < wanted:
        yield Finding(ID, FAIL, "host", observed, f"{wanted} PSUs", f"{len(psus)} PSUs found, the platform has "
                      f"{wanted}", "fit the missing PSU and connect it to its feed")
        return
    unread = [p["name"] for p in psus if p.get("present") is None or p.get("ok") is None]
    if unread:
        yield Finding(ID, UNKNOWN, "host", observed, "every PSU present and healthy",
                      f"PSU state unreadable: {listed(unread)}", "read the PSUs in the BMC")
        return
    groups = host.get("psu_redundancy") or []
    for group in groups:
        finding = _group_finding(group, psus, observed)
        if finding is not None:
            yield finding
            return
    finding = _capacity_finding(facts, platform, psus, groups, observed)
    if finding is not None:
        yield finding
        return
    declared = "; ".join(_declared(g) for g in groups)
    yield Finding(ID, PASS, "host", observed, "every PSU present and healthy" + (f"; {declared}" if declared else ""),
                  f"{len(psus)} PSUs present and healthy" + (f"; {declared} holds" if declared else ""))


def _declared(group: dict) -> str:
    return (f"the BMC's {group.get('mode') or 'PSU'} redundancy ({group.get('min_needed')} needed of "
            f"{group.get('max_in_group')})")


def _group_finding(group: dict, psus: list[dict], observed: dict) -> Finding | None:
    """A redundancy group the BMC declares that its healthy members do not satisfy, or None."""
    names = set(group.get("members") or []) or {p["name"] for p in psus}
    healthy = sum(1 for p in psus if p["name"] in names and p.get("ok"))
    needed = group.get("min_needed")
    expected = f"{_declared(group)} satisfied"
    if needed is not None and healthy < needed:
        return Finding(ID, FAIL, "host", observed, expected,
                       f"{_declared(group)} is not met: {healthy} healthy PSUs in its group", REMEDY)
    if group.get("health") in UNHEALTHY:
        return Finding(ID, FAIL, "host", observed, expected,
                       f"the BMC reports its {group.get('mode') or 'PSU'} redundancy as {group['health']}", REMEDY)
    return None


def _capacity_finding(facts, platform, psus: list[dict], groups: list[dict], observed: dict) -> Finding | None:
    """The healthy PSUs cannot carry the worst case (or, when redundancy is declared, not with one lost)."""
    draw = node_worst_case(facts, platform or {})
    capacities = [p.get("capacity_w") for p in psus]
    if draw.watts is None or None in capacities:
        return None
    expected = f"PSUs carry {draw.watts:.0f} W ({draw.basis})"
    if sum(capacities) < draw.watts:
        return Finding(ID, FAIL, "host", observed, expected,
                       f"healthy PSUs carry {sum(capacities):.0f} W, less than the node's worst case "
                       f"{draw.watts:.0f} W", "fit PSUs of the rated capacity; check the BMC's power policy")
    redundant = [g for g in groups if g.get("mode") not in NOT_REDUNDANT]
    if redundant and sum(capacities) - max(capacities) < draw.watts:
        return Finding(ID, FAIL, "host", observed, expected + ", also with one PSU lost",
                       f"with one PSU lost the others carry {sum(capacities) - max(capacities):.0f} W, less than "
                       f"the node's worst case {draw.watts:.0f} W: {_declared(redundant[0])} does not cover "
                       f"full load", "fit PSUs of the rated capacity (check the input voltage: many PSUs give "
                                     "less on 120 V); check the BMC's power policy")
    return None
