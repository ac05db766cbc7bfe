"""load.node_power: the node's peak GPU draw under load fits the worst case the rack budget assumes.

The rack budget counts each node at its worst case (the pack's nameplate
maximum, else its GPUs' enforced limits plus platform overhead). If the GPUs
and the rest of the node drew more than that under load, the budget is wrong.
With a site file, the node's peak is also compared with its share of its
rack's budget (the rack's usable kW divided by the nodes it holds). The
node's draw is the BMC's reading of the whole chassis (`ipmitool dcmi power
reading`, else over Redfish with `--bmc`, sampled with the GPUs) where it
could be read; otherwise the sum of
the GPUs' readings at each sampling instant, which leaves out the CPUs and
fans, and the finding says so and why.

Power caps do not stop millisecond spikes, and a PSU or a breaker trips on the spike, not on the
one-second average. Where the load phase read NVML's power-sample buffer (`load.power_peaks`), the
node's transient peak (the GPUs' highest coincident sum over aligned windows, plus the pack's
`overhead_w` for the rest of the node when it sets one) is held against what feeds the node: the
healthy PSUs' summed capacity (from the BMC, where it gives them) and, with a site file, the node's
share of its rack's budget. A transient above either fails; with neither known the finding reports
the peak. Without a load phase this check is `skip`.

A GPU whose draw was not read (NotSupported included) makes the GPU-sum reading `unknown`,
unless the GPUs read already exceed a limit. MIG does not change the draw, the whole GPU's.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from readycheck.budget import node_worst_case, rack_capacity_kw
from readycheck.checks.lib.load import samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "load.node_power"
SETTINGS: dict = {}
NEEDS = ("platform", "site")
REMEDY = "check the GPUs' enforced limits against the pack and the rack's feeds before the node takes jobs"


def check(facts, settings, platform=None, site=None):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    if ended:
        return
    load = facts["load"]
    chassis = [c["power_w"] for c in load.get("chassis") or [] if c.get("power_w") is not None]
    totals: dict[float, float] = defaultdict(float)
    read: dict[float, set] = defaultdict(set)
    for index, samples in per_gpu.items():
        for item in samples:
            if item.get("power_draw_w") is not None:
                totals[round(item["t"], 1)] += item["power_draw_w"]
                read[round(item["t"], 1)].add(index)
    # An instant at which a GPU's draw was not read sums less than the node drew: only whole instants count,
    # unless even a partial sum is over a limit (then the fault is certain).
    whole = {t: watts for t, watts in totals.items() if read[t] == set(per_gpu)}
    if chassis:
        over = " over Redfish" if load.get("chassis_source") == "redfish" else ""
        peak_w, source = max(chassis), f"Chassis (BMC reading{over})"
    elif totals:
        peak_w = max(whole.values()) if whole else max(totals.values())
        source = (f"GPUs together (GPU readings only, CPUs and fans not included: BMC reading "
                  f"{load.get('chassis_unavailable') or 'not taken'})")
        if not whole:
            source += f"; at no sampling instant was every GPU's draw read (read: {_unread_gpus(per_gpu)})"
    else:
        yield Finding(ID, UNKNOWN, "host", message="no power reading during the load phase",
                      remedy="read `nvidia-smi -q -d POWER` under load")
        return
    draw = node_worst_case(facts, platform or {})
    limits = []
    if draw.watts is not None:
        limits.append((draw.watts, f"worst case {draw.watts:.0f} W ({draw.basis})"))
    rack = site.rack_of(facts["host"].get("hostname") or "") if site else None
    share = None
    if rack is not None and rack.expected_nodes:
        watts = rack_capacity_kw(rack) * 1000 / rack.expected_nodes
        share = (watts, f"rack {rack.name}'s budget per node {watts:.0f} W")
        limits.append(share)
    if not limits:
        yield Finding(ID, UNKNOWN, "host", f"{peak_w:.0f} W", message=f"{source} peaked at {peak_w:.0f} W, nothing "
                      f"to compare it with ({draw.basis})", remedy="set [platform] in the rule pack or pass --site")
        return
    over = [words for watts, words in limits if peak_w > watts]
    expected = "; ".join(words for _, words in limits)
    message = f"{source} peaked at {peak_w:.0f} W" + (f", above {'; '.join(over)}" if over else "")
    observed = f"{peak_w:.0f} W"
    spike = _transient(load, facts, platform or {}, share)
    if spike is not None:
        observed += f" (transient {spike.watts:.0f} W)"
        message += f"; {spike.message}"
        expected += f"; transient: {spike.expected}" if spike.expected else ""
    if over or (spike is not None and spike.over):
        yield Finding(ID, FAIL, "host", observed, expected, message, REMEDY)
    elif not chassis and not whole:
        yield Finding(ID, UNKNOWN, "host", observed, expected, message,
                      "read `nvidia-smi -q -d POWER` under load, or let readycheck read the BMC (ipmitool as root, "
                      "or --bmc)")
    else:
        yield Finding(ID, PASS, "host", observed, expected, message)


class Transient(NamedTuple):
    watts: float
    message: str
    expected: str
    over: bool


def _transient(load, facts, platform, rack_share: tuple[float, str] | None) -> Transient | None:
    """The node's millisecond peak against the healthy PSUs and the rack share; None when not read."""
    peaks = load.get("power_peaks") or {}
    node_peak = peaks.get("node_peak_w")
    if node_peak is None:
        return None
    overhead = float(platform.get("overhead_w", 0.0))
    watts = node_peak + overhead
    basis = (f"GPUs' coincident peak {node_peak:.0f} W over {peaks.get('window_ms'):g} ms windows"
             + (f" + overhead {overhead:.0f} W" if overhead else ", the rest of the node not counted"))
    limits = []
    psus = facts["host"].get("psus") or []
    healthy = [p.get("capacity_w") for p in psus if p.get("present") is not False and p.get("ok") is not False]
    if healthy and None not in healthy:
        limits.append((sum(healthy), f"the {len(healthy)} healthy PSUs' {sum(healthy):.0f} W"))
    if rack_share is not None:
        limits.append(rack_share)
    over = [words for limit, words in limits if watts > limit]
    said = f"transient peak {watts:.0f} W ({basis})"
    if over:
        said += f", above {'; '.join(over)}"
    elif not limits:
        said += ", no PSU capacity or rack budget to hold it against"
    return Transient(watts, said, "; ".join(words for _, words in limits), bool(over))


def _unread_gpus(per_gpu):
    """Which GPUs' draw was never read, in words."""
    unread = [f"gpu{index}" for index, samples in sorted(per_gpu.items())
              if all(item.get("power_draw_w") is None for item in samples)]
    return f"no draw from {' '.join(unread)}" if unread else "each GPU at other instants"
