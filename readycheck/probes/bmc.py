"""The BMC's word over Redfish: power supplies, their declared redundancy, intake temperature, chassis
power and its limit, fans.

The BMC is the one given with `--bmc URL`, else the Redfish host interface the
firmware describes in SMBIOS type 42 (`readycheck/probes/smbios.py`; read only
on the live machine); `bmc.url_source` says which. Nothing is read when
neither gives a URL: then `host.psus` and the inlet come from ipmitool and
hwmon as before (readycheck/probes/host.py); this probe runs first, so what it
read wins the merge, and each value says where it came from (`source`,
`*_source`).

Both generations of the Redfish schema are read, the newer first (DMTF
DSP0268, Redfish Resource and Schema Guide: Chassis, PowerSubsystem,
PowerSupply, ThermalSubsystem, ThermalMetrics, Fan, EnvironmentMetrics, Sensor,
and the deprecated Power and Thermal):

- PSUs and redundancy: `PowerSubsystem` (`PowerSupplies`, `PowerSupplyRedundancy`), else `Power`
  (`PowerSupplies`, `Redundancy`);
- intake: `ThermalSubsystem/ThermalMetrics` `TemperatureSummaryCelsius.Intake`, else the `Sensors` whose
  `PhysicalContext` is `Intake` and unit `Cel`, else `Thermal.Temperatures[]` with `PhysicalContext` `Intake`;
- chassis power and limit: `EnvironmentMetrics` (`PowerWatts`, `PowerLimitWatts.SetPoint`), else
  `Power.PowerControl[]` (`PowerConsumedWatts`, `PowerLimit.LimitInWatts`);
- fans: `ThermalSubsystem/Fans`, else `Thermal.Fans[]`.

The chassis read is the first member of `/redfish/v1/Chassis` that has
`PowerSubsystem` or `Power`. A collection is fetched with `$expand=.` where the
service root says it supports it, so a chassis with forty sensors costs one
request. The whole read is bounded (`redfish_client.BUDGET_S`); a BMC that
cannot be read leaves its values null with the reason, and `bmc.error` says why
in a sentence that never holds the credentials.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from readycheck.facts import NOT_FOUND, NOT_IN_SOURCE, TIMEOUT, Record, Unreadable
from readycheck.probes import ProbeContext, smbios
from readycheck.probes.bmc_target import BmcTarget

SOURCE = "redfish"
# What an unhealthy status is: DSP0268's Resource.Health enum is OK, Warning, Critical.
UNHEALTHY = ("Warning", "Critical")
# Resource.State values of a part that is fitted and doing its job (a hot spare waits, healthy).
WORKING = ("Enabled", "StandbySpare")
NOT_WORKING = ("Disabled", "StandbyOffline", "UnavailableOffline", "InTest", "Starting", "Updating",
               "Deferring", "Quiesced", "Degraded")
LINE_INPUT_OK = {"Normal": True, "LossOfInput": False, "OutOfRange": False}
HOST_FIELDS = ("psus", "psu_redundancy", "inlet_temperature_c", "inlet_temperature_source", "chassis_power_w",
               "chassis_power_limit_w", "chassis_power_source", "fans")
LISTS = ("psus", "psu_redundancy", "fans")
# What only a BMC read gives: without a BMC these say why; the PSUs and the inlet are left to ipmitool and hwmon.
BMC_ONLY = ("psu_redundancy", "chassis_power_w", "chassis_power_limit_w", "chassis_power_source", "fans")
# Without $expand, only Sensors members named like an intake sensor are fetched one by one.
INTAKE_WORDS = ("intake", "inlet", "ambient")
NOT_SET = "NotSet"


def probe(ctx: ProbeContext) -> dict[str, Any]:
    target = ctx.bmc or BmcTarget()
    bmc = Record(url=target.url, url_source="--bmc" if target.url else None)
    if target.url is None:
        try:
            bmc.set("url", smbios.discover(ctx))
            bmc.set("url_source", "smbios")
        except Unreadable as exc:  # no BMC asked and none described: ipmitool and hwmon stay the sources
            return _failed(bmc, exc, fields=BMC_ONLY)
    from readycheck.probes import redfish_client  # here: a node without a BMC to read never loads the client

    url = bmc.values["url"]
    bmc.set("tls", "none" if url.startswith("http://") else "insecure" if target.insecure else "verified")
    if not ctx.live and bmc.values["url_source"] == "smbios":
        return _failed(bmc, Unreadable("NotLive", f"the host interface {url} was not read: reading {ctx.root}, "
                                                  f"not this machine"))
    box: dict[str, Any] = {}
    worker = threading.Thread(target=_read_into, args=(box, target, url), name="bmc-read", daemon=True)
    worker.start()
    worker.join(redfish_client.BUDGET_S + 1.0)  # the session's own deadline ends it first; this is the backstop
    if "host" not in box:
        failure = box.get("error") or Unreadable(TIMEOUT, f"the BMC read took longer than "
                                                          f"{redfish_client.BUDGET_S:g} s")
        return _failed(bmc, failure, target=target)
    found = box["bmc"]
    if found.values["error"]:
        found.set("error", target.redact(found.values["error"]))
    return {"bmc": {**bmc.values, **found.values, "unavailable": {**bmc.unavailable, **found.unavailable}},
            "host": box["host"].as_dict()}


def _read_into(box: dict[str, Any], target: BmcTarget, url: str) -> None:
    from dataclasses import replace

    from readycheck.probes import redfish_client

    try:
        session = redfish_client.Session(replace(target, url=url))
    except Unreadable as exc:
        box["error"] = exc
        return
    try:
        box["host"], box["bmc"] = read_chassis(Reader(session))
    except Unreadable as exc:
        box["error"] = exc
    except Exception as exc:  # noqa: BLE001 - a BMC's odd answer is a fact about the BMC, not a crash
        box["error"] = _odd(exc)
    finally:
        session.close()


def _failed(bmc: Record, failure: Unreadable, *, target: BmcTarget | None = None,
            fields: tuple[str, ...] = HOST_FIELDS) -> dict[str, Any]:
    """Nothing could be read from the BMC: its values null (lists empty) with the reason; `error` says why
    when a BMC was there to read. Only `fields` are given, so other probes may still fill the rest."""
    for field in ("url", "url_source", "tls"):
        if bmc.values.get(field) is None:
            bmc.missing(field, failure.reason)
    for field in ("redfish_version", "chassis"):
        bmc.missing(field, failure.reason)
    bmc.set("resources", [])
    asked = bmc.values["url"] is not None
    bmc.set("error", (target.redact(str(failure)) if target else str(failure)) if asked else None)
    host = Record()
    for field in fields:
        _unread(host, field, failure.reason)
    return {"bmc": bmc.as_dict(), "host": host.as_dict()}


def _unread(host: Record, field: str, reason: str) -> None:
    """A field the BMC did not give: a list empty, any other value null; the reason in `unavailable` either way."""
    if field in LISTS:
        host.set(field, [])
        host.unavailable[field] = reason
    else:
        host.missing(field, reason)


def _odd(exc: Exception) -> Unreadable:
    from readycheck.probes import redfish_client

    return Unreadable(redfish_client.BMC_ERROR,
                      f"the BMC answered with a resource of an unexpected shape ({type(exc).__name__})")


class Reader:
    """GETs through a session, each path once, and collections' members (expanded where the BMC can)."""

    def __init__(self, session):
        self.session = session
        self.root = session.root
        expand = (self.root.get("ProtocolFeaturesSupported") or {}).get("ExpandQuery") or {}
        self.expand = expand.get("NoLinks") is True
        self.cache: dict[str, dict[str, Any]] = {}
        self.resources: list[str] = []

    def get(self, path: str) -> dict[str, Any]:
        if path not in self.cache:
            self.cache[path] = self.session.get(path)
        return self.cache[path]

    def link(self, document: dict[str, Any], name: str) -> dict[str, Any] | None:
        """The resource `document[name]` links to, or None when it has no such link."""
        path = _odata_id(document.get(name))
        if path is None:
            return None
        return self.get(path)

    def members(self, collection: dict[str, Any] | None, select: Callable[[str], bool] = lambda path: True) -> list:
        """The members of a linked collection, fetched whole; `select` picks by path when each costs a GET."""
        path = _odata_id(collection)
        if path is None:
            return []
        if self.expand:
            items = self.get(f"{path}?$expand=.").get("Members") or []
        else:
            items = [item for item in self.get(path).get("Members") or [] if select(_odata_id(item) or "")]
        found = []
        for item in items:
            if isinstance(item, dict) and set(item) - {"@odata.id"}:
                found.append(item)
            elif _odata_id(item) is not None:
                found.append(self.get(_odata_id(item)))
        return found

    def used(self, resource: str) -> None:
        if resource not in self.resources:
            self.resources.append(resource)


