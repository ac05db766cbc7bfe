"""Host facts: identity, OS, CPU, memory, NUMA, DMI, inlet temperature and power supplies.

Everything that lives in a file is read under `ctx.root` (procfs, sysfs,
`/etc/os-release`), so a fake tree or an offline image gives the same answer as
the live host. Live-only fallbacks (`os.uname`, psutil,
`ipmitool`) are used only when the root is `/` and the file is missing, so a
fake tree is never mixed with facts from the machine running the tests.

CPU topology is counted from `/proc/cpuinfo`: sockets are distinct `physical
id`s, cores distinct (`physical id`, `core id`) pairs, threads `processor`
entries. Inlet temperature comes from a hwmon sensor labelled "inlet" or
"ambient", else from the BMC (`ipmitool sdr type Temperature`);
`inlet_temperature_source` says which. Where the BMC was read over Redfish
(readycheck/probes/bmc.py, merged first), its values win. Power supplies
come from `ipmitool sdr type "Power Supply"`; `capacity_w` is null there
(`NotInSource`: the SDR reports presence and faults, not ratings). ipmitool
runs with stdin closed and the runner's timeout, so it can neither prompt nor
hang the probe. `block_devices` and `filesystems` are not filled here.
"""

from __future__ import annotations

import os
import re
from typing import Any, Callable

from readycheck.facts import NO_PERMISSION, NOT_FOUND, NOT_IN_SOURCE, TIMEOUT, Record, Unreadable
from readycheck.facts.fields import DMI_FIELDS
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import entries, read_int, read_text, read_value


def probe(ctx: ProbeContext) -> dict[str, Any]:
    host = Record()
    # os.uname's nodename is what gethostname(2) returns on Linux, without importing socket (slow to import).
    host.read("hostname", _live_fallback(ctx, "/proc/sys/kernel/hostname", lambda: os.uname().nodename))
    host.read("os", _os_pretty_name, ctx)
    host.read("kernel", _live_fallback(ctx, "/proc/sys/kernel/osrelease", lambda: os.uname().release))
    cpuinfo = _cpuinfo(ctx)
    host.read("arch", _arch, ctx, cpuinfo)
    _cpu_fields(ctx, host, cpuinfo)
    host.read("memory_total_mib", _memory_total_mib, ctx)
    host.read("numa_nodes", _numa_nodes, ctx)
    host.set("dmi", _dmi(ctx))
    ipmi = _Ipmi(ctx)
    host.read_together(lambda: _inlet_temperature_c(ctx, ipmi), {
        "inlet_temperature_c": lambda reading: reading[0],
        "inlet_temperature_source": lambda reading: reading[1],
    })
    try:
        host.set("psus", parse_psus(ipmi.sdr("Power Supply")))
    except Unreadable as exc:
        host.set("psus", [])
        host.unavailable["psus"] = exc.reason
    else:
        if not host.values["psus"]:
            host.unavailable["psus"] = NOT_FOUND
    return {"host": host.as_dict()}


def _live_fallback(ctx: ProbeContext, path: str, live: Callable[[], str]) -> Callable[[], str]:
    """A reader for `path` under the root that asks the running system only when the root is `/`."""
    def reader() -> str:
        try:
            return read_value(ctx.path(path))
        except Unreadable:
            if not ctx.live:
                raise
            return live()
    return reader


def _os_pretty_name(ctx: ProbeContext) -> str:
    # os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
    try:
        text = read_text(ctx.path("/etc/os-release"))
    except Unreadable as exc:
        if exc.reason != NOT_FOUND:
            raise
        text = read_text(ctx.path("/usr/lib/os-release"))
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "PRETTY_NAME":
            return value.strip().strip("\"'")
    raise Unreadable(NOT_IN_SOURCE, "os-release has no PRETTY_NAME")


def _cpuinfo(ctx: ProbeContext) -> list[dict[str, str]] | Unreadable:
    """`/proc/cpuinfo` as one dict per processor block, or the `Unreadable` that stopped it."""
    try:
        text = read_text(ctx.path("/proc/cpuinfo"))
    except Unreadable as exc:
        return exc
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition(":")
        if sep:
            current[key.strip()] = value.strip()
    return blocks


