"""The probe runner: isolation, time limits, and how probes' facts merge into one snapshot."""

import sys
import threading
import types

import pytest

from readycheck import probes
from readycheck.facts.schema import validate
from readycheck.probes import ProbeContext, collect, merge_facts


@pytest.fixture
def fake_probes(monkeypatch):
    """Install probe modules made of plain functions and run only those."""

    def install(**funcs):
        table = []
        for name, func in funcs.items():
            module = types.ModuleType(f"fakeprobe_{name}")
            module.probe = func
            monkeypatch.setitem(sys.modules, module.__name__, module)
            table.append((name, module.__name__))
        monkeypatch.setattr(probes, "PROBES", tuple(table))

    return install


def test_a_raising_probe_is_recorded_and_the_others_still_run(fake_probes):
    def broken(ctx):
        raise OSError("sysfs exploded")

    fake_probes(broken=broken, good=lambda ctx: {"infiniband": [{"device": "mlx5_0"}]})
    snapshot = collect(ProbeContext, version="t")
    assert snapshot["probe_errors"] == [{"probe": "broken", "error": "OSError: sysfs exploded"}]
    assert snapshot["infiniband"] == [{"device": "mlx5_0"}]


def test_a_hung_probe_times_out_without_hanging_the_collection(fake_probes):
    release = threading.Event()
    fake_probes(hung=lambda ctx: release.wait(30), good=lambda ctx: {"xid_events": []})
    snapshot = collect(ProbeContext, version="t", timeout=0.2)
    release.set()
    assert snapshot["probe_errors"] == [{"probe": "hung", "error": "Timeout: no answer within 0.2s"}]


def test_partial_errors_reported_through_the_context_keep_the_facts(fake_probes):
    def partial(ctx):
        ctx.error("dmesg: Operation not permitted")
        return {"xid_events": []}

    fake_probes(xid=partial)
    snapshot = collect(ProbeContext, version="t")
    assert snapshot["probe_errors"] == [{"probe": "xid", "error": "dmesg: Operation not permitted"}]


def test_first_non_null_value_wins_and_reasons_follow_the_value(fake_probes):
    nvml = lambda ctx: {"nvidia": {"nvml_available": False, "nvml_error": "Driver Not Loaded",  # noqa: E731
                                   "driver_version": None, "unavailable": {"driver_version": "NoDriver"}}}
    proc = lambda ctx: {"nvidia": {"driver_version": "550.54.15", "kernel_modules": {"nvidia": "550.54.15"}}}  # noqa: E731
    fake_probes(nvml=nvml, driver=proc)
    nvidia = collect(ProbeContext, version="t")["nvidia"]
    assert nvidia["driver_version"] == "550.54.15"
    assert "driver_version" not in nvidia["unavailable"]
    assert nvidia["nvml_available"] is False and nvidia["nvml_error"] == "Driver Not Loaded"
    assert nvidia["cuda_driver_version"] is None
    assert nvidia["unavailable"]["cuda_driver_version"] == "NotCollected"


def test_snapshot_of_failed_probes_still_validates(fake_probes):
    def broken(ctx):
        raise RuntimeError("no")

    fake_probes(nvml=broken, host=broken)
    assert validate(collect(ProbeContext, version="t")) == []


def test_merge_extends_lists():
    snapshot = {"gpus": [{"index": 0}]}
    merge_facts(snapshot, {"gpus": [{"index": 1}]})
    assert [g["index"] for g in snapshot["gpus"]] == [0, 1]


def test_commands_do_not_run_against_another_root(tmp_path):
    ran = []
    ctx = ProbeContext(root=tmp_path, run=lambda argv, timeout: ran.append(argv) or "")
    with pytest.raises(probes.Unreadable) as caught:
        ctx.command(["systemctl", "status"])
    assert caught.value.reason == "NotLive" and ran == []
    assert ctx.path("/sys/class/net") == tmp_path / "sys/class/net"