def _odata_id(value: Any) -> str | None:
    path = value.get("@odata.id") if isinstance(value, dict) else None
    return path if isinstance(path, str) and path.startswith("/") else None


def find_chassis(reader: Reader) -> dict[str, Any]:
    """The first chassis with power resources: where the PSUs that feed this node are described."""
    for chassis in _chassis_members(reader):
        if "PowerSubsystem" in chassis or "Power" in chassis:
            return chassis
    raise Unreadable(NOT_FOUND, "no chassis of the BMC has PowerSubsystem or Power")


def _chassis_members(reader: Reader):
    collection = reader.link(reader.root, "Chassis")
    if collection is None:
        raise Unreadable(NOT_FOUND, "the BMC's service root links no Chassis")
    for item in collection.get("Members") or []:
        path = _odata_id(item)
        if path is not None:
            yield reader.get(path)


def read_chassis(reader: Reader) -> tuple[Record, Record]:
    """(host facts, bmc facts) from the chosen chassis; each group of values fails on its own."""
    chassis = find_chassis(reader)
    bmc = Record(chassis=_odata_id(chassis))
    version = reader.root.get("RedfishVersion")
    if isinstance(version, str):
        bmc.set("redfish_version", version)
    else:
        bmc.missing("redfish_version", NOT_IN_SOURCE)
    host = Record()
    problems: list[str] = []
    _read_group(host, problems, ("psus", "psu_redundancy"), lambda: _power_supplies(reader, chassis))
    _read_group(host, problems, ("inlet_temperature_c",), lambda: {"inlet_temperature_c": _intake(reader, chassis)})
    _read_group(host, problems, ("chassis_power_w", "chassis_power_limit_w"), lambda: chassis_power(reader, chassis))
    _read_group(host, problems, ("fans",), lambda: {"fans": _fans(reader, chassis)})
    for field, source in (("inlet_temperature_source", "inlet_temperature_c"), ("chassis_power_source",
                                                                                "chassis_power_w")):
        if host.values[source] is None:
            host.missing(field, host.unavailable[source])
        else:
            host.set(field, SOURCE)
    bmc.set("resources", list(reader.resources))
    bmc.set("error", "; ".join(dict.fromkeys(problems)) or None)
    return host, bmc


