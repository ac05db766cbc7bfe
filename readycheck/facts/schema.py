"""JSON Schema of facts v1, and the small validator readycheck runs on every snapshot it reads.

The schema is the machine-readable form of the facts contract: every field a
check may rely on is required and typed (a missing value is `null`, never an
absent key), while extra fields are allowed so a snapshot from a newer 1.x
tool stays readable. `readycheck schema` prints it for other tools.

The validator understands the subset of JSON Schema used here (type, enum,
pattern, properties, required, additionalProperties, items, minimum, maximum,
maxLength, maxItems, maxProperties). It is written
out rather than taken from the `jsonschema` package so a GPU node needs no
further dependency; the test suite checks this schema and these snapshots with
`jsonschema` itself to keep the two honest.
"""

from __future__ import annotations

import math
import re
from typing import Any

from readycheck.facts.fields import (
    DMI_FIELDS,
    ECC_ERROR_FIELDS,
    IB_COUNTERS,
    NVLINK_ERROR_FIELDS,
    REMAPPED_ROW_FIELDS,
    RETIRED_PAGE_FIELDS,
    SCHEMA_ID,
)

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
    "ecc_errors": _nullable_obj(dict.fromkeys(ECC_ERROR_FIELDS, COUNT)),
    "retired_pages": _nullable_obj({**dict.fromkeys(RETIRED_PAGE_FIELDS, COUNT), "pending": BOOL}),
    "remapped_rows": _nullable_obj({**dict.fromkeys(REMAPPED_ROW_FIELDS, COUNT), "pending": BOOL, "failure": BOOL}),
    "nvlinks": {"type": ["array", "null"], "items": _obj({
        "link": {"type": "integer", "minimum": 0}, "active": BOOL, "version": INT,
        "remote_pci_bus_id": STR,
        "remote_device_type": {"enum": ["gpu", "switch", "ibmnpu", None]},
        **dict.fromkeys(NVLINK_ERROR_FIELDS, COUNT),
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

XID_EVENT = _obj({"xid": {"type": "integer"}, "pci_bus_id": STR, "timestamp": STR, "message": {"type": "string"}},
                 reasons=False)
# Beyond facts v1 (readycheck/probes/xid.py): the MIG GPU and compute instance a line names; typed when
# present but not required (older snapshots lack them).
XID_EVENT["properties"].update(gpu_instance=COUNT, compute_instance=COUNT)

LOAD_SAMPLE = _obj({
    "t": {"type": "number"}, "gpu": {"type": "integer"}, "power_draw_w": NUM, "temperature_gpu_c": NUM,
    "temperature_memory_c": NUM, "clocks_sm_mhz": NUM,
    "clocks_event_reasons": {"type": ["array", "null"], "items": {"type": "string"}},
}, reasons="optional")
# Beyond facts v1 (readycheck/probes/nvml.py sample()): the PCIe link under load; typed when present.
LOAD_SAMPLE["properties"].update(pcie_link_gen_current=INT, pcie_link_width_current=INT)
LOAD_COUNTERS = _obj({
    "t": {"type": "number"}, "gpu": {"type": "integer"}, "pcie_replay_counter": COUNT,
    "nvlinks": {"type": ["array", "null"], "items": _obj({
        "link": {"type": "integer", "minimum": 0}, **dict.fromkeys(NVLINK_ERROR_FIELDS, COUNT)}, reasons="optional")},
})
LOAD: Schema = {**_obj({
    "backend": STR,
    "seconds": {"type": "number"},
    "interval_s": {"type": "number"},
    "samples": _arr(LOAD_SAMPLE),
    "errors": _arr({"type": "string"}),
}, reasons=False), "type": ["object", "null"]}
# Beyond facts v1 (readycheck/load/runner.py): the error counters at the start and the end of the load
# phase; typed when present but not required (older snapshots lack them).
LOAD["properties"]["counters"] = _obj({"start": _arr(LOAD_COUNTERS), "end": _arr(LOAD_COUNTERS)}, reasons=False)

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
        "xid_events": _arr(XID_EVENT),
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

# Bounds. A value outside them is not a reading but a corrupted or hostile file, refused (exit 2, naming
# the key) before any check compares it: a 400-digit integer never reaches float(), 8,000 GPUs never
# reach a report, a hostname of a million characters is never printed once per finding. Each bound is
# far beyond what one node holds or reads; where it comes from is beside it. `_bound` applies them
# after every field is declared (so a field added later is bounded by its name or unit too), and
# tests/test_hostile_input.py holds every integer, number, string, array and map of the schema to one.
MAX_GPUS = 64  # the most GPUs shown to one OS: GigaIO's SuperNODE attaches 32 to one server (DGX-2: 16); twice that
U64 = 2**64 - 1  # NVML's and the kernel's counters are unsigned 64-bit
# Field name suffix (its unit) -> (least, most).
BOUNDS_BY_UNIT = (
    ("_gb_per_s", (0, 1e6)),
    ("_gbps", (0, 1e5)),  # 100 Tb/s: the fastest InfiniBand port today (XDR, 8 lanes) is 1.6 Tb/s
    ("_mbps", (0, 1e8)),  # 100 Tb/s
    ("_mhz", (0, 1e5)),  # GPU clocks are a few GHz
    ("_mib", (0, 2**32)),  # 4 PiB
    ("_bytes", (0, 2**63 - 1)),  # Linux sizes are signed 64-bit (loff_t)
    ("_pct", (0, 1000)),  # NVML's fan speed "may exceed 100%" (nvml.h, nvmlDeviceGetFanSpeed)
    ("_w", (0, 1e6)),  # 1 MW: a whole DGX B200 draws 14.3 kW, one GPU board at most 1.4 kW
    ("_c", (-273.15, 1000)),  # absolute zero; nothing in a server survives 1000 °C
    ("_j", (0, U64 / 1000)),  # nvmlDeviceGetTotalEnergyConsumption: unsigned 64-bit millijoules
    ("_s", (0, 1e9)),  # 30 years
    ("_ms", (0, 1e12)),  # 30 years, as for seconds
    ("_rpm", (0, 1e6)),  # server fans spin below 40,000 RPM
)
# Field name -> (least, most), for numbers whose name carries no unit.
BOUNDS_BY_NAME = {
    "index": (0, MAX_GPUS - 1), "gpu": (0, MAX_GPUS - 1), "gpu_a": (0, MAX_GPUS - 1), "gpu_b": (0, MAX_GPUS - 1),
    "attached_gpus": (0, MAX_GPUS),
    "numa_node": (0, 1023), "numa_nodes": (0, 1024),  # Linux: NODES_SHIFT is at most 10
    "cpu_sockets": (0, 1024), "cpu_cores": (0, 2**20), "cpu_threads": (0, 2**20),  # NR_CPUS is at most 8192
    **dict.fromkeys(("pcie_link_gen_current", "pcie_link_gen_max", "pcie_link_gen_gpu_max",
                     "pcie_link_gen_port_max"), (0, 16)),  # PCIe Gen 7: 2025
    **dict.fromkeys(("pcie_link_width_current", "pcie_link_width_max", "pcie_link_width_port_max"),
                    (0, 32)),  # the PCIe base spec's widest link is x32
    # (the flags among them, pending and failure, are booleans: bounds apply to numbers only)
    **dict.fromkeys(("pcie_replay_counter", *ECC_ERROR_FIELDS, *RETIRED_PAGE_FIELDS, *REMAPPED_ROW_FIELDS,
                     *NVLINK_ERROR_FIELDS, "counters", *IB_COUNTERS), (0, U64)),
    "link": (0, 63),  # NVML_NVLINK_MAX_LINKS is 18 (nvml.h)
    "version": (0, 16),  # NVLink 5 is Blackwell's
    "clique_id": (0, 2**32 - 1), "xid": (0, 2**31 - 1), "mtu": (0, 2**32 - 1),  # unsigned int in NVML and the kernel
    "gpu_instance": (0, 2**32 - 1), "compute_instance": (0, 2**32 - 1),  # MIG instance ids: unsigned int in NVML
    "samples": (0, 2**32 - 1),  # nvmlDeviceGetSamples returns its sample count as an unsigned int
    "min_needed": (0, 64), "max_in_group": (0, 64),  # a PSU redundancy group holds at most the node's PSUs
    # --perf: dense GEMM in TFLOPS (a B200's FP8 peak is 4,500: a thousand times beyond), NCCL ranks (an int)
    **dict.fromkeys(("bf16", "fp16", "tf32", "fp8"), (0, 1e6)), "ranks": (1, 2**31 - 1),
    "port": (0, 255),  # InfiniBand port numbers are 8-bit (IBTA)
    "files": (0, 2**63 - 1), "bytes": (0, 2**63 - 1), "seconds": (0, 1e9), "t": (0, 1e9),
}
# Array name -> most items.
MAX_ITEMS = {
    "gpus": MAX_GPUS, "topology": MAX_GPUS * MAX_GPUS, "nvlinks": 64, "clocks_event_reasons": 64,
    "infiniband": 4096,  # SR-IOV: every virtual function of an HCA is an RDMA device
    "network_interfaces": 16384,  # a Kubernetes node has a veth per pod
    "xid_events": 500_000,  # the Xid probe reads at most 200,000 journal lines or a 16 MiB log tail
    "samples": 2_000_000,  # a 24 h load phase sampling 16 GPUs every second is 1,382,400
    "chassis": 1_000_000, "errors": 1000, "probe_errors": 10_000, "psus": 64,
    "block_devices": 16384, "filesystems": 65536,  # a Kubernetes node mounts volumes per pod
    "imported_from": 1000, "notes": 1000,
    "psu_redundancy": 64, "members": 64,  # a redundancy group per PSU at most, as many PSUs as "psus" holds
    "fans": 1024,  # Redfish lists every rotor of every fan; a blade chassis shares dozens of fans
    "health": 64,  # the fabric health mask's fields (nvmlGpuFabricInfo_v3): a handful
    "start": MAX_GPUS, "end": MAX_GPUS,  # load.counters: one entry per GPU
    "resources": 1024,  # the Redfish resources one read visits
    "p2p": MAX_GPUS * MAX_GPUS, "nccl": 64, "ib": 4096,  # --perf: every GPU pair, a few runs, every HCA port
}
MAX_PROPERTIES = {"unavailable": 1024, "kernel_modules": 1024, "counters": 1024, "gpu_paths": MAX_GPUS,
                  "sources": 64}  # perf.sources: the tool behind each kind of figure
MAX_TEXT = 4096  # Linux PATH_MAX: mount points and device paths
MAX_LENGTH = {"hostname": 255,  # a DNS name (RFC 1035)
              **dict.fromkeys(("message", "error", "errors", "notes", "nvml_error", "reason"), 65536)}


def _bound(node: Schema, name: str) -> Schema:
    """`node` with every number, string, array and map below it bounded by the name of its field (an
    array's items and a map's values by the array's or map's name); a copy, since the declarations
    above share their small schemas (STR, COUNT) between fields."""
    node = dict(node)
    types = node.get("type")
    types = {types} if isinstance(types, str) else set(types or ())
    if types & {"integer", "number"} and "maximum" not in node:
        low, high = BOUNDS_BY_NAME.get(name) or next(
            (bounds for unit, bounds in BOUNDS_BY_UNIT if f"_{name}".endswith(unit)), (None, None))
        if high is not None:
            node["minimum"], node["maximum"] = max(low, node.get("minimum", low)), high
    if "string" in types:
        node.setdefault("maxLength", MAX_LENGTH.get(name, MAX_TEXT))
    if "array" in types and name in MAX_ITEMS:
        node.setdefault("maxItems", MAX_ITEMS[name])
    if isinstance(node.get("additionalProperties"), dict):
        if name in MAX_PROPERTIES:
            node.setdefault("maxProperties", MAX_PROPERTIES[name])
        node["additionalProperties"] = _bound(node["additionalProperties"], name)
    if "properties" in node:
        node["properties"] = {key: _bound(child, key) for key, child in node["properties"].items()}
    if isinstance(node.get("items"), dict):
        node["items"] = _bound(node["items"], name)
    return node


FACTS_V1 = _bound(FACTS_V1, "")

# JSON type -> the Python types json.loads gives for it. `type(v) in ...` (not isinstance) keeps
# booleans out of integer and number; an integral float is an integer, as JSON Schema says.
_PY_TYPES = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,), "null": (type(None),),
    "integer": (int,), "number": (int, float),
}

Problems = list  # of str, shared by the compiled validators of one run


Compiled = tuple  # (fast types, function(value, path, problems), least, most, longest)


def _compile(node: Schema) -> Compiled:
    """Turn a schema node into (fast types, function(value, path, problems), least, most, longest);
    done once per schema.

    A snapshot has about two thousand values and every `check` of a fleet validates thousands of
    snapshots, so the work per value is kept small: a scalar node that only constrains the type and
    bounds (most of them) gives its accepted Python types and bounds, which the parent tests inline,
    calling the function only for a value that does not fit; containers and values with
    an enum or pattern always take the function."""
    names = node.get("type")
    names = (names,) if isinstance(names, str) else tuple(names or ())
    allowed = frozenset(t for name in names for t in _PY_TYPES[name])
    integral_float = "integer" in names and "number" not in names
    enum = node.get("enum")
    pattern = re.compile(node["pattern"]) if "pattern" in node else None
    least, most = node.get("minimum", -math.inf), node.get("maximum", math.inf)
    longest = node.get("maxLength", math.inf)
    max_items, max_keys = node.get("maxItems", math.inf), node.get("maxProperties", math.inf)
    properties = {key: _compile(child) for key, child in node.get("properties", {}).items()}
    extra = node.get("additionalProperties", True)
    extra = _compile(extra) if isinstance(extra, dict) else None
    required = tuple(node.get("required", ()))
    required_keys = frozenset(required)
    items = _compile(node["items"]) if "items" in node else None

    def check(value: Any, path: tuple, problems: Problems) -> None:
        kind = type(value)
        if allowed and kind not in allowed and not (integral_float and kind is float and value.is_integer()):
            problems.append(f"key {_path(path)}: expected {' or '.join(names)}, found {_describe(value)}")
        elif kind is dict:
            if len(value) > max_keys:  # refused before a key is looked at
                problems.append(f"key {_path(path)}: {len(value)} keys, at most {max_keys} allowed")
                return
            for key, item in value.items():  # the inline test: this loop runs for every value
                child = properties.get(key, extra)
                if child is None:
                    continue
                fits, function, low, high, size = child
                of = type(item)
                if not (of in fits and (item is None or (len(item) <= size if of is str else low <= item <= high))):
                    function(item, (path, key), problems)
            if not required_keys <= value.keys():
                problems.extend(f"key {_path((path, key))}: missing" for key in required if key not in value)
        elif kind is list:
            if len(value) > max_items:  # refused before an item is looked at
                problems.append(f"key {_path(path)}: {len(value)} items, at most {max_items} allowed")
            elif items is not None:
                fits, function, low, high, size = items
                for i, item in enumerate(value):
                    if len(problems) >= LIMIT:  # a huge wrong array must not become a million messages
                        return
                    of = type(item)
                    if not (of in fits and (item is None or (len(item) <= size if of is str else low <= item <= high))):
                        function(item, (path, i), problems)
        elif value is not None or enum is not None:
            _scalar(value, path, problems)

    def _scalar(value: Any, path: tuple, problems: Problems) -> None:
        kind = type(value)
        if enum is not None and value not in enum:
            problems.append(f"key {_path(path)}: {_show(value)} is not one of {enum}")
        if kind is str and len(value) > longest:
            problems.append(f"key {_path(path)}: a text of {len(value)} characters, longer than {longest}")
        elif pattern is not None and kind is str and not pattern.search(value):
            problems.append(f"key {_path(path)}: {_show(value)} does not match {pattern.pattern}")
        elif kind is float and not math.isfinite(value):  # 1e999 parses to inf; every comparison would pass
            problems.append(f"key {_path(path)}: {value} is not a finite number")
        elif kind in (int, float) and value < least:
            problems.append(f"key {_path(path)}: {_show(value)} is below {least}")
        elif kind in (int, float) and value > most:
            problems.append(f"key {_path(path)}: {_show(value)} is above {most}")

    fast = allowed if allowed and not ({dict, list} & allowed) and enum is None and pattern is None else frozenset()
    if not (math.isfinite(least) and math.isfinite(most)):  # unbounded floats take the check (it refuses inf)
        fast = fast - {float}
    return fast, check, least, most, longest


def _show(value: Any) -> str:
    """A value in a one-line message, cut short when long."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


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
