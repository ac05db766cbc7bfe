"""JSON Schema of facts v1, and the small validator readycheck runs on every snapshot it reads.

The schema is the machine-readable form of the facts contract: every field a
check may rely on is required and typed (a missing value is `null`, never an
absent key), while extra fields are allowed so a snapshot from a newer 1.x
tool stays readable. `readycheck schema` prints it for other tools.

The validator understands the subset of JSON Schema used here (type, enum,
properties, required, additionalProperties, items, minimum). It is written
out rather than taken from the `jsonschema` package so a GPU node needs no
further dependency; the test suite checks this schema and these snapshots with
`jsonschema` itself to keep the two honest.
"""

from __future__ import annotations

import math
import re
from typing import Any

from readycheck.facts.fields import DMI_FIELDS, IB_COUNTERS, SCHEMA_ID

Schema = dict[str, Any]


def _t(*types: str) -> Schema:
    return {"type": list(types) if len(types) > 1 else types[0]}


def _obj(fields: dict[str, Schema], *, reasons: bool | str = True) -> Schema:
    """An object whose fields are all required; `reasons` adds its `unavailable` map (or "optional")."""
    required = list(fields)
    properties = dict(fields)
    if reasons:
        properties["unavailable"] = {"type": "object", "additionalProperties": {"type": "string"}}
        if reasons != "optional":
            required.append("unavailable")
    return {"type": "object", "properties": properties, "required": required}


def _arr(item: Schema) -> Schema:
    return {"type": "array", "items": item}


STR = _t("string", "null")
INT = _t("integer", "null")
NUM = _t("number", "null")
BOOL = _t("boolean", "null")
# An error or event counter: a negative one would read as "no errors".
COUNT = {"type": ["integer", "null"], "minimum": 0}


def _nullable_obj(fields: dict[str, Schema]) -> Schema:
    return {**_obj(fields, reasons=False), "type": ["object", "null"]}


GPU = _obj({
    # null only in an import of some of a node's GPUs (`nvidia-smi -q -i N`), which does not show it
    "index": {"type": ["integer", "null"], "minimum": 0},
    **{f: STR for f in ("name", "uuid", "serial", "board_part_number", "pci_bus_id", "pci_device_id",
                        "vbios_version", "inforom_version")},
    "memory_total_mib": NUM, "numa_node": INT,
    **{f: BOOL for f in ("persistence_mode", "ecc_mode_current", "ecc_mode_pending", "mig_mode_current")},
    "compute_mode": STR,
    **{f: NUM for f in ("temperature_gpu_c", "temperature_memory_c", "temperature_slowdown_c",
                        "temperature_shutdown_c", "temperature_gpu_max_c", "temperature_memory_max_c",
                        "fan_speed_pct", "power_draw_w", "power_limit_w", "power_limit_default_w",
                        "power_limit_min_w", "power_limit_max_w", "energy_consumption_j",
                        "clocks_sm_mhz", "clocks_mem_mhz", "clocks_max_sm_mhz", "clocks_max_mem_mhz")},
    "pstate": STR,
    "clocks_event_reasons": {"type": ["array", "null"], "items": {"type": "string"}},
    **{f: INT for f in ("pcie_link_gen_current", "pcie_link_gen_max", "pcie_link_gen_gpu_max",
                        "pcie_link_width_current", "pcie_link_width_max")},
    "pcie_replay_counter": COUNT,
    "ecc_errors": _nullable_obj({n: COUNT for n in ("volatile_corrected", "volatile_uncorrected",
                                                    "aggregate_corrected", "aggregate_uncorrected")}),
    "retired_pages": _nullable_obj({"single_bit": COUNT, "double_bit": COUNT, "pending": BOOL}),
    "remapped_rows": _nullable_obj({"correctable": COUNT, "uncorrectable": COUNT, "pending": BOOL,
                                    "failure": BOOL}),
    "nvlinks": {"type": ["array", "null"], "items": _obj({
        "link": {"type": "integer", "minimum": 0}, "active": BOOL, "version": INT,
        "remote_pci_bus_id": STR,
        "remote_device_type": {"enum": ["gpu", "switch", "ibmnpu", None]},
        "crc_errors": COUNT, "replay_errors": COUNT, "recovery_errors": COUNT,
    }, reasons=False)},
    "fabric": _nullable_obj({"state": STR, "status": STR, "clique_id": INT}),
})
# fabric.health came after facts 1.0: optional, so snapshots and captures without it stay valid.
GPU["properties"]["fabric"]["properties"]["health"] = {"type": ["array", "null"], "items": {"type": "string"}}

