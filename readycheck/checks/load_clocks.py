"""load.clocks: under load, each GPU sustained its SM clock near the maximum.

Throttle reasons tell why a clock dropped; this tells how far. The SM clock
is taken as sustained over the second half of the load phase (its median
there, after the GPU has warmed up) and must be at least `min_share` of the
GPU's maximum SM clock. A GPU well below its peers at the same power is
usually cooled worse or has a power-delivery fault. Without a load phase this
check is `skip`.

A clock that could not be read (NotSupported included) is `unknown`. MIG: the load phase
burns whole GPUs; a GPU it could not sample is `unknown`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "load.clocks"
SETTINGS = {"min_share": Setting("float", 0.75, "share of the maximum SM clock to sustain under load", high=1)}


def check(facts, settings):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    maxima = {g["index"]: g.get("clocks_max_sm_mhz") for g in facts["gpus"]}
    share = settings["min_share"]
    for index in sorted(per_gpu):
        subject = f"gpu{index}"
        samples = per_gpu[index]
        if not samples:
            yield no_sample(ID, index)
            continue
        second_half = samples[len(samples) // 2:]
        clocks = [s["clocks_sm_mhz"] for s in second_half if s.get("clocks_sm_mhz") is not None]
        maximum = maxima.get(index)
        if not clocks or not maximum:  # a maximum of 0 MHz is no reading either
            yield Finding(ID, UNKNOWN, subject, message="SM clock under load or maximum SM clock unavailable",
                          remedy="read `nvidia-smi -q -d CLOCK` under load")
            continue
        import statistics  # here, not at import: only a node with load samples needs it, and it is slow to import

        sustained = statistics.median(clocks)
        observed, expected = f"{sustained:.0f} MHz", f"at least {share * maximum:.0f} MHz ({share:.0%} of {maximum:g})"
        if sustained < share * maximum:
            yield Finding(ID, FAIL, subject, observed, expected,
                          f"sustained {sustained:.0f} MHz, {sustained / maximum:.0%} of its {maximum:g} MHz maximum",
                          "compare with load.throttle and load.thermal_margin; check cooling and the power limit")
        else:
            yield Finding(ID, PASS, subject, observed, expected, f"sustained {sustained / maximum:.0%} of maximum")
