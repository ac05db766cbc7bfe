"""Millisecond power peaks during the load phase, from the samples NVML keeps for each GPU.

Power caps act on averages: a GPU capped at 700 W still draws millisecond spikes above it, and a PSU
or a breaker trips on the spike, not on the one-second reading the sampler takes. NVML keeps a
buffer of recent total-power samples per GPU (`nvmlDeviceGetSamples` with NVML_TOTAL_POWER_SAMPLES,
"higher frequency data at lower polling cost"); the load phase drains it every interval. Kept for the
facts (`load.power_peaks`):

- each GPU's highest sample (`gpus[].peak_w`) and how many samples it had;
- `node_peak_w`: the highest sum across GPUs over aligned windows of `window_ms`. The window is the
  largest of the GPUs' median sample spacings (at least 1 ms), so each GPU has about one sample per
  window; in each window a GPU counts with its highest sample there, else its latest before, and only
  windows where every GPU has a value count. Coincident spikes add up; spikes on different GPUs at
  different moments do not.

NVML documents neither the sample rate nor the unit of the values; the buffer of a few hundred
samples is drained each interval, and the values are taken as milliwatts, as nvmlDeviceGetPowerUsage
returns them. The samples in the buffer when the phase starts (before the load) are skipped. A GPU
whose driver keeps no power samples (NotSupported, an old driver's FunctionNotFound) has no peak,
with the reason; the node's peak then is null with that reason too.
"""

from __future__ import annotations

import statistics
from array import array
from typing import Any

from readycheck.facts import Unreadable
from readycheck.probes import nvml as nvml_probe

MIN_WINDOW_US = 1000


class PowerPeaks:
    def __init__(self, gpus: list) -> None:
        self.gpus = gpus
        self.since: dict[int, int | None] = {gpu.index: None for gpu in gpus}
        self.stamps = {gpu.index: array("q") for gpu in gpus}
        self.watts = {gpu.index: array("d") for gpu in gpus}
        self.unavailable: dict[int, str] = {}

    def read(self) -> None:
        """Drain each GPU's sample buffer (the sampler thread calls this every interval)."""
        for gpu in self.gpus:
            if gpu.index in self.unavailable:
                continue
            since = self.since[gpu.index]
            try:
                found = nvml_probe.power_samples(gpu, since or 0)
            except Unreadable as exc:
                self.unavailable[gpu.index] = exc.reason
                continue
            if since is None:  # what the buffer held before the load started
                self.since[gpu.index] = max((stamp for stamp, _ in found), default=0)
                continue
            for stamp, watts in found:
                self.stamps[gpu.index].append(stamp)
                self.watts[gpu.index].append(watts)
            if found:
                self.since[gpu.index] = max(stamp for stamp, _ in found)

    def facts(self) -> dict[str, Any]:
        gpus = []
        for gpu in self.gpus:
            entry = {"gpu": gpu.index, "peak_w": max(self.watts[gpu.index], default=None),
                     "samples": len(self.watts[gpu.index]), "unavailable": {}}
            if entry["peak_w"] is None:
                entry["unavailable"]["peak_w"] = self.unavailable.get(gpu.index, "NoData")
            gpus.append(entry)
        result: dict[str, Any] = {"window_ms": None, "node_peak_w": None, "gpus": gpus, "unavailable": {}}
        missing = [g for g in gpus if g["peak_w"] is None]
        if missing or not gpus:
            why = missing[0]["unavailable"]["peak_w"] if missing else "NoData"
            result["unavailable"].update(window_ms=why, node_peak_w=why)
            return result
        window = self._window_us()
        result["window_ms"] = round(window / 1000, 3)
        result["node_peak_w"] = round(self._node_peak(window), 1)
        return result

    def _window_us(self) -> int:
        spacings = []
        for stamps in self.stamps.values():
            ordered = sorted(stamps)
            gaps = [b - a for a, b in zip(ordered, ordered[1:]) if b > a]
            if gaps:
                spacings.append(statistics.median(gaps))
        return max([MIN_WINDOW_US, *spacings])

    def _node_peak(self, window: int) -> float:
        per_window: dict[int, dict[int, float]] = {}
        for index in self.stamps:
            for stamp, watts in zip(self.stamps[index], self.watts[index]):
                slot = per_window.setdefault(stamp // window, {})
                slot[index] = max(slot.get(index, 0.0), watts)
        held: dict[int, float] = {}
        peak = 0.0
        for slot in sorted(per_window):
            held.update(per_window[slot])
            if len(held) == len(self.stamps):
                peak = max(peak, sum(held.values()))
        return peak
