"""Temperature headroom, at idle (thermal.margin) and at the peak of the load phase (load.thermal_margin).

Two margins per GPU: the GPU's temperature below its slowdown threshold, and its memory's temperature
below the memory maximum. A margin that is read and short fails, whatever else is unread. The memory
margin is left out, with a note, where the GPU has no memory sensor (NotSupported on a pack that does
not say its GPUs have one) or its driver publishes the memory limit only as a T.Limit offset
(`expects.OPTIONAL_FIELDS`); any other value not read is `unknown`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from readycheck.catalogue.clock_events import COOLING
from readycheck.checks.lib import expects
from readycheck.checks.lib.unread import reason
from readycheck.facts import NOT_SUPPORTED
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding


class Reading(NamedTuple):
    """A temperature and, when it is None, the reason word it was not read for."""

    value: float | None
    why: str = ""


def judge_margins(check_id: str, subject: str, readings: dict[str, Reading], minimums: dict[str, float],
                  features: frozenset[str] | None, remedy: str = COOLING, at: str = "") -> Finding:
    """`readings`: gpu, slowdown, memory, memory_max; `minimums`: gpu_margin_c, memory_margin_c; `at`:
    how the temperatures were taken, for the message ("peaked at ")."""
    gpu, slowdown, memory, memory_max = (readings[name] for name in ("gpu", "slowdown", "memory", "memory_max"))
    margins, parts, unread, notes = {}, [], [], []
    if gpu.value is not None and slowdown.value is not None:
        margins["gpu_margin_c"] = slowdown.value - gpu.value
        parts.append(f"GPU {at}{gpu.value:g} °C, slowdown at {slowdown.value:g} °C")
    else:
        unread += [f"{name} unavailable ({reading.why})" for name, reading in
                   (("temperature_gpu_c", gpu), ("temperature_slowdown_c", slowdown)) if reading.value is None]
    if memory.value is not None and memory_max.value is not None:
        margins["memory_margin_c"] = memory_max.value - memory.value
        parts.append(f"memory {at}{memory.value:g} °C, max {memory_max.value:g} °C")
    elif memory.why == NOT_SUPPORTED and not expects.has(features, expects.MEMORY_TEMPERATURE):
        notes.append("no memory temperature sensor (NotSupported)")
    elif memory.value is None:
        unread.append(f"temperature_memory_c unavailable ({memory.why})")
    elif memory_max.why == NOT_SUPPORTED:
        notes.append(f"memory margin not judged: {expects.OPTIONAL_FIELDS['temperature_memory_max_c']}")
    else:
        unread.append(f"temperature_memory_max_c unavailable ({memory_max.why})")
    expected = {name: f">= {minimums[name]:g}" for name in ("gpu_margin_c", "memory_margin_c")}
    short = [f"{name} {margin:g} °C < {minimums[name]:g}"
             for name, margin in margins.items() if margin < minimums[name]]
    said = "; ".join(parts + notes)
    if short:
        also = f"; also {'; '.join(unread)}" if unread else ""
        return Finding(check_id, FAIL, subject, margins, expected,
                       f"too little headroom: {', '.join(short)} ({said}){also}", remedy)
    if unread:
        return Finding(check_id, UNKNOWN, subject, margins, expected, "; ".join(unread),
                       "read the temperatures by hand (`nvidia-smi -q -d TEMPERATURE`) and re-run readycheck as root")
    return Finding(check_id, PASS, subject, margins, expected, said)


def reading(obj: dict[str, Any], field: str) -> Reading:
    """A field of a facts object as a Reading."""
    value = obj.get(field)
    return Reading(value, "" if value is not None else reason(obj, field))
