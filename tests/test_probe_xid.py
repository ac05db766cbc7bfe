"""Xid events from the kernel log: the line formats seen in the wild and every way the log can be missing."""

from __future__ import annotations

import pytest
from probe_fakes import ROOTS, LiveTree, runner

from readycheck.facts import NO_PERMISSION, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes import xid as xid_probe
from readycheck.probes.sysfs import read_text
from readycheck.probes.xid import LIVE_SOURCES, parse_timestamp, parse_xid_events, probe

JOURNAL, DMESG_ISO, DMESG = (tuple(argv) for argv in LIVE_SOURCES)

LINE_79 = "NVRM: Xid (PCI:0000:18:00): 79, pid='<unknown>', name=<unknown>, GPU has fallen off the bus."





@pytest.mark.parametrize("line, expected", [
    ("2024-03-12T04:02:51+0000 gpu-node-017 kernel: " + LINE_79, "2024-03-12T04:02:51+00:00"),
    ("2024-03-12T04:02:51+00:00 gpu-node-017 kernel: " + LINE_79, "2024-03-12T04:02:51+00:00"),
    ("2024-03-12T04:02:51,004415+01:00 " + LINE_79, "2024-03-12T04:02:51.004415+01:00"),
    ("2024-03-12T04:02:51.004415Z gpu-node-017 kernel: " + LINE_79, "2024-03-12T04:02:51.004415Z"),
    ("[186326.004415] " + LINE_79, None),
    ("Mar 12 04:02:51 gpu-node-017 kernel: [186326.004415] " + LINE_79, None),
])
def test_timestamps(line, expected):
    assert parse_timestamp(line) == expected
    (event,) = parse_xid_events(line)
    assert event == {"xid": 79, "pci_bus_id": "0000:18:00", "gpu_instance": None, "compute_instance": None,
                     "timestamp": expected, "message": "pid='<unknown>', name=<unknown>, GPU has fallen off the bus."}


@pytest.mark.parametrize("line, xid, bus, message", [
    ("NVRM: Xid (PCI:0000:b3:00): 13, Graphics Exception: ESR 0x50dd30=0x40000 0x50dd34=0x0",
     13, "0000:b3:00", "Graphics Exception: ESR 0x50dd30=0x40000 0x50dd34=0x0"),
    ("NVRM: Xid (PCI:0000:1d:00): 43, pid=2342, name=python, Ch 00000008",
     43, "0000:1d:00", "pid=2342, name=python, Ch 00000008"),
    ("NVRM: Xid (0000:03:00): 31, Ch 00000001, engmask 00000101, intr 10000000",  # pre-2015 drivers
     31, "0000:03:00", "Ch 00000001, engmask 00000101, intr 10000000"),
])
def test_line_variants(line, xid, bus, message):
    (event,) = parse_xid_events(f"[  812.113] {line}\n")
    assert (event["xid"], event["pci_bus_id"], event["message"]) == (xid, bus, message)


# MIG-enabled GPUs: the driver adds the GPU instance, and the compute instance where it knows it, inside the
# parentheses (format strings in NVIDIA open-gpu-kernel-modules src/nvidia/src/kernel/gpu/rc/kernel_rc.c:
# "NVRM: Xid (PCI:%04x:%02x:%02x GPU-I:%02u GPU-CI:%02u): %d, pid=%s, name=%s, %s").
@pytest.mark.parametrize("line, xid, bus, instance, compute, message", [
    # NVIDIA's own example: GPU memory error management guide, User Visible Statistics, "Contained error with MIG
    # enabled" (https://docs.nvidia.com/deploy/a100-gpu-mem-error-mgmt/user-visible-statistics.html).
    ("NVRM: Xid (PCI:0000:01:00 GPU-I:05): 94, pid=7194, Contained: CE User Channel (0x9). RST: No, D-RST: No",
     94, "0000:01:00", 5, None, "pid=7194, Contained: CE User Channel (0x9). RST: No, D-RST: No"),
    # The same guide's uncontained line (shown there without attribution) in the driver's GPU-instance form.
    ("NVRM: Xid (PCI:0000:01:00 GPU-I:05): 95, pid=7062, Uncontained: LTC TAG (0x2, 0x1). RST: Yes, D-RST: No",
     95, "0000:01:00", 5, None, "pid=7062, Uncontained: LTC TAG (0x2, 0x1). RST: Yes, D-RST: No"),
    # The GPU and compute instance form, with the driver's defaults for an unknown process.
    ("NVRM: Xid (PCI:0000:3b:00 GPU-I:01 GPU-CI:02): 13, pid='<unknown>', name=<unknown>, Graphics Exception: "
     "ESR 0x50dd30=0x40000", 13, "0000:3b:00", 1, 2, "pid='<unknown>', name=<unknown>, Graphics Exception: "
     "ESR 0x50dd30=0x40000"),
])
def test_mig_forms(line, xid, bus, instance, compute, message):
    stamped = f"2026-11-27T11:58:02+0000 gpu-b07-03 kernel: {line}"
    (event,) = parse_xid_events(f"[  812.113] {line}\n{stamped}\n")[1:]
    assert event == {"xid": xid, "pci_bus_id": bus, "gpu_instance": instance, "compute_instance": compute,
                     "timestamp": "2026-11-27T11:58:02+00:00", "message": message}
    assert len(parse_xid_events(f"[  812.113] {line}\n")) == 1  # the dmesg form too


