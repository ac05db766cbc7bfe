"""load.throttle: no GPU slowed down for heat or power protection while under load.

At idle a GPU has no reason to throttle; at full power the cooling and the
power delivery are tested for real. Any sample of the load phase with
hardware slowdown, hardware thermal slowdown, the power brake or software
thermal slowdown fails the GPU, naming the reasons seen and in how many
samples. `sw_power_cap` is expected at full load (the GPU is at its limit) and
passes. Without a load phase this check is `skip`.

Reasons that could not be read (NotSupported included) are `unknown`. MIG does not change
them, which are the whole GPU's.
"""

from __future__ import annotations

from collections import Counter

from readycheck.catalogue.clock_events import FAULTS, MEANING, REMEDY
from readycheck.checks import Setting
from readycheck.checks.lib.load import no_sample, samples_by_gpu
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "load.throttle"
SETTINGS = {"fail_reasons": Setting("list[str]", list(FAULTS), "clocks event reasons that fail a GPU during the "
                                                                "load phase")}


def check(facts, settings):
    ended, per_gpu = samples_by_gpu(ID, facts)
    yield from ended
    fail_reasons = settings["fail_reasons"]
    for index in sorted(per_gpu):
        samples = per_gpu[index]
        if not samples:
            yield no_sample(ID, index)
            continue
        read = [s["clocks_event_reasons"] for s in samples if s.get("clocks_event_reasons") is not None]
        subject = f"gpu{index}"
        if not read:
            yield Finding(ID, UNKNOWN, subject, message="clocks event reasons unreadable during the load phase",
                          remedy="read `nvidia-smi -q -d PERFORMANCE` under load")
            continue
        seen = Counter(reason for reasons in read for reason in reasons if reason in fail_reasons)
        if seen:
            words = "; ".join(f"{reason} in {count} of {len(read)} samples ({MEANING.get(reason, 'unknown')})"
                              for reason, count in seen.most_common())
            steps = dict.fromkeys(step for reason in seen for step in REMEDY.get(reason, ()))
            yield Finding(ID, FAIL, subject, dict(seen), f"none of {', '.join(fail_reasons)}", words,
                          "; ".join(steps))
        else:
            capped = sum(1 for reasons in read if "sw_power_cap" in reasons)
            yield Finding(ID, PASS, subject, message=f"no throttling in {len(read)} samples"
                          + (f" (at its power cap in {capped}, as expected at full load)" if capped else ""))