def _arch(ctx: ProbeContext, cpuinfo: list[dict[str, str]] | Unreadable) -> str:
    try:
        return read_value(ctx.path("/proc/sys/kernel/arch"))  # Linux 6.1 and later
    except Unreadable:
        if ctx.live:
            return os.uname().machine
    # An offline tree of an older kernel: the CPU flags say it.
    if isinstance(cpuinfo, list) and cpuinfo:
        first = cpuinfo[0]
        if "lm" in first.get("flags", "").split():
            return "x86_64"
        if first.get("CPU architecture") == "8":
            return "aarch64"
    raise Unreadable(NOT_FOUND, "no /proc/sys/kernel/arch and /proc/cpuinfo does not tell")


def _cpu_fields(ctx: ProbeContext, host: Record, cpuinfo: list[dict[str, str]] | Unreadable) -> None:
    processors = [] if isinstance(cpuinfo, Unreadable) else [b for b in cpuinfo if "processor" in b]
    if not processors:
        reason = cpuinfo.reason if isinstance(cpuinfo, Unreadable) else NOT_IN_SOURCE
        for field in ("cpu_model", "cpu_sockets", "cpu_cores", "cpu_threads"):
            host.missing(field, reason)
        return
    model = next((b["model name"] for b in processors if b.get("model name")), None)
    if model:
        host.set("cpu_model", model)
    else:
        host.missing("cpu_model", NOT_IN_SOURCE)  # Arm kernels print no model name
    host.set("cpu_threads", len(processors))
    if all("physical id" in b and "core id" in b for b in processors):
        pairs = {(b["physical id"], b["core id"]) for b in processors}
    else:
        pairs = _sysfs_topology(ctx)  # many VMs and most Arm kernels omit the cpuinfo lines
    sockets = len({package for package, _ in pairs}) or None
    cores = len(pairs) or (_live_core_count() if ctx.live else None)
    for field, value in (("cpu_sockets", sockets), ("cpu_cores", cores)):
        if value is None:
            host.missing(field, NOT_IN_SOURCE)
        else:
            host.set(field, value)


def _live_core_count() -> int | None:
    """psutil's count, imported only here: its import costs a collection more than the fallback is used."""
    import psutil

    return psutil.cpu_count(logical=False)


def _sysfs_topology(ctx: ProbeContext) -> set[tuple[str, str]]:
    """Distinct (package id, core id) pairs from `/sys/devices/system/cpu/cpu*/topology`."""
    pairs = set()
    for cpu in entries(ctx.path("/sys/devices/system/cpu")):
        if re.fullmatch(r"cpu\d+", cpu.name):
            try:
                pairs.add((read_value(cpu / "topology" / "physical_package_id"),
                           read_value(cpu / "topology" / "core_id")))
            except Unreadable:
                continue
    return pairs


def _memory_total_mib(ctx: ProbeContext) -> int:
    for line in read_text(ctx.path("/proc/meminfo")).splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1]) // 1024
    raise Unreadable(NOT_IN_SOURCE, "/proc/meminfo has no MemTotal line")


def _numa_nodes(ctx: ProbeContext) -> int:
    directory = ctx.path("/sys/devices/system/node")
    if not directory.is_dir():
        raise Unreadable(NOT_FOUND, f"{directory} missing")
    return len([p for p in entries(directory) if re.fullmatch(r"node\d+", p.name)])


def _dmi(ctx: ProbeContext) -> dict[str, Any]:
    dmi = Record()
    for field in DMI_FIELDS:
        dmi.read(field, read_value, ctx.path(f"/sys/class/dmi/id/{field}"))
    return dmi.as_dict()


def _inlet_temperature_c(ctx: ProbeContext, ipmi: _Ipmi) -> tuple[float, str]:
    """(degrees C, where it was read: "hwmon" or "ipmitool")."""
    sensor = _hwmon_inlet(ctx)
    if sensor is not None:
        return sensor, "hwmon"
    temperature = parse_inlet_temperature(ipmi.sdr("Temperature"))
    if temperature is None:
        raise Unreadable(NOT_FOUND, "no inlet/ambient sensor in hwmon or the BMC's SDR")
    return temperature, "ipmitool"


def _hwmon_inlet(ctx: ProbeContext) -> float | None:
    """The first hwmon temperature labelled inlet/ambient; unreadable sensors are passed over."""
    try:
        sensors = [(hwmon, label) for hwmon in entries(ctx.path("/sys/class/hwmon")) for label in entries(hwmon)
                   if re.fullmatch(r"temp\d+_label", label.name)]
    except Unreadable:
        return None
    for hwmon, label in sensors:
        try:
            name = read_value(label).lower()
            if "inlet" in name or "ambient" in name:
                return read_int(hwmon / label.name.replace("_label", "_input")) / 1000.0
        except Unreadable:
            continue
    return None


