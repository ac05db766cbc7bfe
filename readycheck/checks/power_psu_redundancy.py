"""power.psu_redundancy: every PSU is present and healthy, and those left carry the node's worst case.

A DGX H100 has six 3.3 kW supplies in a 4+2 arrangement: it runs with two
failed, until the third fails under load and the GPUs hit the power brake.
A freshly racked node with a PSU absent, unplugged or faulted is not ready. The
PSUs come from the BMC (`ipmitool sdr type "Power Supply"`) or hwmon; where
their capacities are known, the healthy ones together must carry the node's
worst-case draw (the same figure the rack budget uses: the pack's nameplate
maximum, else the GPUs' enforced limits plus the platform overhead).

No PSU facts (no ipmitool, not root, a BMC that hides them) is `unknown`;
the base pack marks this check optional for that reason.
"""

from __future__ import annotations

from readycheck.budget import node_worst_case
from readycheck.checks import Setting
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, listed

ID = "power.psu_redundancy"
SETTINGS = {"min_psus": Setting("int", None, "number of PSUs the platform has (DGX H100: 6); fewer present fails; "
                                             "unset: not counted")}
NEEDS = ("platform",)

REMEDY = "reseat or replace the PSU and check its power cord and feed (`ipmitool sdr type \"Power Supply\"`)"


def check(facts, settings, platform=None):
    host = facts["host"]
    psus = host.get("psus") or []
    if not psus:
        why = reason(host, "psus", "none reported")
        yield Finding(ID, UNKNOWN, "host", message=f"no PSU facts ({why})",
                      remedy="read the PSUs from the BMC (`ipmitool sdr type \"Power Supply\"`) or re-run as root")
        return
    names = [p.get("name") or f"PSU {i + 1}" for i, p in enumerate(psus)]  # a sensor without a name: its place
    bad = [name for name, p in zip(names, psus) if p.get("present") is False or p.get("ok") is False]
    unread = [name for name, p in zip(names, psus) if p.get("present") is None or p.get("ok") is None]
    observed = {name: "ok" if p.get("ok") else ("absent" if p.get("present") is False else
                                                "failed" if p.get("ok") is False else "unknown")
                for name, p in zip(names, psus)}
    wanted = settings["min_psus"]
    if bad:
        yield Finding(ID, FAIL, "host", observed, "every PSU present and ok",
                      f"PSU not healthy: {listed(bad)}", REMEDY)
        return
    if wanted is not None and len(psus) < wanted:
        yield Finding(ID, FAIL, "host", observed, f"{wanted} PSUs", f"{len(psus)} PSUs found, the platform has "
                      f"{wanted}", "fit the missing PSU and connect it to its feed")
        return
    if unread:
        yield Finding(ID, UNKNOWN, "host", observed, "every PSU present and ok",
                      f"PSU state unreadable: {listed(unread)}", "read the PSUs in the BMC")
        return
    draw = node_worst_case(facts, platform or {})
    capacities = [p.get("capacity_w") for p in psus]
    if draw.watts is not None and None not in capacities and sum(capacities) < draw.watts:
        yield Finding(ID, FAIL, "host", observed, f"PSUs carry {draw.watts:.0f} W ({draw.basis})",
                      f"healthy PSUs carry {sum(capacities):.0f} W, less than the node's worst case "
                      f"{draw.watts:.0f} W", "fit PSUs of the rated capacity; check the BMC's power policy")
        return
    yield Finding(ID, PASS, "host", observed, "every PSU present and ok", f"{len(psus)} PSUs present and ok")