HOST = _obj({
    **{f: STR for f in ("hostname", "os", "kernel", "arch", "cpu_model")},
    **{f: INT for f in ("cpu_sockets", "cpu_cores", "cpu_threads", "numa_nodes")},
    "memory_total_mib": NUM,
    "inlet_temperature_c": NUM,
    "dmi": _obj({f: STR for f in DMI_FIELDS}),
    "psus": _arr(_obj({"name": STR, "present": BOOL, "ok": BOOL, "capacity_w": NUM}, reasons=False)),
    "block_devices": _arr(_obj({
        "name": {"type": "string"}, "model": STR, "serial": STR, "size_bytes": INT, "rotational": BOOL,
        "transport": STR, "pcie_link_gen_current": INT, "pcie_link_width_current": INT, "numa_node": INT,
    }, reasons="optional")),
    "filesystems": _arr(_obj({
        "mountpoint": {"type": "string"}, "device": STR, "fstype": STR, "size_bytes": INT, "free_bytes": INT,
    }, reasons="optional")),
})
# `scan --storage-test PATH` (readycheck/probes/storage_test.py): beyond facts v1, absent when not run, so
# typed when present but not required (older snapshots lack it).
HOST["properties"]["storage_test"] = _obj({
    "path": STR,
    "files": {"type": ["integer", "null"], "minimum": 0},
    "bytes": {"type": ["integer", "null"], "minimum": 0},
    "seconds": {"type": ["number", "null"], "minimum": 0},
    "gb_per_s": {"type": ["number", "null"], "minimum": 0},
    "stopped_by": {"enum": ["bytes", "seconds", "end", None]},
}, reasons="optional")

# The node's power and cooling as its BMC reports them (readycheck/probes/bmc.py over Redfish, else
# readycheck/probes/host.py from ipmitool and hwmon): beyond facts v1, typed when present but not required
# (older snapshots and imports lack them). `source` says which one each value came from.
BMC_SOURCE = {"enum": ["redfish", "ipmitool", None]}
HOST["properties"]["psus"]["items"]["properties"].update({
    "health": STR, "input_voltage_type": STR, "line_input_ok": BOOL, "source": BMC_SOURCE,
    "unavailable": {"type": "object", "additionalProperties": {"type": "string"}},
})
HOST["properties"].update({
    "inlet_temperature_source": {"enum": ["redfish", "ipmitool", "hwmon", None]},
    "chassis_power_w": {"type": ["number", "null"], "minimum": 0},
    "chassis_power_limit_w": {"type": ["number", "null"], "minimum": 0},
    "chassis_power_source": BMC_SOURCE,
    "psu_redundancy": _arr(_obj({
        "mode": STR, "min_needed": {"type": ["integer", "null"], "minimum": 0},
        "max_in_group": {"type": ["integer", "null"], "minimum": 0},
        "members": _arr({"type": "string"}), "state": STR, "health": STR, "source": BMC_SOURCE,
    }, reasons="optional")),
    "fans": _arr(_obj({
        "name": STR, "present": BOOL, "ok": BOOL, "health": STR, "speed_pct": NUM, "speed_rpm": NUM,
        "source": BMC_SOURCE,
    }, reasons="optional")),
})
# Which BMC was read over Redfish and how (top level, absent in older snapshots and imports).
BMC = _obj({
    "url": STR,
    "url_source": {"enum": ["--bmc", "smbios", None]},
    "tls": {"enum": ["verified", "insecure", "none", None]},
    "redfish_version": STR, "chassis": STR,
    "resources": _arr({"type": "string"}),
    "error": STR,
})