def test_other_nvrm_lines_are_not_events():
    assert parse_xid_events("[1.0] NVRM: GPU 0000:18:00.0: GPU has fallen off the bus.\n"
                            "[1.1] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  550.54.15\n") == []


def test_hgx_h100_kern_log():
    ctx = ProbeContext(root=ROOTS / "hgx-h100")
    events = probe(ctx)["xid_events"]
    assert [(e["xid"], e["pci_bus_id"]) for e in events] == [(13, "0000:ba:00"), (13, "0000:ba:00"),
                                                             (79, "0000:18:00")]
    assert all(e["timestamp"] is None for e in events)  # syslog stamps carry no year
    assert ctx.errors == []


def test_no_log_under_root_is_an_error_not_zero_events():
    ctx = ProbeContext(root=ROOTS / "bare")
    assert probe(ctx) == {"xid_events": []}
    (error,) = ctx.errors
    assert "Xid events not collected" in error and "/var/log/kern.log: NotFound" in error


def test_dmesg_file_when_no_kern_log(tmp_path):
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/dmesg").write_text(f"[    4.2] nvidia: loading\n[  812.1] {LINE_79}\n")
    assert [e["xid"] for e in probe(ProbeContext(root=tmp_path))["xid_events"]] == [79]


def test_live_journal():
    ctx = LiveTree(root=ROOTS / "bare", run=runner({
        JOURNAL: f"2024-03-12T04:02:51+0000 gpu-node-017 kernel: {LINE_79}\n",
    }))
    (event,) = probe(ctx)["xid_events"]
    assert event["timestamp"] == "2024-03-12T04:02:51+00:00"
    assert ctx.errors == []


def test_empty_journal_falls_back_to_dmesg():
    ctx = LiveTree(root=ROOTS / "bare", run=runner({
        JOURNAL: "-- No entries --\n",
        DMESG_ISO: f"2024-03-12T04:02:51,004415+00:00 {LINE_79}\n",
    }))
    (event,) = probe(ctx)["xid_events"]
    assert event["timestamp"] == "2024-03-12T04:02:51.004415+00:00"
    assert ctx.errors == []


def test_old_dmesg_without_iso_falls_back_to_plain():
    ctx = LiveTree(root=ROOTS / "bare", run=runner({
        DMESG_ISO: Unreadable("CommandFailed", "dmesg: unknown time format: iso"),
        DMESG: f"[  812.1] {LINE_79}\n",
    }))
    assert [e["timestamp"] for e in probe(ctx)["xid_events"]] == [None]


def test_no_permission_anywhere():
    denied = Unreadable(NO_PERMISSION, "dmesg: read kernel buffer failed: Operation not permitted")
    ctx = LiveTree(root=ROOTS / "bare", run=runner({JOURNAL: "", DMESG_ISO: denied, DMESG: denied}))
    assert probe(ctx) == {"xid_events": []}
    (error,) = ctx.errors
    assert "journalctl: no kernel entries visible" in error
    assert "NoPermission: dmesg: read kernel buffer failed: Operation not permitted" in error


def test_only_the_tail_of_a_huge_log_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(xid_probe, "MAX_LOG_BYTES", 300)
    old = LINE_79.replace("0000:18:00", "0000:2a:00")
    (tmp_path / "var/log").mkdir(parents=True)
    (tmp_path / "var/log/kern.log").write_text(f"[1.0] {old}\n" + "[2.0] filler\n" * 50 + f"[3.0] {LINE_79}\n")
    assert [e["pci_bus_id"] for e in probe(ProbeContext(root=tmp_path))["xid_events"]] == ["0000:18:00"]


def test_tail_read_starts_at_a_whole_line(tmp_path):
    log = tmp_path / "log"
    log.write_text("first line\nsecond line\nthird\n")
    assert read_text(log, 14, tail=True) == "third\n"  # "second line\n" was cut, so dropped
    assert read_text(log, 100, tail=True) == "first line\nsecond line\nthird\n"


def test_command_output_is_bounded(monkeypatch):
    monkeypatch.setattr(xid_probe, "MAX_LOG_BYTES", 200)
    ctx = LiveTree(root=ROOTS / "bare", run=runner({
        JOURNAL: f"2024-01-01T00:00:00+0000 h kernel: {LINE_79.replace('18:00', '2a:00')}\n"
                 + "2024-01-01T00:00:01+0000 h kernel: filler\n" * 20
                 + f"2024-01-01T00:00:02+0000 h kernel: {LINE_79}\n",
    }))
    assert [e["pci_bus_id"] for e in probe(ctx)["xid_events"]] == ["0000:18:00"]
