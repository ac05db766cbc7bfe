"""Runs one load phase: a backend burning the GPUs, a sampler thread reading NVML, progress, stopping.

The result is the facts' `load` object (facts v1): `backend`, `seconds`
(asked for), `interval_s`, `samples` (`t` in seconds from the start, `gpu`,
power, temperatures, SM clock, clock event reasons, PCIe link generation and
width), `errors`, plus `counters` (`start` and `end`: per GPU, `t`, the PCIe
replay counter and each NVLink's error counters, read as the burn starts and
after it stops, so the checks judge what the load added), plus
`chassis` (`t`, `power_w`: the BMC's reading of the whole node, where
readable; `chassis_source` says whether ipmitool or Redfish gave it,
`chassis_unavailable` why it could not be read), `power_peaks` (each GPU's
and the node's millisecond peak from NVML's sample buffer, transients.py), and
`elapsed_s` and `status`: "completed", "interrupted" (Ctrl-C),
"backend_failed" (it exited early or failed: itself a finding) or
"unavailable" (no backend, no NVML or no GPU: the load checks say
`unknown` with `reason`).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

from readycheck.load.backends import Backend, LoadUnavailable, Running, choose
from readycheck.load.chassis import ChassisPower
from readycheck.load.transients import PowerPeaks
from readycheck.probes import ProbeContext
from readycheck.probes import nvml as nvml_probe
from readycheck.probes.nvml_backend import NvmlUnavailable

# A backend that ends within this share of the asked duration ended on time (gpu_burn and dcgmi
# round their durations); earlier than that, it died.
ON_TIME = 0.9
# How long a backend may run past the asked duration (DCGM checks the GPUs before it loads them)
# before the phase stops it.
LATE_S = 60.0
Progress = Callable[[float, float, list], None]


def run(ctx: ProbeContext, seconds: int, backend_name: str = "auto", interval: float = 1.0,
        progress: Progress | None = None, start: Callable[[Backend, int], Running] | None = None) -> dict[str, Any]:
    """Burn for `seconds` while sampling every `interval`; never raises for a missing backend or GPU."""
    load: dict[str, Any] = {"backend": None, "seconds": seconds, "interval_s": interval, "elapsed_s": 0.0,
                            "status": "unavailable", "reason": None, "samples": [], "chassis": [],
                            "chassis_unavailable": None, "chassis_source": None, "counters": {"start": [], "end": []},
                            "errors": []}
    try:
        backend = choose(backend_name)
        load["backend"] = backend.name
        with nvml_probe.session(ctx) as gpus:
            if not gpus:
                load["reason"] = "NVML found no GPU"
                return load
            running = (start or _start)(backend, seconds)
            chassis = ChassisPower(ctx)
            try:
                _burn(load, running, gpus, chassis, seconds, interval, progress)
            finally:
                running.close()
                chassis.close()
    except LoadUnavailable as exc:
        load["reason"] = str(exc)
    except NvmlUnavailable as exc:
        load["reason"] = f"NVML not available: {exc}"
    return load


def _start(backend: Backend, seconds: int) -> Running:
    return Running(backend.command(seconds))


def _burn(load: dict[str, Any], running: Running, gpus: list, chassis: ChassisPower, seconds: int,
          interval: float, progress: Progress | None) -> None:
    began = time.monotonic()
    stop = threading.Event()
    samples: list[dict[str, Any]] = load["samples"]
    peaks = PowerPeaks(gpus)

    def read_counters(when: str) -> None:
        t = round(time.monotonic() - began, 3)
        load["counters"][when] = [{"t": t, **nvml_probe.counters(gpu)} for gpu in gpus]

    read_counters("start")

    def sampler() -> None:
        while not stop.is_set():
            tick = time.monotonic()
            t = round(tick - began, 3)
            for gpu in gpus:
                samples.append({"t": t, **nvml_probe.sample(gpu)})
            peaks.read()
            watts = chassis.read()
            if watts is not None:
                load["chassis"].append({"t": t, "power_w": watts})
            stop.wait(max(0.0, interval - (time.monotonic() - tick)))

    thread = threading.Thread(target=sampler, name="load-sampler", daemon=True)
    thread.start()
    load["status"] = "completed"
    try:
        while True:
            elapsed = time.monotonic() - began
            if progress is not None:
                progress(elapsed, seconds, samples[-len(gpus):])
            code = running.poll()
            if code is not None:
                if code != 0 or elapsed < ON_TIME * seconds:
                    load["status"] = "backend_failed"
                    load["errors"].append(f"{load['backend']} exited with status {code} after {elapsed:.0f} s: "
                                          f"{running.tail() or 'no output'}")
                break
            if elapsed >= seconds + LATE_S:  # ran well past its time: stop it, the run is complete
                break
            time.sleep(min(interval, 0.5))
    except KeyboardInterrupt:
        load["status"] = "interrupted"
        load["errors"].append(f"interrupted after {time.monotonic() - began:.0f} s")
    finally:
        stop.set()
        thread.join(interval + 10)
        running.stop()
        read_counters("end")
        load["elapsed_s"] = round(time.monotonic() - began, 1)
        load["chassis_unavailable"] = chassis.unavailable
        load["chassis_source"] = chassis.source if load["chassis"] else None
        load["power_peaks"] = peaks.facts()
