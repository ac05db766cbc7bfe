"""Hypothesis strategies for facts snapshots, rule packs and site files, built from readycheck's own schemas.

`snapshots()` walks the (bounded) facts schema, FACTS_V1: every type, enum, pattern, bound and
required field it declares, so whatever the schema admits may be drawn, and nothing it refuses.
(hypothesis-jsonschema was tried first and fails on this Hypothesis version.) Lists are kept short
so an example runs in milliseconds; texts are drawn from the values real nodes report (GPU models,
driver versions, port states, clock event reasons, so the checks' deeper branches run) or are
arbitrary Unicode, control characters included. Every null value gets a reason in its object's
`unavailable` map, as the probes write them.

`packs()` draws rule-pack tables from each check's SETTINGS (types and ranges as the loader takes
them), `sites()` a site file whose racks hold the drawn nodes. `toml()` writes either as TOML.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hypothesis import strategies as st

from readycheck import checks
from readycheck.catalogue.clock_events import MEANING
from readycheck.facts.fields import IB_COUNTERS
from readycheck.facts.record import REASONS
from readycheck.facts.schema import FACTS_V1, Schema
from readycheck.probes import PROBES
from readycheck.rulepack import LINK_LAYERS, PLATFORM_KEYS
from readycheck.settings import LEAST, MOST
from readycheck.site import SIDES

BUSES = [f"00000000:{bus}:00.0" for bus in ("19", "3B", "4C", "5D", "9B", "BB", "CB", "DB")]
# Field name -> what real nodes report there (drawn half the time; arbitrary text otherwise).
TEXTS: dict[str, list[str]] = {
    "name": ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-80GB", "NVIDIA B200", "NVIDIA L40S", "NVIDIA H20",
             "NVIDIA GeForce RTX 4090", "Tesla T4", "eth0", "ib0", "nvme0n1", "PS1"],
    "hostname": ["gpu-b07-03", "gpu-b07-04", "gpu-b08-01", "node1"],
    "pci_bus_id": BUSES, "remote_pci_bus_id": BUSES,
    "driver_version": ["535.104.05", "550.54.15", "570.133.20", "525.60.13", "450.80.02", "banana", ""],
    "cuda_driver_version": ["12.2", "12.4", "12.8", "11.0", "13.0", "x"],
    "nvml_version": ["12.535.104.05", "12.550.54.15"],
    "version": ["535.104.05", "550.54.15", "580.82.07"],
    "vbios_version": ["96.00.74.00.0D", "96.00.99.00.01", "92.00.45.00.03"],
    "fw_version": ["28.39.1002", "28.40.1000", "20.31.2006"], "board_id": ["MT_0000000838", "MT_0000000223"],
    "hca_type": ["MT4129", "MT4123", "MT4125"], "device": ["mlx5_0", "mlx5_1", "mlx5_bond_0"],
    "state": ["ACTIVE", "DOWN", "INIT", "ARMED", "completed", "in_progress", "not_started", "not_supported"],
    "status": ["success", "Success", "failure"],
    "phys_state": ["LinkUp", "Polling", "Disabled"], "link_layer": ["InfiniBand", "Ethernet"],
    "operstate": ["up", "down", "unknown", "lowerlayerdown", "dormant"],
    "netdev": ["ib0", "ibp24s0"], "driver": ["mlx5_core", "ixgbe", "bnxt_en"],
    "clocks_event_reasons": sorted(MEANING),
    "compute_mode": ["Default", "Exclusive_Process", "Prohibited"], "pstate": ["P0", "P2", "P8"],
    "transport": ["nvme", "sata", "usb"], "model": ["SAMSUNG MZQL23T8HCLS-00A07", "Micron_7450"],
    "mountpoint": ["/", "/raid", "/boot", "/data"], "fstype": ["ext4", "xfs", "tmpfs"],
    "probe": [name for name, _ in PROBES], "cpu_model": ["Intel(R) Xeon(R) Platinum 8480C", "AMD EPYC 9654"],
    "collected_at": ["2026-11-27T12:00:00Z", "2026-11-27T12:00:00+02:00", "yesterday"],
    "backend": ["dcgm", "gpu_burn", "builtin"], "format": ["nvidia-smi-xml", "ibstat"],
    "serial": ["1650124031590", "1650124031591"], "uuid": ["GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8a0"],
    # the BMC over Redfish, --perf, and Xid lines whose words health.xid reads (154's action, NVLink5's link)
    "health": ["OK", "Warning", "Critical"], "mode": ["NPlusM", "Sparing", "NotRedundant"],
    "members": ["PS1", "PS2"], "resources": ["PowerSubsystem", "ThermalSubsystem", "Power", "Thermal"],
    "op": ["all_reduce"], "memory": ["gpu0", "host"],
    "message": ["GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)",
                "Link 04 (0x00000000 0x00000020 0x00000000 0x00000000 0x00000000 0x00000000)"],
}
MAP_KEYS = {"kernel_modules": ["nvidia", "nvidia_uvm", "nvidia_peermem", "nvidia_modeset"],
            "counters": list(IB_COUNTERS), "gpu_paths": BUSES}
# Most items of a list in an example; the schema's own bound caps it too.
ITEMS = {"gpus": 4, "topology": 6, "samples": 8, "nvlinks": 3, "chassis": 3}
TEXT = st.text(max_size=12)


def _types(node: Schema) -> list[str]:
    names = node.get("type", [])
    return [names] if isinstance(names, str) else list(names)


def _number(node: Schema, integer: bool) -> st.SearchStrategy:
    low, high = node.get("minimum"), node.get("maximum")
    whole = st.integers(None if low is None else math.ceil(low), None if high is None else math.floor(high))
    if integer:
        return whole
    return whole | st.floats(low, high, allow_nan=False, allow_infinity=False)


def _text(node: Schema, name: str) -> st.SearchStrategy:
    if "pattern" in node:
        return st.from_regex(node["pattern"], fullmatch=True)
    size = node.get("maxLength", 12)
    arbitrary = st.text(max_size=min(size, 12))
    return st.sampled_from(TEXTS[name]) | arbitrary if name in TEXTS else arbitrary


def _scalar(node: Schema, kind: str, name: str) -> st.SearchStrategy:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        return _number(node, kind == "integer")
    if kind == "string":
        return _text(node, name)
    if kind == "array":
        return _array(node, name)
    return _object(node, name)


def strategy(node: Schema, name: str = "") -> st.SearchStrategy:
    """Values of one schema node; `name` is the field's (an array's items and a map's values take
    the array's or map's)."""
    if "enum" in node:
        return st.sampled_from(node["enum"])
    return st.one_of([_scalar(node, kind, name) for kind in _types(node)])


def _array(node: Schema, name: str) -> st.SearchStrategy:
    most = min(ITEMS.get(name, 3), node.get("maxItems", 3))
    return st.lists(strategy(node.get("items", {}), name), max_size=most)


def _object(node: Schema, name: str) -> st.SearchStrategy:
    properties = node.get("properties", {})
    extra = node.get("additionalProperties")
    if not properties and isinstance(extra, dict):  # a map
        keys = st.sampled_from(MAP_KEYS[name]) | TEXT if name in MAP_KEYS else TEXT
        return st.dictionaries(keys, strategy(extra, name), max_size=min(4, node.get("maxProperties", 4)))
    required = [key for key in node.get("required", ()) if key != "unavailable"]
    optional = [key for key in properties if key not in required and key != "unavailable"]
    fields = st.fixed_dictionaries({key: strategy(properties[key], key) for key in required},
                                   optional={key: strategy(properties[key], key) for key in optional})
    if "unavailable" not in properties:
        return fields
    return st.tuples(fields, st.lists(st.sampled_from(sorted(REASONS)), min_size=1, max_size=3)).map(_with_reasons)


def _with_reasons(drawn: tuple[dict[str, Any], list[str]]) -> dict[str, Any]:
    """The object with its `unavailable` map: a reason for each null field, as a probe writes it (the
    drawn reasons in turn)."""
    values, reasons = drawn
    nulls = [key for key, value in values.items() if value is None]
    return {**values, "unavailable": {key: reasons[i % len(reasons)] for i, key in enumerate(nulls)}}


def snapshots() -> st.SearchStrategy:
    """Snapshots FACTS_V1 admits."""
    return strategy(FACTS_V1)


def _setting(setting) -> st.SearchStrategy:
    listed = setting.kind.startswith("list[")
    kind = setting.kind[5:-1] if listed else setting.kind
    low = LEAST if setting.low is None else setting.low
    high = MOST if setting.high is None else setting.high
    item = {
        "int": st.integers(math.ceil(low), math.floor(high)),
        "float": st.floats(low, high, allow_nan=False, allow_infinity=False) | st.integers(math.ceil(low),
                                                                                        math.floor(high)),
        "bool": st.booleans(),
        "bool|any": st.booleans() | st.just("any"),
        "str": st.sampled_from(_SETTING_TEXTS) | TEXT,
        "version": st.sampled_from(["535.104.05", "550.", "12.4", "570.133.20"]),
    }[kind]
    return st.lists(item, max_size=3) if listed else item


_SETTING_TEXTS = ["nvidia", "nvidia_uvm", "NV18", "PIX", "SYS", "InfiniBand", "Ethernet", "525", "mlx5_0=gpu0",
                  "hw_slowdown", "sw_power_cap", "driver_version", "vbios", "H100", "eth0", "/raid"]


def packs() -> st.SearchStrategy:
    """A rule pack's top level: a built-in base, and tables for some checks with settings drawn
    from their types and ranges (some of them a check's own `validate` refuses, as a pack may)."""
    def table(check_id: str) -> st.SearchStrategy:
        settings = checks.load(check_id).SETTINGS
        policy = {"enabled": st.booleans(), "required": st.booleans(), "severity": st.sampled_from(["fail", "warn"])}
        return st.fixed_dictionaries({}, optional={**policy, **{k: _setting(s) for k, s in settings.items()}})

    tables = st.lists(st.sampled_from(checks.all_ids()), max_size=6, unique=True).flatmap(
        lambda ids: st.fixed_dictionaries({check_id: table(check_id) for check_id in ids}))
    base = st.sampled_from(["base", "hgx-h100", "dgx-a100", "hgx-b200", "l40s"])
    platform = st.fixed_dictionaries({}, optional={
        name: st.sampled_from(list(LINK_LAYERS)) if name == "compute_link_layer" else _setting(setting)
        for name, setting in PLATFORM_KEYS.items()})
    return st.fixed_dictionaries({"extends": base, "checks": tables}, optional={"platform": platform})


def sites(hostnames: list[str]) -> st.SearchStrategy:
    """A site file with one or two racks holding (some of) `hostnames` by name or by glob."""
    feed = st.fixed_dictionaries(
        {"name": st.sampled_from(["A", "B"]), "volts": st.sampled_from([208, 230, 415, 480, 12]),
         "amps": st.integers(1, 6300), "phases": st.sampled_from([1, 3])},
        optional={"power_factor": st.floats(0.5, 1), "derate": st.floats(0.5, 1), "side": st.sampled_from(SIDES)})
    pattern = st.sampled_from(hostnames + [h[:-1] + "*" for h in hostnames if h] + ["*", "gpu-b0?-*"]) \
        if hostnames else st.just("*")
    rack = st.fixed_dictionaries(
        {"name": st.sampled_from(["B07", "B08"]), "nodes": st.lists(pattern, min_size=1, max_size=2),
         "feed": st.lists(feed, min_size=1, max_size=2)},
        optional={"redundancy": st.sampled_from(["N", "2N"]), "air_cooling_kw": st.floats(0, 10_000),
                  "liquid_cooling_kw": st.floats(0, 10_000), "liquid_fraction": st.floats(0, 1),
                  "node_count": st.integers(1, 1000)})
    racks = st.lists(rack, min_size=1, max_size=2, unique_by=lambda r: r["name"])
    return st.fixed_dictionaries({"site": st.fixed_dictionaries({"name": st.just("hall")}, optional={
        "ashrae_class": st.sampled_from(["A1", "A2", "A3", "A4", "H1"])}), "rack": racks})


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes, which TOML shares, plus DEL, which JSON leaves raw."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml_value, value)) + "]"
    return repr(float(value)) if isinstance(value, float) else str(value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def toml(data: dict[str, Any], prefix: str = "") -> str:
    """`data` as TOML: scalars and lists first, then tables, then arrays of tables (`[[rack.feed]]`)."""
    lines, tables = [], []
    for key, value in data.items():
        path = f"{prefix}.{_key(key)}" if prefix else _key(key)
        if isinstance(value, dict):
            tables.append(f"\n[{path}]\n" + toml(value, path))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            tables.extend(f"\n[[{path}]]\n" + toml(item, path) for item in value)
        else:
            lines.append(f"{_key(key)} = {_toml_value(value)}\n")
    return "".join(lines) + "".join(tables)