NVIDIA = _obj({
    "nvml_available": {"type": "boolean"},
    "nvml_error": STR,
    "driver_version": STR, "cuda_driver_version": STR, "nvml_version": STR,
    "kernel_modules": {"type": "object", "additionalProperties": STR},
    "fabricmanager": _obj({"installed": BOOL, "active": BOOL, "version": STR}, reasons=False),
    "persistenced": _obj({"active": BOOL}, reasons=False),
})

# Beyond facts v1 (readycheck/probes/driver.py): "open" or "proprietary" kernel module, from
# /proc/driver/nvidia/version; typed when present but not required (older snapshots and imports lack it).
NVIDIA["properties"]["kernel_module_type"] = {"enum": ["open", "proprietary", None]}

INFINIBAND_PORT = _obj({
    "device": {"type": "string"}, "port": {"type": "integer"},
    **{f: STR for f in ("state", "phys_state", "link_layer", "fw_version", "board_id", "pci_bus_id",
                        "netdev")},
    "rate_gbps": NUM, "numa_node": INT,
    "counters": {"type": "object", "additionalProperties": COUNT},
})
# Beyond facts v1 (readycheck/probes/infiniband.py): GPU bus id -> the PCIe path in `nvidia-smi topo -m`
# words; typed when present but not required (older snapshots and imports lack it).
INFINIBAND_PORT["properties"]["gpu_paths"] = {
    "type": ["object", "null"], "additionalProperties": {"enum": ["PIX", "PXB", "PHB", "NODE", "SYS"]},
}

NETWORK_INTERFACE = _obj({
    "name": {"type": "string"}, "up": BOOL, "speed_mbps": NUM, "mtu": INT,
    "driver": STR, "pci_bus_id": STR, "numa_node": INT,
})

LOAD: Schema = {**_obj({
    "backend": STR,
    "seconds": {"type": "number"},
    "interval_s": {"type": "number"},
    "samples": _arr(_obj({
        "t": {"type": "number"}, "gpu": {"type": "integer"}, "power_draw_w": NUM, "temperature_gpu_c": NUM,
        "temperature_memory_c": NUM, "clocks_sm_mhz": NUM,
        "clocks_event_reasons": {"type": ["array", "null"], "items": {"type": "string"}},
    }, reasons="optional")),
    "errors": _arr({"type": "string"}),
}, reasons=False), "type": ["object", "null"]}

# `scan --load`: the millisecond power peaks read from NVML's sample buffer (readycheck/load/transients.py);
# typed when present, not required (older snapshots lack it).
LOAD["properties"]["power_peaks"] = {**_obj({
    "window_ms": NUM,
    "node_peak_w": NUM,
    "gpus": _arr(_obj({"gpu": {"type": "integer"}, "peak_w": NUM, "samples": {"type": "integer", "minimum": 0}})),
}), "type": ["object", "null"]}

# `scan --perf` (readycheck/perf/): beyond facts v1, absent when not run, so typed when present but not
# required. GPU-side figures in GB/s, network figures in Gb/s, GEMM in TFLOPS.
GB_PER_S = {"type": ["number", "null"], "minimum": 0}
PERF: Schema = {**_obj({
    "backend": STR,
    "seconds": {"type": "number", "minimum": 0},
    "status": {"enum": ["completed", "interrupted", "unavailable"]},
    "gpus": _arr(_obj({
        "index": {"type": "integer", "minimum": 0},
        "h2d_gb_per_s": GB_PER_S, "d2h_gb_per_s": GB_PER_S, "memory_bandwidth_gb_per_s": GB_PER_S,
        "gemm_tflops": _obj({dtype: GB_PER_S for dtype in ("bf16", "fp16", "tf32", "fp8")}),
    })),
    "p2p": _arr(_obj({"gpu_a": {"type": "integer"}, "gpu_b": {"type": "integer"}, "bandwidth_gb_per_s": GB_PER_S})),
    "nccl": _arr(_obj({"op": {"type": "string"}, "ranks": {"type": "integer", "minimum": 1},
                       "size_bytes": {"type": "integer", "minimum": 0}, "busbw_gb_per_s": GB_PER_S})),
    "ib": _arr(_obj({"device": {"type": "string"}, "port": {"type": "integer"}, "bandwidth_gbps": GB_PER_S})),
    "errors": _arr({"type": "string"}),
}), "type": ["object", "null"]}