class _Ipmi:
    """Runs `ipmitool sdr type <kind>`, remembering a failure that would repeat for every query.

    A missing ipmitool, a missing /dev/ipmi0 (no permission) or a BMC that
    timed out once will do the same again; asking twice would only double the
    wait.
    """

    _STICKY = (NOT_FOUND, NO_PERMISSION, TIMEOUT, "NotLive")

    def __init__(self, ctx: ProbeContext):
        self.ctx = ctx
        self.failure: Unreadable | None = None

    def sdr(self, kind: str) -> str:
        if self.failure is not None:
            raise self.failure
        try:
            return self.ctx.command(["ipmitool", "sdr", "type", kind])
        except Unreadable as exc:
            if exc.reason in self._STICKY:
                self.failure = exc
            raise


def _sdr_rows(text: str) -> list[list[str]]:
    """`ipmitool sdr type` rows: name | sensor id | status | entity | reading."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) >= 5 and cells[0]:
            rows.append(cells)
    return rows


def parse_inlet_temperature(text: str) -> float | None:
    """The first inlet (else ambient) reading in degrees C, e.g. `Inlet Temp | 04h | ok | 7.1 | 23 degrees C`."""
    for word in ("inlet", "ambient"):
        for cells in _sdr_rows(text):
            if word in cells[0].lower():
                match = re.match(r"(-?\d+(?:\.\d+)?)\s*degrees C", cells[4])
                if match:
                    return float(match.group(1))
    return None


_PSU_FAULTS = ("failure", "ac lost", "input lost", "out-of-range", "configuration error", "predictive")
# The Power Supply sensor's input offsets (IPMI v2.0, table 42-3, sensor type 08h: 03h input lost,
# 04h input lost or out-of-range, 05h input out-of-range but present) as ipmitool words them.
_INPUT_FAULTS = ("ac lost", "input lost", "out-of-range")


def parse_psus(text: str) -> list[dict[str, Any]]:
    """One `{name, present, ok, health, capacity_w, input_voltage_type, line_input_ok, source}` per power
    supply in `ipmitool sdr type "Power Supply"`.

    A supply is an SDR entity instance (`10.1`, `10.2`): Supermicro gives it
    one row ("PS1 Status | ... | Presence detected, Power Supply AC lost"),
    Dell one or two ("Presence | ... | Absent", "Status | ... | Presence
    detected"), so rows are grouped by entity. Redundancy rows and numeric
    rows (input watts) describe the group, not a supply. Rows whose sensor
    reports `ns` (no reading) say nothing. The name is the sensor name less
    " Status" when that is unique ("PS1"), else "PSU <entity>". The SDR carries
    no health word, rating or input voltage type (NotInSource); the line input
    is bad when an input offset is asserted, good when the supply is present
    without one.
    """
    groups: dict[str, list[list[str]]] = {}
    for cells in _sdr_rows(text):
        if "redundan" in cells[0].lower() or re.match(r"-?\d", cells[4]):
            continue
        groups.setdefault(cells[3], []).append(cells)
    names = [re.sub(r"\s*status$", "", group[0][0], flags=re.IGNORECASE) for group in groups.values()]
    psus = []
    for name, (entity, group) in zip(names, groups.items()):
        readings = ", ".join(cells[4].lower() for cells in group if cells[2].lower() != "ns")
        psu = Record(name=name if name and names.count(name) == 1 else f"PSU {entity}")
        if "presence detected" in readings or re.search(r"\bpresent\b", readings):
            psu.set("present", True)
        elif "absent" in readings:
            psu.set("present", False)
        else:
            psu.missing("present", NOT_IN_SOURCE)
        if psu.values["present"] is False or any(fault in readings for fault in _PSU_FAULTS):
            psu.set("ok", False)
        elif psu.values["present"]:
            psu.set("ok", True)
        else:
            psu.missing("ok", NOT_IN_SOURCE)
        psu.missing("health", NOT_IN_SOURCE)
        psu.missing("capacity_w", NOT_IN_SOURCE)
        psu.missing("input_voltage_type", NOT_IN_SOURCE)
        if any(fault in readings for fault in _INPUT_FAULTS):
            psu.set("line_input_ok", False)
        elif psu.values["present"]:
            psu.set("line_input_ok", True)
        else:
            psu.missing("line_input_ok", NOT_IN_SOURCE)
        psu.set("source", "ipmitool")
        psus.append(psu.as_dict())
    return psus