def _read_group(host: Record, problems: list[str], fields: tuple[str, ...],
                read: Callable[[], dict[str, Any]]) -> None:
    """Store what `read` returns for `fields`; an `Unreadable` leaves them all null (lists empty) with its reason.
    A value returned as an `Unreadable` is stored null with its own reason. Failures other than "the BMC does
    not show it" are added to `problems`."""
    try:
        values = read()
    except Unreadable as exc:
        values = {field: exc for field in fields}
    except Exception as exc:  # noqa: BLE001 - one odd resource spoils its own values only
        values = {field: _odd(exc) for field in fields}
    for field in fields:
        value = values.get(field)
        if not isinstance(value, Unreadable):
            host.set(field, value)
            continue
        _unread(host, field, value.reason)
        if value.reason not in (NOT_IN_SOURCE, NOT_SET):
            problems.append(str(value))


def _power_supplies(reader: Reader, chassis: dict[str, Any]) -> dict[str, Any]:
    subsystem = reader.link(chassis, "PowerSubsystem")
    if subsystem is not None:
        reader.used("PowerSubsystem")
        documents = reader.members(subsystem.get("PowerSupplies"))
        groups = [(g.get("RedundancyType"), g.get("MinNeededInGroup"), g.get("MaxSupportedInGroup"),
                   g.get("RedundancyGroup"), g.get("Status")) for g in subsystem.get("PowerSupplyRedundancy") or []
                  if isinstance(g, dict)]
    else:
        power = reader.link(chassis, "Power")
        reader.used("Power")
        documents = [d for d in (power or {}).get("PowerSupplies") or [] if isinstance(d, dict)]
        groups = [(g.get("Mode"), g.get("MinNumNeeded"), g.get("MaxNumSupported"), g.get("RedundancySet"),
                   g.get("Status")) for g in (power or {}).get("Redundancy") or [] if isinstance(g, dict)]
    psus = [power_supply(document) for document in documents]
    for psu, name in zip(psus, unique_names(documents)):
        psu["name"] = name
    names = {_odata_id(document): psu["name"] for document, psu in zip(documents, psus)}
    redundancy = [_redundancy(names, *group) for group in groups]
    result: dict[str, Any] = {"psus": psus, "psu_redundancy": redundancy}
    if not psus:
        result["psus"] = Unreadable(NOT_FOUND, "the BMC lists no power supply")
    if not redundancy:
        result["psu_redundancy"] = Unreadable(NOT_IN_SOURCE, "the BMC declares no power supply redundancy")
    return result