FACTS_V1: Schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://readycheck.invalid/schema/facts-v1.json",
    "title": "readycheck facts snapshot, version 1",
    **_obj({
        "schema": {"enum": [SCHEMA_ID]},
        "collected_at": {"type": "string"},
        "readycheck_version": {"type": "string"},
        "source": {"type": "string"},
        "host": HOST,
        "nvidia": NVIDIA,
        "gpus": _arr(GPU),
        "topology": _arr(_obj({
            "gpu_a": {"type": "integer"}, "gpu_b": {"type": "integer"},
            "link": {"type": ["string", "null"], "pattern": "^(NV[0-9]+|PIX|PXB|PHB|NODE|SYS)$"},
        }, reasons="optional")),
        "infiniband": _arr(INFINIBAND_PORT),
        "network_interfaces": _arr(NETWORK_INTERFACE),
        "xid_events": _arr(_obj({"xid": {"type": "integer"}, "pci_bus_id": STR, "timestamp": STR,
                                 "message": {"type": "string"}}, reasons=False)),
        "load": LOAD,
        "probe_errors": _arr(_obj({"probe": {"type": "string"}, "error": {"type": "string"}},
                                  reasons=False)),
    }, reasons=False),
}
FACTS_V1["properties"]["bmc"] = BMC


def _add_optional(node: Schema, fields: dict[str, Schema]) -> None:
    """Fields added beyond facts v1 as first written: typed when present, never required, so a snapshot
    of an older 1.x tool stays valid. docs/facts.md marks them "optional"."""
    node.setdefault("properties", {}).update(fields)


_UNAVAILABLE: Schema = {"unavailable": {"type": "object", "additionalProperties": {"type": "string"}}}
_add_optional(GPU, {"mig_mode_pending": BOOL, "temperature_gpu_tlimit_c": NUM})
for _group in ("ecc_errors", "retired_pages", "remapped_rows", "fabric"):
    _add_optional(GPU["properties"][_group], _UNAVAILABLE)
_add_optional(GPU["properties"]["nvlinks"]["items"], _UNAVAILABLE)
_add_optional(HOST["properties"]["psus"]["items"], _UNAVAILABLE)
_add_optional(HOST["properties"]["block_devices"]["items"], {"pcie_link_gen_max": INT, "pcie_link_width_max": INT,
                                                          "pcie_link_gen_port_max": INT,
                                                          "pcie_link_width_port_max": INT})
_add_optional(NVIDIA, {"attached_gpus": {"type": "integer", "minimum": 0}})
_add_optional(INFINIBAND_PORT, {"hca_type": STR})
_add_optional(INFINIBAND_PORT["properties"]["counters"], {name: COUNT for name in IB_COUNTERS})
_add_optional(NETWORK_INTERFACE, {"operstate": STR})
_add_optional(LOAD, {
    "status": {"enum": ["completed", "interrupted", "backend_failed", "unavailable"]},
    "reason": STR,
    "elapsed_s": {"type": "number", "minimum": 0},
    "chassis": _arr(_obj({"t": {"type": "number"}, "power_w": NUM}, reasons=False)),
    "chassis_unavailable": STR, "chassis_source": STR,
})
_add_optional(FACTS_V1, {"imported_from": _arr(_obj({
    "file": {"type": "string"}, "format": {"type": "string"}, "timestamp": STR,
}, reasons=False))})
_add_optional(FACTS_V1["properties"]["imported_from"]["items"], {"notes": _arr({"type": "string"})})
_add_optional(FACTS_V1["properties"]["imported_from"]["items"], {"sha256": STR})


FACTS_V1["properties"]["perf"] = PERF  # optional: a snapshot without a --perf run stays valid
_add_optional(PERF, {"elapsed_s": {"type": "number", "minimum": 0}, "reason": STR,
                     "sources": {"type": "object", "additionalProperties": {"type": "string"}}})
_add_optional(PERF["properties"]["p2p"]["items"], {"a_to_b_gb_per_s": GB_PER_S, "b_to_a_gb_per_s": GB_PER_S})
_add_optional(PERF["properties"]["ib"]["items"], {"memory": STR})

