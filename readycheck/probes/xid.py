"""NVIDIA Xid events from the kernel log: `{xid, pci_bus_id, gpu_instance, compute_instance, timestamp,
message}` per line.

Live, the log comes from `journalctl -k` (this boot's kernel messages, with
ISO timestamps), else `dmesg --time-format iso`, else plain `dmesg` (seconds
since boot, so `timestamp` is null). A journal that shows no kernel lines at
all (not in group systemd-journal, or journald not storing the kernel log)
counts as unreadable, so dmesg is tried next. Under another root the files
`var/log/kern.log` then `var/log/dmesg` are read; a traditional syslog stamp
("Mar  5 22:23:56") has no year, so `timestamp` is null there too.

An empty list means "no Xid seen" only when a log was read: when none could
be, the list is empty and `probe_errors` says why, so a check can report
"unknown" rather than "pass". Only the last `MAX_LOG_BYTES` of a log are read
and journalctl is asked for at most `MAX_JOURNAL_LINES` lines, so a flooded
log cannot exhaust memory. `pci_bus_id` is as the driver prints it
("0000:18:00", no function number). On a MIG-enabled GPU the driver names the
GPU instance (`GPU-I:05`) and often the compute instance (`GPU-CI:02`) beside
the PCI address: they are kept as `gpu_instance` and `compute_instance`
(null on a line without them), and the event belongs to the GPU at that
address all the same.
"""

from __future__ import annotations

import re
from typing import Any

from readycheck.facts import Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import read_text

MAX_LOG_BYTES = 16 * 1024 * 1024
MAX_JOURNAL_LINES = 200_000

LIVE_SOURCES = (
    ["journalctl", "-k", "-b", "-o", "short-iso", "--no-pager", "-n", str(MAX_JOURNAL_LINES)],
    ["dmesg", "--time-format", "iso"],
    ["dmesg"],
)
LOG_FILES = ("/var/log/kern.log", "/var/log/dmesg")

# The driver's three forms (NVIDIA open-gpu-kernel-modules, src/nvidia/src/kernel/gpu/rc/kernel_rc.c):
#   "NVRM: Xid (PCI:%04x:%02x:%02x): %d, pid=%s, name=%s, %s"                          no MIG attribution
#   "NVRM: Xid (PCI:%04x:%02x:%02x GPU-I:%02u): %d, pid=%s, name=%s, %s"                a MIG GPU instance
#   "NVRM: Xid (PCI:%04x:%02x:%02x GPU-I:%02u GPU-CI:%02u): %d, pid=%s, name=%s, %s"    and compute instance
# e.g. NVIDIA's "NVRM: Xid (PCI:0000:01:00 GPU-I:05): 94, pid=7194, Contained: CE User Channel (0x9). RST: No,
# D-RST: No" (GPU memory error management guide, User Visible Statistics). Drivers before ~2015 print
# "Xid (0000:18:00)" without "PCI:".
_XID = re.compile(r"NVRM: Xid \((?:PCI:)?([0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}(?:\.[0-7])?)"
                  r"(?:\s+GPU-I:\s*(\d+))?(?:\s+GPU-CI:\s*(\d+))?\):\s*(\d+)\s*,?\s*(.*)$")
# journalctl short-iso ("2024-03-05T22:23:56+0000" or "+00:00"), dmesg iso
# ("2024-03-05T22:23:56,123456+00:00"), rsyslog RFC 3339 ("...56.123456+00:00").
_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?\s")


def probe(ctx: ProbeContext) -> dict[str, Any]:
    text = _live_log(ctx) if ctx.live else _file_log(ctx)
    return {"xid_events": [] if text is None else parse_xid_events(text)}


def _live_log(ctx: ProbeContext) -> str | None:
    failures = []
    for argv in LIVE_SOURCES:
        try:
            text = ctx.command(argv)
        except Unreadable as exc:
            failures.append(f"{exc.reason}: {exc}")
            continue
        if argv[0] == "journalctl" and not _has_entries(text):
            failures.append("journalctl: no kernel entries visible (needs root or group systemd-journal)")
            continue
        return _tail(text)
    ctx.error("kernel log unreadable, Xid events not collected: " + "; ".join(failures))
    return None


def _file_log(ctx: ProbeContext) -> str | None:
    failures = []
    for name in LOG_FILES:
        try:
            return read_text(ctx.path(name), MAX_LOG_BYTES, tail=True)
        except Unreadable as exc:
            failures.append(f"{name}: {exc.reason}")
    ctx.error(f"no kernel log under {ctx.root}, Xid events not collected: " + "; ".join(failures))
    return None


def _has_entries(text: str) -> bool:
    return any(line.strip() and not line.startswith("-- ") for line in text.splitlines())


def _tail(text: str) -> str:
    """The last `MAX_LOG_BYTES` of a command's output, starting at a whole line."""
    if len(text) <= MAX_LOG_BYTES:
        return text
    cut = text[-MAX_LOG_BYTES:]
    return cut[cut.find("\n") + 1:]


def parse_timestamp(line: str) -> str | None:
    """The line's leading ISO 8601 stamp as RFC 3339 (`+0000` → `+00:00`, `,123` → `.123`), else None."""
    match = _ISO.match(line)
    if not match:
        return None
    stamp, fraction, zone = match.groups()
    if fraction:
        stamp += "." + fraction
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return stamp + (zone or "")


def parse_xid_events(text: str) -> list[dict[str, Any]]:
    events = []
    for line in text.splitlines():
        match = _XID.search(line)
        if match:
            bus, instance, compute, xid, message = match.groups()
            events.append({
                "xid": int(xid),
                "pci_bus_id": bus,
                "gpu_instance": None if instance is None else int(instance),
                "compute_instance": None if compute is None else int(compute),
                "timestamp": parse_timestamp(line),
                "message": message.strip(),
            })
    return events
