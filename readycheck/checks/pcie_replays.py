"""pcie.replays: no GPU's PCIe link replays more than DCGM allows under load, nor has many since the driver loaded.

A replay is a PCIe packet the link sent again because the other end got it
corrupted: a few are normal, a steady stream means a bad slot, riser, cable
or retimer, and slows every transfer to and from the GPU. DCGM's health
watch (DCGM 3.3.8 and later, modules/health/DcgmHealthWatch.cpp) allows a
rate that follows from a bit error rate of 1e-12 at the link's generation and
width: ceil(generation's Gbps per lane x 1e-12 x 1e9 x 60 x lanes) a minute,
8 a minute for Gen3 x16, 16 for Gen4 x16, 31 for Gen5 x16 (older DCGM: 8 a
minute whatever the link, which applies here too where the link under load
was not read).

Under `--load` the load phase reads each GPU's replay counter as the burn
starts and after it stops: more replays a minute than that limit (for the
widest link seen under load, or `max_per_minute` where the pack sets it)
fails. At idle the counter holds everything since the driver loaded or the
GPU was reset, so it is history: more than `max_since_reset` warns, never
fails (run `--load` to judge the rate). A counter that could not be read is
`unknown`, at idle and under load; NotSupported is unknown too (every GPU
counts replays). MIG does not change the counter, which is the whole GPU's.
"""

from __future__ import annotations

import math
from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.load import counter_pairs, loaded_links, with_history
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject

ID = "pcie.replays"
SETTINGS = {
    "max_since_reset": Setting("int", 80, "replays since the driver loaded or the GPU was reset above which a GPU "
                                          "warns (at idle)"),
    "max_per_minute": Setting("float", None, "replays a minute under load above which a GPU fails; unset: DCGM's "
                                             "limit for the link's generation and width"),
}

# DCGM's per-lane replay rate a minute at each PCIe generation: Gbps per lane x 1e-12 (bit error rate) x 1e9 x 60
# (NVIDIA/DCGM modules/health/DcgmHealthWatch.cpp, pcieGenReplayRatePerLane, DCGM 3.3.8 and later).
PER_LANE_PER_MINUTE = {1: 2.5 / 1000 * 60, 2: 5.0 / 1000 * 60, 3: 8.0 / 1000 * 60, 4: 16.0 / 1000 * 60,
                       5: 32.0 / 1000 * 60, 6: 64.0 / 1000 * 60}
# Before DCGM 3.3.8 (common/DcgmGPUHardwareLimits.h): "8 replays per minute is the maximum recommended by RM".
DCGM_LEGACY_PER_MINUTE = 8
RESEAT = ("reseat the GPU and its riser or cable (check `lspci -vv` for corrected errors), then re-run `--load`; "
          "if it persists, run `dcgmi diag -r pcie` and call the platform vendor")


def dcgm_limit(gen: int | None, width: int | None) -> int:
    """DCGM's replays a minute for a link of this generation and width (8 when either is unknown)."""
    if gen not in PER_LANE_PER_MINUTE or not width:
        return DCGM_LEGACY_PER_MINUTE
    return math.ceil(PER_LANE_PER_MINUTE[gen] * width)


def check(facts, settings):
    pairs = counter_pairs(facts)
    yield from per_gpu(ID, facts, (), partial(_judge, settings, pairs, loaded_links(facts)))


def _judge(settings, pairs, links, gpu):
    idle = _idle(settings["max_since_reset"], gpu)
    if pairs is None:
        return idle
    return with_history(_loaded(settings, pairs.get(gpu["index"]), gpu, links[gpu["index"]]), idle)


def _idle(limit, gpu):
    """The count since the driver loaded, against the pack's figure: warn above it, never fail."""
    subject, lifetime = gpu_subject(gpu), gpu.get("pcie_replay_counter")
    if lifetime is None:
        return Finding(ID, UNKNOWN, subject, message=missing(gpu, "pcie_replay_counter"), remedy=READ_BY_HAND)
    expected = f"<= {limit} since the driver loaded"
    if lifetime > limit:
        return Finding(ID, WARN, subject, lifetime, expected, f"{lifetime} replays since the driver loaded, more "
                       f"than {limit}",
                       "judge the rate under load: `readycheck scan --load 300`; " + RESEAT)
    return Finding(ID, PASS, subject, lifetime, expected, f"{lifetime} replays since the driver loaded")


def _loaded(settings, pair, gpu, link):
    """The finding on the replays the load phase added, against the limit for the `link` (generation, width)
    reached under load."""
    subject = gpu_subject(gpu)
    if pair is None:
        return Finding(ID, UNKNOWN, subject, message="the replay counter was not read at the start and the end of "
                       "the load phase", remedy="re-run `readycheck scan --load` with this readycheck")
    start, end, minutes = pair.start.get("pcie_replay_counter"), pair.end.get("pcie_replay_counter"), pair.seconds / 60
    if start is None or end is None:
        why = missing(pair.start, "pcie_replay_counter") or missing(pair.end, "pcie_replay_counter")
        return Finding(ID, UNKNOWN, subject, message=f"under load: {why}", remedy=READ_BY_HAND)
    if end < start or minutes <= 0:
        return Finding(ID, UNKNOWN, subject, {"start": start, "end": end}, message="the replay counter went down "
                       "during the load phase (a GPU reset?)", remedy="re-run the load phase")
    rate = (end - start) / minutes
    gen, width = link
    allowed = settings["max_per_minute"]
    basis = "the rule pack's limit" if allowed is not None else f"DCGM's limit for Gen{gen} x{width}" \
        if gen and width else "DCGM's older fixed limit: the link under load was not read"
    if allowed is None:
        allowed = dcgm_limit(gen, width)
    observed = {"replays": end - start, "seconds": round(pair.seconds, 1), "per_minute": round(rate, 2)}
    expected = f"<= {allowed:g} a minute ({basis})"
    words = f"{end - start} replays in {pair.seconds:.0f} s under load, {rate:.1f} a minute"
    if rate > allowed:
        return Finding(ID, FAIL, subject, observed, expected, f"{words}, above {allowed:g} ({basis})", RESEAT)
    return Finding(ID, PASS, subject, observed, expected, words)
