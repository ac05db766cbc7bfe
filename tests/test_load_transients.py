"""Millisecond power peaks in the load phase: NVML's sample buffer read through the backend and the probe,
aggregated per GPU and per node, and judged by load.node_power against the PSUs and the rack's feed.

No public capture of nvmlDeviceGetSamples output was found: the samples here are made up, in the shape the NVML
header gives (CPU timestamps in µs, unsigned values; milliwatts inferred, as the module docstrings say).
"""

from __future__ import annotations

import copy
import sys
import time

import fake_nvml
import pynvml
import pytest
from factsbuilder import hgx_h100
from test_load import loaded  # the load checks' healthy sampled facts

from readycheck.checks import load_node_power
from readycheck.facts.schema import validate
from readycheck.load import runner
from readycheck.load.backends import Backend, Running
from readycheck.load.transients import PowerPeaks
from readycheck.probes import ProbeContext, nvml_backend
from readycheck.probes import nvml as nvml_probe
from readycheck.probes.nvml_backend import GuardedNvml, PynvmlBackend
from readycheck.site import Feed, Rack, Site


def test_the_backend_turns_pynvmls_samples_into_timestamp_value_pairs(monkeypatch):
    def get_samples(handle, sampling_type, since):
        assert sampling_type == pynvml.NVML_TOTAL_POWER_SAMPLES == nvml_probe.NVML_TOTAL_POWER_SAMPLES
        raw = (pynvml.c_nvmlSample_t * 2)()
        raw[0].timeStamp, raw[0].sampleValue.uiVal = 1_700_000_000_000_000, 689_500
        raw[1].timeStamp, raw[1].sampleValue.uiVal = 1_700_000_000_020_000, 912_250
        return pynvml.NVML_VALUE_TYPE_UNSIGNED_INT, raw[0:2]  # what nvidia-ml-py returns

    monkeypatch.setattr(nvml_backend, "library_loads", lambda: True)  # as on a GPU node
    monkeypatch.setattr(pynvml, "nvmlInit", lambda: None)
    monkeypatch.setattr(pynvml, "nvmlDeviceGetSamples", get_samples)
    backend = PynvmlBackend()
    backend.init()
    assert backend.call("nvmlDeviceGetSamples", "handle", 0, 0) == [
        (1_700_000_000_000_000, 689_500), (1_700_000_000_020_000, 912_250)]


def _gpu(nvml, index=0):
    guarded = GuardedNvml(nvml)
    guarded.init()
    return nvml_probe._Gpu(guarded, index, fake_nvml.FakeHandle(index))


def test_the_probe_gives_watts_newer_than_asked_and_no_sample_is_empty():
    nvml = fake_nvml.hgx_h100_8gpu()
    nvml.set("nvmlDeviceGetSamples", lambda kind, since: [(100, 650_000), (120, 1_020_000)])
    assert nvml_probe.power_samples(_gpu(nvml), 100) == [(120, 1020.0)]
    nvml.set("nvmlDeviceGetSamples", fake_nvml.Unreadable("NotFound", "no sample"))
    assert nvml_probe.power_samples(_gpu(nvml), 0) == []


class Buffer:
    """One GPU's sample buffer filling as time goes on: each read returns what arrived since the last."""

    def __init__(self, samples):
        self.samples = list(samples)
        self.reads = 0

    def __call__(self, kind, since):
        self.reads += 1
        return [s for s in self.samples[: self.reads * 5] if s[0] > since]


def peaks_of(buffers, reads=10):
    nvml = fake_nvml.hgx_h100_8gpu()
    gpus = []
    for index, buffer in enumerate(buffers):
        nvml.set("nvmlDeviceGetSamples", buffer, gpu=index)
        gpus.append(_gpu(nvml, index))
    peaks = PowerPeaks(gpus)
    for _ in range(reads):
        peaks.read()
    return peaks.facts()


def test_each_gpus_peak_and_the_node_peak_over_aligned_windows():
    # Two GPUs sampled every 20 ms at 650 W. GPU 0 spikes to 1,050 W at 200 ms; GPU 1 to 1,000 W at 200 ms (the same
    # window: they add up) and to 1,100 W at 400 ms, when GPU 0 is back at 650 W. The first read is the buffer
    # before the load, skipped.
    def series(spikes):
        return [(t * 1000, spikes.get(t, 650_000)) for t in range(0, 1000, 20)]

    facts = peaks_of([Buffer(series({200: 1_050_000})), Buffer(series({200: 1_000_000, 400: 1_100_000}))])
    assert facts["window_ms"] == 20.0
    assert [(g["gpu"], g["peak_w"]) for g in facts["gpus"]] == [(0, 1050.0), (1, 1100.0)]
    assert facts["node_peak_w"] == 2050.0  # 1,050 + 1,000 together; 1,100 + 650 = 1,750 at 400 ms
    assert facts["gpus"][0]["samples"] == 45  # 50 in the buffer, the 5 there before the load skipped