def unique_names(documents: list[dict[str, Any]]) -> list[str]:
    """Each resource's Name, with its Id (or MemberId) added where two share one."""
    names = [str(d.get("Name") or d.get("FanName") or d.get("Id") or d.get("MemberId") or f"#{i}")
             for i, d in enumerate(documents)]
    return [f"{name} ({d.get('Id') or d.get('MemberId') or i})" if names.count(name) > 1 else name
            for i, (name, d) in enumerate(zip(names, documents))]


def _status(document: dict[str, Any]) -> tuple[str | None, str | None]:
    status = document.get("Status") if isinstance(document.get("Status"), dict) else {}
    state, health = status.get("State"), status.get("Health")
    return (state if isinstance(state, str) else None), (health if isinstance(health, str) else None)


def _part(document: dict[str, Any]) -> Record:
    """name, present, ok, health of a PSU or fan from its Status (DSP0268 Resource.Status)."""
    state, health = _status(document)
    part = Record(name=None, present=None, ok=None, health=None)
    if state == "Absent":
        part.set("present", False)
    elif state is not None:
        part.set("present", True)
    else:
        part.missing("present", NOT_IN_SOURCE)
    if health is None:
        part.missing("health", NOT_IN_SOURCE)
    else:
        part.set("health", health)
    if state == "Absent" or health in UNHEALTHY or state in NOT_WORKING:
        part.set("ok", False)
    elif health == "OK" and state in WORKING + (None,):
        part.set("ok", True)
    else:
        part.missing("ok", NOT_IN_SOURCE)
    return part


def power_supply(document: dict[str, Any]) -> dict[str, Any]:
    """One PSU's facts from a PowerSupply resource or a legacy Power.PowerSupplies[] entry."""
    psu = _part(document)
    _number(psu, "capacity_w", document.get("PowerCapacityWatts"))
    voltage = document.get("InputNominalVoltageType") or document.get("LineInputVoltageType")
    if isinstance(voltage, str) and voltage != "Unknown":
        psu.set("input_voltage_type", voltage)
    else:
        psu.missing("input_voltage_type", NOT_IN_SOURCE)
    line = LINE_INPUT_OK.get(document.get("LineInputStatus"))
    if line is None or psu.values["present"] is False:
        psu.missing("line_input_ok", NOT_IN_SOURCE)
    else:
        psu.set("line_input_ok", line)
    psu.set("source", SOURCE)
    return psu.as_dict()


def _number(record: Record, field: str, value: Any) -> None:
    if _is_number(value):
        record.set(field, float(value))
    else:
        record.missing(field, NOT_IN_SOURCE)


def _redundancy(names: dict[str | None, str], mode, min_needed, max_in_group, members, status) -> dict[str, Any]:
    group = Record(mode=mode if isinstance(mode, str) else None)
    for field, value in (("min_needed", min_needed), ("max_in_group", max_in_group)):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            group.set(field, value)
        else:
            group.missing(field, NOT_IN_SOURCE)
    if group.values["mode"] is None:
        group.missing("mode", NOT_IN_SOURCE)
    group.set("members", [names.get(_odata_id(m), _odata_id(m)) for m in members or [] if _odata_id(m)])
    state, health = _status({"Status": status})
    group.set("state", state)
    group.set("health", health)
    group.set("source", SOURCE)
    return group.as_dict()