# JSON type -> the Python types json.loads gives for it. `type(v) in ...` (not isinstance) keeps
# booleans out of integer and number; an integral float is an integer, as JSON Schema says.
_PY_TYPES = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),
}

Problems = list  # of str, shared by the compiled validators of one run


def _compile(node: Schema) -> tuple[frozenset, Any, float | None]:
    """Turn a schema node into (fast types, function(value, path, problems), minimum); done once per schema.

    A snapshot has about two thousand values and every `check` of a fleet validates thousands of
    snapshots, so the work per value is kept small: a node that only constrains the type (most
    scalars) also gives its accepted Python types, which the parent tests inline, calling the
    function only for a mismatch, and containers and constrained values always."""
    names = node.get("type")
    names = (names,) if isinstance(names, str) else tuple(names or ())
    allowed = frozenset(t for name in names for t in _PY_TYPES[name])
    integral_float = "integer" in names and "number" not in names
    enum = node.get("enum")
    pattern = re.compile(node["pattern"]) if "pattern" in node else None
    minimum = node.get("minimum")
    properties = {key: _compile(child) for key, child in node.get("properties", {}).items()}
    extra = node.get("additionalProperties", True)
    extra = _compile(extra) if isinstance(extra, dict) else None
    required = tuple(node.get("required", ()))
    items = _compile(node["items"]) if "items" in node else None

    def check(value: Any, path: tuple, problems: Problems) -> None:
        kind = type(value)
        if allowed and kind not in allowed and not (integral_float and kind is float and value.is_integer()):
            problems.append(f"key {_path(path)}: expected {' or '.join(names)}, found {_describe(value)}")
            return
        if enum is not None and value not in enum:
            problems.append(f"key {_path(path)}: {value!r} is not one of {enum}")
        if pattern is not None and kind is str and not pattern.search(value):
            problems.append(f"key {_path(path)}: {value!r} does not match {pattern.pattern}")
        if kind is float and not math.isfinite(value):  # 1e999 parses to inf; every comparison would pass
            problems.append(f"key {_path(path)}: {value} is not a finite number")
        if minimum is not None and kind in (int, float) and value < minimum:
            problems.append(f"key {_path(path)}: {value} is below {minimum}")
        if kind is dict:
            for key, item in value.items():
                child = properties.get(key, extra)
                if child is None:
                    continue
                fast, function, low = child
                if not (type(item) in fast and (low is None or item is None or item >= low)):
                    function(item, (path, key), problems)
            problems.extend(f"key {_path((path, key))}: missing" for key in required if key not in value)
        elif kind is list and items is not None:
            fast, function, low = items
            for i, item in enumerate(value):
                if len(problems) >= LIMIT:  # a huge wrong array must not become a million messages
                    return
                if not (type(item) in fast and (low is None or item is None or item >= low)):
                    function(item, (path, i), problems)

    plain = allowed and not ({dict, list} & allowed) and enum is None and pattern is None
    # Floats always take the full check (it refuses infinities); a plain node's minimum (counters:
    # 0) is tested inline too, strings and booleans never having one.
    if plain and minimum is not None and allowed - {int, float, type(None)}:
        plain = False
    return (allowed - {float} if plain else frozenset()), check, minimum


_COMPILED: dict[int, Any] = {}
LIMIT = 20


def validate(instance: Any, schema: Schema = FACTS_V1, limit: int = LIMIT) -> list[str]:
    """Return up to `limit` problems as 'key json.path: what is wrong'; an empty list means valid.

    The path is a chain of (parent, key) pairs, turned into text only for a problem."""
    compiled = _COMPILED.get(id(schema))
    if compiled is None:
        compiled = _COMPILED[id(schema)] = _compile(schema)[1]
    problems: Problems = []
    compiled(instance, None, problems)
    return problems[:limit]


def _path(chain: tuple | None) -> str:
    parts = []
    while chain is not None:
        chain, part = chain
        parts.append(part)
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in reversed(parts)).lstrip(".")
    return text or "(top level)"


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    kind = {dict: "object", list: "array", str: "string", bool: "boolean"}.get(type(value))
    return kind or ("number" if isinstance(value, (int, float)) else type(value).__name__)
