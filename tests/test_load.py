"""The load phase: runner with the fake NVML backend and real child processes as fake backends,
and the five load checks on sampled facts."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import fake_nvml
import pytest
from factsbuilder import hgx_h100
from machine import needs_no_gpu

from readycheck.checks import load_clocks, load_node_power, load_power_reached, load_thermal_margin, load_throttle
from readycheck.facts.schema import validate
from readycheck.load import backends, runner
from readycheck.load.backends import Backend, Running
from readycheck.probes import ProbeContext
from readycheck.site import Feed, Rack, Site

REPO = Path(__file__).resolve().parent.parent
FAKE = Backend("fake", lambda: None, lambda seconds: [])


def child(code: str):
    """A backend that is a real child process running `code` instead of burning GPUs."""
    return lambda backend, seconds: Running([sys.executable, "-c", code])


def run_load(nvml, code="import time; time.sleep(0.6)", seconds=0.6, **kwargs):
    kwargs.setdefault("start", child(code))
    return runner.run(ProbeContext(nvml_backend=lambda: nvml), seconds, interval=0.1, **kwargs)


@pytest.fixture
def fake_backend(monkeypatch):
    monkeypatch.setattr(runner, "choose", lambda name: FAKE)


def test_a_completed_run_samples_every_gpu_every_interval(fake_backend):
    nvml = fake_nvml.hgx_h100_8gpu()
    nvml.set("nvmlDeviceGetPowerUsage", 689_000)
    load = run_load(nvml)
    assert load["status"] == "completed" and load["backend"] == "fake" and load["errors"] == []
    gpus = {s["gpu"] for s in load["samples"]}
    assert gpus == set(range(8))
    per_gpu = [s for s in load["samples"] if s["gpu"] == 3]
    assert len(per_gpu) >= 4 and all(s["power_draw_w"] == 689.0 for s in per_gpu)
    assert per_gpu[0]["clocks_event_reasons"] == ["gpu_idle"] and per_gpu[0]["temperature_gpu_c"] is not None
    assert [s["t"] for s in per_gpu] == sorted(s["t"] for s in per_gpu)


def test_the_counters_are_read_as_the_burn_starts_and_after_it_stops(fake_backend):
    """The PCIe replay counter and each NVLink's error counters at both ends, and the link in every sample."""
    nvml = fake_nvml.hgx_h100_8gpu()
    replays = iter(range(100, 200))
    nvml.set("nvmlDeviceGetPcieReplayCounter", lambda: next(replays), gpu=5)
    crc = iter(range(0, 1000, 7))  # NVML_NVLINK_ERROR_DL_CRC_FLIT = 2
    nvml.set("nvmlDeviceGetNvLinkErrorCounter", lambda link, counter: next(crc) if (link, counter) == (3, 2) else 0,
             gpu=5)
    load = run_load(nvml)
    start, end = load["counters"]["start"][5], load["counters"]["end"][5]
    assert start["gpu"] == end["gpu"] == 5 and start["t"] < end["t"] <= load["elapsed_s"] + 0.1
    assert end["pcie_replay_counter"] > start["pcie_replay_counter"] >= 100
    assert len(start["nvlinks"]) == 18 and end["nvlinks"][3]["crc_errors"] > start["nvlinks"][3]["crc_errors"]
    assert {link["replay_errors"] for link in end["nvlinks"]} == {0}
    sample = next(s for s in load["samples"] if s["gpu"] == 5)
    assert (sample["pcie_link_gen_current"], sample["pcie_link_width_current"]) == (5, 16)
    facts = hgx_h100()
    facts["load"] = load
    assert validate(facts) == []


def test_a_backend_that_dies_is_recorded_with_its_last_words(fake_backend):
    load = run_load(fake_nvml.hgx_h100_8gpu(), "print('CUDA error: out of memory'); raise SystemExit(3)", seconds=5)
    assert load["status"] == "backend_failed"
    assert "exited with status 3" in load["errors"][0] and "out of memory" in load["errors"][0]
    assert load["elapsed_s"] < 5


