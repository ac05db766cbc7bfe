"""cooling.rack_heat: the room's cooling removes the heat the rack makes at worst.

Every watt a node draws becomes heat. At the rack's worst-case draw (see
power.rack_budget), the share `liquid_fraction` goes to the liquid loop and
the rest to the room's air. Air heat above the rack's `air_cooling_kw`, or
liquid heat above `liquid_cooling_kw`, fails: the GPUs will throttle once the
room falls behind, usually minutes into the first long job. Above
`warn_fraction` of a capacity warns. Heat is reported in kW and BTU/h
(x 3412.14 per kW). A rack without `air_cooling_kw` in the site file, or
whose worst case is unknown, is `unknown`, as is a rack within its cooling
whose worst case counts only the GPUs (see power.rack_budget). Without `--site`
every node reports `skip`. Subject: `rack:<name>`.

NotSupported and MIG do not apply: it reads the site file and each node's worst-case draw.
"""

from __future__ import annotations

import functools

from readycheck.budget import BTU_PER_H_PER_KW
from readycheck.checks import Setting
from readycheck.checks.lib.racks import per_rack
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding

ID = "cooling.rack_heat"
SCOPE = "fleet"
SETTINGS = {"warn_fraction": Setting("float", 0.9, "share of a cooling capacity above which the rack warns", high=1)}


def check_fleet(fleet, settings):
    yield from per_rack(ID, fleet, functools.partial(_judge, warn_fraction=settings["warn_fraction"]))


def _judge(rack, warn_fraction):
    subject = f"rack:{rack.name}"
    if rack.air_cooling_kw is None:
        return Finding(ID, UNKNOWN, subject, observed=_heat(rack.worst_case_kw),
                       message="the site file gives no air_cooling_kw for this rack",
                       remedy=f"set air_cooling_kw for rack {rack.name} in the site file")
    loads = [("air", rack.air_heat_kw, rack.air_cooling_kw)]
    if rack.liquid_heat_kw:
        loads.append(("liquid", rack.liquid_heat_kw, rack.liquid_cooling_kw))
    observed = {medium: _heat(heat) for medium, heat, _ in loads}
    expected = {medium: f"at most {capacity:.1f} kW" for medium, _, capacity in loads}
    projected = " (projected)" if rack.projected else ""
    worst = PASS
    words = []
    for medium, heat, capacity in loads:
        used = heat / capacity if capacity else float("inf")
        words.append(f"{medium} {heat:.1f} kW of {capacity:.1f} kW")
        if used > 1:
            worst = FAIL
        elif used > warn_fraction and worst == PASS:
            worst = WARN
    message = f"worst-case heat{projected}: " + ", ".join(words)
    remedy = {FAIL: "add cooling (in-row units, rear-door heat exchangers, liquid) or move nodes to another rack",
              WARN: "confirm the cooling capacity with facilities before the rack fills", PASS: ""}[worst]
    return Finding(ID, worst, subject, observed, expected, message, remedy)


def _heat(kw):
    return f"{kw:.1f} kW ({kw * BTU_PER_H_PER_KW:,.0f} BTU/h)"