def test_a_driver_without_power_samples_leaves_the_peaks_null_with_the_reason():
    facts = peaks_of([Buffer([(t * 1000, 650_000) for t in range(0, 1000, 20)]),
                      fake_nvml.Unreadable("NotSupported", "no samples")])
    assert facts["gpus"][1]["peak_w"] is None and facts["gpus"][1]["unavailable"] == {"peak_w": "NotSupported"}
    assert facts["node_peak_w"] is None and facts["unavailable"]["node_peak_w"] == "NotSupported"


def test_the_load_phase_records_the_peaks_in_the_facts(monkeypatch):
    monkeypatch.setattr(runner, "choose", lambda name: Backend("fake", lambda: None, lambda seconds: []))
    def live(kind, since):  # a sample every 10 ms, the buffer holding the last 200 ms
        now = int(time.time() * 1e6)
        first = max(since + 1, now - 200_000)
        return [(t, 700_000) for t in range(first - first % 10_000 + 10_000, now, 10_000)]

    nvml = fake_nvml.hgx_h100_8gpu()
    nvml.set("nvmlDeviceGetSamples", live)
    load = runner.run(ProbeContext(nvml_backend=lambda: nvml), 0.5, interval=0.1,
                      start=lambda backend, seconds: Running([sys.executable, "-c", "import time; time.sleep(0.5)"]))
    peaks = load["power_peaks"]
    assert len(peaks["gpus"]) == 8 and peaks["unavailable"] == {} and peaks["window_ms"] == 10.0
    assert peaks["node_peak_w"] == 5600.0 and all(g["samples"] >= 20 for g in peaks["gpus"])
    facts = hgx_h100()
    facts["load"] = load
    assert validate(facts) == []


# ---- load.node_power with the transient ----------------------------------------------------------

def with_peaks(node_peak_w, psus=None):
    facts = loaded()
    facts["load"]["power_peaks"] = {"window_ms": 20.0, "node_peak_w": node_peak_w, "unavailable": {},
                                     "gpus": [{"gpu": g, "peak_w": node_peak_w / 8, "samples": 500, "unavailable": {}}
                                              for g in range(8)]}
    if psus is not None:
        facts["host"]["psus"] = [{"name": f"PSU{n}", "present": True, "ok": n != 5, "capacity_w": 3300.0}
                                 for n in range(psus)]
    return facts


def node_power(facts, site=None, platform=None):
    [finding] = load_node_power.check(copy.deepcopy(facts), {}, platform=platform or {"nameplate_max_w": 10200},
                                      site=site)
    return finding


def test_a_transient_within_the_psus_passes_and_is_reported():
    finding = node_power(with_peaks(7400.0, psus=6))  # 5 healthy x 3.3 kW = 16.5 kW
    assert finding.status == "pass" and finding.observed == "5520 W (transient 7400 W)"
    assert "transient peak 7400 W (GPUs' coincident peak 7400 W over 20 ms windows, the rest of the node not " \
           "counted)" in finding.message
    assert "the 5 healthy PSUs' 16500 W" in finding.expected


def test_a_transient_above_the_healthy_psus_fails_though_the_average_fits():
    finding = node_power(with_peaks(9000.0, psus=4), platform={"nameplate_max_w": 10200, "overhead_w": 4600})
    # 4 healthy PSUs (13.2 kW) against 9,000 W of GPU spikes + 4,600 W for the rest of the node
    assert finding.status == "fail" and finding.message.endswith(
        "transient peak 13600 W (GPUs' coincident peak 9000 W over 20 ms windows + overhead 4600 W), above the 4 "
        "healthy PSUs' 13200 W")
    assert finding.message.startswith("GPUs together (GPU readings only") and "5520 W;" in finding.message


def test_a_transient_above_the_racks_share_fails():
    site = Site("DC1", "site.toml", racks=(Rack("B07", ("gpu-b07-*",), (Feed("A", 415, 32, 3),), node_count=3),))
    finding = node_power(with_peaks(6100.0), site=site)  # 17.48 kW / 3 = 5,826 W per node; the 1 s peak is 5,520
    assert finding.status == "fail" and "6100 W (GPUs' coincident peak" in finding.message
    assert finding.message.endswith("above rack B07's budget per node 5827 W")


def test_without_psu_capacities_or_a_site_the_transient_is_reported_not_judged():
    finding = node_power(with_peaks(9800.0))
    assert finding.status == "pass" and "no PSU capacity or rack budget to hold it against" in finding.message


@pytest.mark.parametrize("peaks", [None, {"window_ms": None, "node_peak_w": None, "gpus": [],
                                          "unavailable": {"node_peak_w": "FunctionNotFound"}}])
def test_a_load_phase_without_peaks_is_judged_as_before(peaks):
    facts = loaded()
    if peaks is not None:
        facts["load"]["power_peaks"] = peaks
    finding = node_power(facts)
    assert finding.status == "pass" and finding.observed == "5520 W" and "transient" not in finding.message