def test_ctrl_c_stops_the_backend_and_keeps_the_samples(fake_backend):
    started = []

    def start(backend, seconds):
        started.append(Running([sys.executable, "-c", "import time; time.sleep(60)"]))
        return started[0]

    def progress(elapsed, seconds, latest):
        if elapsed > 0.3:
            raise KeyboardInterrupt

    load = run_load(fake_nvml.hgx_h100_8gpu(), seconds=60, start=start, progress=progress)
    assert load["status"] == "interrupted" and load["samples"] and load["elapsed_s"] < 30
    assert started[0].poll() is not None  # the child was stopped, not left burning


def test_stop_kills_the_whole_process_group():
    running = Running([sys.executable, "-c",
                       "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                       "'import time; time.sleep(60)']); time.sleep(60)"])
    running.stop()
    assert running.poll() is not None
    left = subprocess.run(["pgrep", "-s", str(running.process.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_no_backend_is_unavailable_with_the_reason(monkeypatch):
    monkeypatch.setattr(backends.shutil, "which", lambda name: None)
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda name: None)
    load = runner.run(ProbeContext(nvml_backend=fake_nvml.hgx_h100_8gpu), 1)
    assert load["status"] == "unavailable"
    assert "dcgmi not on PATH" in load["reason"] and "neither PyTorch nor CuPy" in load["reason"]


def test_backend_choice_prefers_dcgm_then_gpu_burn(monkeypatch):
    monkeypatch.setattr(backends.shutil, "which", lambda name: f"/usr/bin/{name}" if name == "gpu_burn" else None)
    assert backends.choose().name == "gpu_burn"
    assert backends.choose("gpu_burn").command(60) == ["gpu_burn", "60"]
    with pytest.raises(backends.LoadUnavailable, match="dcgm: dcgmi not on PATH"):
        backends.choose("dcgm")


def test_no_nvml_is_unavailable(fake_backend):
    load = run_load(fake_nvml.nvml_unavailable("Driver Not Loaded"))
    assert load["status"] == "unavailable" and "Driver Not Loaded" in load["reason"]


# ---- the checks, on facts with a load phase -------------------------------------------------

def loaded(status="completed", **per_sample):
    """Healthy HGX H100 facts after 10 samples per GPU at 690 W, 70 C, 1,755 MHz, power-capped."""
    facts = hgx_h100()
    base = {"power_draw_w": 690.0, "temperature_gpu_c": 70, "temperature_memory_c": 72, "clocks_sm_mhz": 1755,
            "clocks_event_reasons": ["sw_power_cap"]}
    facts["load"] = {"backend": "builtin", "seconds": 10, "interval_s": 1.0, "elapsed_s": 10.0, "status": status,
                     "samples": [{"t": float(t), "gpu": g, **base, **per_sample} for t in range(10) for g in range(8)],
                     "errors": []}
    return facts


def findings(module, facts, **extra):
    settings = {name: s.default for name, s in module.SETTINGS.items()}
    return {f.subject: f for f in module.check(copy.deepcopy(facts), settings, **extra)}


@pytest.mark.parametrize("module", [load_power_reached, load_throttle, load_thermal_margin, load_clocks])
def test_a_healthy_load_passes(module):
    assert {f.status for f in findings(module, loaded()).values()} == {"pass"}


@pytest.mark.parametrize("module", [load_power_reached, load_throttle, load_thermal_margin, load_clocks,
                                    load_node_power])
def test_without_a_load_phase_every_load_check_skips(module):
    extra = {"platform": {}, "site": None} if module is load_node_power else {}
    [finding] = findings(module, hgx_h100(), **extra).values()
    assert finding.status == "skip" and "idle only" in finding.message


@pytest.mark.parametrize("module", [load_power_reached, load_throttle, load_clocks])
def test_a_load_phase_that_could_not_run_is_unknown(module):
    facts = hgx_h100()
    facts["load"] = {"backend": None, "seconds": 60, "interval_s": 1.0, "status": "unavailable",
                     "reason": "no load backend available", "samples": [], "errors": []}
    [finding] = findings(module, facts).values()
    assert finding.status == "unknown" and "no load backend" in finding.message


@pytest.mark.parametrize("module", [load_power_reached, load_throttle, load_thermal_margin, load_clocks])
def test_a_gpu_without_a_sample_under_load_is_unknown_not_left_out(module):
    facts = loaded()
    facts["load"]["samples"] = [s for s in facts["load"]["samples"] if s["gpu"] != 7]
    result = findings(module, facts)
    assert sorted(result) == [f"gpu{i}" for i in range(8)]
    assert result["gpu7"].status == "unknown" and result["gpu7"].message == "no sample taken under load"
    assert {result[f"gpu{i}"].status for i in range(7)} == {"pass"}


def test_a_gpu_that_cannot_reach_its_limit_fails():
    facts = loaded()
    for s in facts["load"]["samples"]:
        if s["gpu"] == 4:
            s["power_draw_w"] = 455.0
    result = findings(load_power_reached, facts)
    assert result["gpu4"].status == "fail" and "65% of its 700 W limit" in result["gpu4"].message
    assert result["gpu3"].status == "pass"


def test_a_gpu_at_its_maximum_clock_without_throttling_is_workload_limited_and_passes():
    # 89 % of a 700 W limit at 1980 MHz, the H100's maximum SM clock, no clock event reason: nothing held it back.
    facts = loaded(power_draw_w=623.0, clocks_sm_mhz=1980, clocks_event_reasons=[])
    result = findings(load_power_reached, facts)
    assert result["gpu2"].status == "pass" and "89% of its 700 W limit" in result["gpu2"].message
    assert "the workload, not the power delivery" in result["gpu2"].message


@pytest.mark.parametrize("change", [{"clocks_sm_mhz": 1755, "clocks_event_reasons": []},
                                    {"clocks_sm_mhz": 1980, "clocks_event_reasons": ["hw_power_brake_slowdown"]},
                                    {"clocks_sm_mhz": 1980, "clocks_event_reasons": None}])
def test_a_gpu_below_its_share_that_was_held_back_or_unread_still_fails(change):
    result = findings(load_power_reached, loaded(power_draw_w=623.0, **change))
    assert result["gpu2"].status == "fail"


def test_a_failed_backend_fails_power_reached_on_host():
    facts = loaded(status="backend_failed")
    facts["load"]["errors"] = ["gpu_burn exited with status 1 after 12 s: FAULTY GPU"]
    result = findings(load_power_reached, facts)
    assert result["host"].status == "fail" and "FAULTY GPU" in result["host"].message


def test_throttling_under_load_fails_and_power_cap_does_not():
    facts = loaded()
    for s in facts["load"]["samples"][::8]:  # gpu0 in every sample
        s["clocks_event_reasons"] = ["sw_power_cap", "hw_slowdown", "hw_power_brake_slowdown"]
    result = findings(load_throttle, facts)
    assert result["gpu0"].status == "fail" and "hw_power_brake_slowdown in 10 of 10 samples" in result["gpu0"].message
    assert result["gpu1"].status == "pass" and "power cap in 10" in result["gpu1"].message


def test_thermal_margin_under_load():
    result = findings(load_thermal_margin, loaded(temperature_gpu_c=86, temperature_memory_c=93))
    assert result["gpu0"].status == "fail"
    assert "gpu_margin_c 3 °C < 5" in result["gpu0"].message and "memory_margin_c 2 °C < 5" in result["gpu0"].message
    assert "GPU peaked at 86 °C, slowdown at 89 °C" in result["gpu0"].message


def test_sustained_clock_is_the_median_of_the_second_half():
    facts = loaded()
    for s in facts["load"]["samples"]:
        if s["gpu"] == 2 and s["t"] >= 5:
            s["clocks_sm_mhz"] = 1100
    result = findings(load_clocks, facts)
    assert result["gpu2"].status == "fail" and "56% of its 1980 MHz" in result["gpu2"].message


def test_node_power_against_the_worst_case_and_the_rack_share():
    site = Site("DC1", "site.toml", racks=(Rack("B07", ("gpu-b07-*",), (Feed("A", 415, 32, 3),), node_count=4),))
    result = findings(load_node_power, loaded(), platform={"nameplate_max_w": 10200}, site=site)
    # 8 x 690 W = 5,520 W: within 10.2 kW, but above 17.48 kW / 4 = 4,370 W for each node of rack B07.
    assert result["host"].status == "fail" and "rack B07's budget per node 4370 W" in result["host"].message
    assert findings(load_node_power, loaded(), platform={"nameplate_max_w": 10200}, site=None)["host"].status == "pass"


@needs_no_gpu("the test runs scan --load where no GPU can be loaded")
def test_scan_with_load_on_a_machine_without_gpu_says_why_and_still_judges():
    done = subprocess.run([sys.executable, "-m", "readycheck", "scan", "--load", "1", "-f", "json"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 1
    import json

    report = json.loads(done.stdout)
    load = {f["check"]: f for f in report["findings"] if f["check"].startswith("load.")}
    assert load["load.power_reached"]["status"] == "unknown"
    assert "load phase not run" in load["load.power_reached"]["message"]
    assert report["nodes"][0]["facts"]["load"]["status"] == "unavailable"


def test_the_bmc_chassis_reading_is_sampled_beside_the_gpus(fake_backend):
    from probe_fakes import LiveTree
    from probe_fakes import runner as commands

    dcmi = ("ipmitool", "dcmi", "power", "reading")
    answer = ("    Instantaneous power reading:                  6843 Watts\n"
              "    Minimum during sampling period:                812 Watts\n")
    ctx = LiveTree(nvml_backend=fake_nvml.hgx_h100_8gpu, run=commands({dcmi: answer}))
    load = runner.run(ctx, 0.6, interval=0.1, start=child("import time; time.sleep(0.6)"))
    assert load["chassis"] and {c["power_w"] for c in load["chassis"]} == {6843.0}
    assert load["chassis_unavailable"] is None


def test_without_ipmitool_the_chassis_reason_is_kept_and_asked_once(fake_backend):
    from probe_fakes import LiveTree
    from probe_fakes import runner as commands

    asked = []
    ctx = LiveTree(nvml_backend=fake_nvml.hgx_h100_8gpu, run=commands({}, asked))
    load = runner.run(ctx, 0.4, interval=0.1, start=child("import time; time.sleep(0.4)"))
    assert load["chassis"] == [] and load["chassis_unavailable"].startswith("NotFound")
    assert len(asked) == 1


def test_node_power_from_gpu_readings_with_a_gpu_unread_is_unknown_unless_already_over():
    facts = loaded()
    for sample in facts["load"]["samples"]:
        if sample["gpu"] == 3:
            sample["power_draw_w"] = None
            sample["unavailable"] = {"power_draw_w": "NotSupported"}
    result = findings(load_node_power, facts, platform={"nameplate_max_w": 10200}, site=None)
    assert result["host"].status == "unknown" and "no draw from gpu3" in result["host"].message
    for sample in facts["load"]["samples"]:
        if sample["gpu"] != 3:
            sample["power_draw_w"] = 1500.0  # 7 x 1,500 W: over 10.2 kW without gpu3
    result = findings(load_node_power, facts, platform={"nameplate_max_w": 10200}, site=None)
    assert result["host"].status == "fail" and "10500 W" in result["host"].message


def test_node_power_prefers_the_chassis_reading():
    facts = loaded()
    facts["load"]["chassis"] = [{"t": 1.0, "power_w": 10480.0}]
    result = findings(load_node_power, facts, platform={"nameplate_max_w": 10200}, site=None)
    assert result["host"].status == "fail" and "Chassis (BMC reading) peaked at 10480 W" in result["host"].message
    facts["load"]["chassis"], facts["load"]["chassis_unavailable"] = [], "NotFound: ipmitool not installed"
    result = findings(load_node_power, facts, platform={"nameplate_max_w": 10200}, site=None)
    assert result["host"].status == "pass" and "ipmitool not installed" in result["host"].message