def _intake(reader: Reader, chassis: dict[str, Any]) -> float:
    subsystem = reader.link(chassis, "ThermalSubsystem")
    if subsystem is not None:
        reader.used("ThermalSubsystem")
        metrics = reader.link(subsystem, "ThermalMetrics") or {}
        intake = ((metrics.get("TemperatureSummaryCelsius") or {}).get("Intake") or {}).get("Reading")
        if _is_number(intake):
            return float(intake)
    if "Sensors" in chassis:
        reader.used("Sensors")
        for sensor in reader.members(chassis.get("Sensors"), _named_like_intake):
            state, _ = _status(sensor)
            celsius = sensor.get("ReadingUnits") == "Cel" or sensor.get("ReadingType") == "Temperature"
            if (sensor.get("PhysicalContext") == "Intake" and celsius and _is_number(sensor.get("Reading"))
                    and state not in ("Absent", "Disabled")):
                return float(sensor["Reading"])
    thermal = reader.link(chassis, "Thermal")
    if thermal is not None:
        reader.used("Thermal")
        for sensor in thermal.get("Temperatures") or []:
            state, _ = _status(sensor)
            if (sensor.get("PhysicalContext") == "Intake" and _is_number(sensor.get("ReadingCelsius"))
                    and state not in ("Absent", "Disabled")):
                return float(sensor["ReadingCelsius"])
    raise Unreadable(NOT_IN_SOURCE, "the BMC shows no intake temperature sensor")


def _named_like_intake(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    return any(word in last for word in INTAKE_WORDS)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def chassis_power(reader: Reader, chassis: dict[str, Any]) -> dict[str, Any]:
    """{"chassis_power_w": a float, "chassis_power_limit_w": a float or the `Unreadable` saying why not};
    raises `Unreadable` when the BMC shows no power reading."""
    metrics = reader.link(chassis, "EnvironmentMetrics")
    if metrics is not None and _is_number((metrics.get("PowerWatts") or {}).get("Reading")):
        reader.used("EnvironmentMetrics")
        limit = metrics.get("PowerLimitWatts")
        return {"chassis_power_w": float(metrics["PowerWatts"]["Reading"]),
                "chassis_power_limit_w": _limit(limit, "SetPoint")}
    power = reader.link(chassis, "Power")
    if power is not None:
        reader.used("Power")
        for control in power.get("PowerControl") or []:
            if isinstance(control, dict) and _is_number(control.get("PowerConsumedWatts")):
                return {"chassis_power_w": float(control["PowerConsumedWatts"]),
                        "chassis_power_limit_w": _limit(control.get("PowerLimit"), "LimitInWatts")}
    raise Unreadable(NOT_IN_SOURCE, "the BMC shows no chassis power reading")


def _limit(holder: Any, key: str) -> float | Unreadable:
    """The limit in watts; a limit object without a value means no limit is set (DSP0268: null when unset)."""
    if not isinstance(holder, dict):
        return Unreadable(NOT_IN_SOURCE, "the BMC shows no power limit")
    value = holder.get(key)
    if _is_number(value):
        return float(value)
    return Unreadable(NOT_SET, "the BMC sets no chassis power limit")


def _fans(reader: Reader, chassis: dict[str, Any]) -> list[dict[str, Any]]:
    subsystem = reader.link(chassis, "ThermalSubsystem")
    if subsystem is not None and "Fans" in subsystem:
        reader.used("ThermalSubsystem")
        documents = reader.members(subsystem.get("Fans"))
        speeds = [((d.get("SpeedPercent") or {}).get("Reading"), (d.get("SpeedPercent") or {}).get("SpeedRPM"))
                  for d in documents]
    else:
        thermal = reader.link(chassis, "Thermal")
        if thermal is None:
            raise Unreadable(NOT_IN_SOURCE, "the BMC shows no fans")
        reader.used("Thermal")
        documents = [d for d in thermal.get("Fans") or [] if isinstance(d, dict)]
        speeds = [(d.get("Reading"), None) if d.get("ReadingUnits") == "Percent" else (None, d.get("Reading"))
                  for d in documents]
    fans = []
    for document, name, (percent, rpm) in zip(documents, unique_names(documents), speeds):
        fan = _part(document)
        fan.set("name", name)
        _number(fan, "speed_pct", percent)
        _number(fan, "speed_rpm", rpm)
        fan.set("source", SOURCE)
        fans.append(fan.as_dict())
    if not fans:
        raise Unreadable(NOT_FOUND, "the BMC lists no fan")
    return fans
