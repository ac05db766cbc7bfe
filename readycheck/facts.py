"""The facts snapshot: the one interchange format between probes and checks.

A snapshot is a plain JSON object (contract: facts v1, see `readycheck schema`).
Probes fill it, checks read it, importers and fleet merges produce it. This
module holds the vocabulary every probe shares: how a value that could not be
read is recorded (`null` plus a reason in the owning object's `unavailable`
map), the empty skeleton a collection starts from, and loading a snapshot from
a file with a one-line error when it is not a valid facts v1 document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from readycheck.errors import InputError

SCHEMA_ID = "readycheck.facts/1"

# Reasons for a missing value. Probes may use another short CamelCase word
# when none of these fits; these are the ones checks and reports know.
NOT_SUPPORTED = "NotSupported"
NO_PERMISSION = "NoPermission"
FUNCTION_NOT_FOUND = "FunctionNotFound"
GPU_IS_LOST = "GpuIsLost"
TIMEOUT = "Timeout"
NOT_FOUND = "NotFound"
NOT_COLLECTED = "NotCollected"
NOT_IN_SOURCE = "NotInSource"


class Unreadable(Exception):
    """A single value could not be read; `reason` is the word stored in `unavailable`."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


class SnapshotError(InputError):
    """A snapshot file is unreadable or not valid facts v1. The message names the file."""


class Record:
    """Builds one facts object (host, nvidia, one GPU, ...) field by field.

    Every field is present in the result: either its value, or `None` with the
    reason in the object's `unavailable` map. `read()` turns an `Unreadable`
    raised by a reader into that pair, so a probe never has to choose between
    crashing and silently dropping a field.
    """

    def __init__(self, **values: Any):
        self.values: dict[str, Any] = dict(values)
        self.unavailable: dict[str, str] = {}

    def set(self, field: str, value: Any) -> Any:
        self.values[field] = value
        self.unavailable.pop(field, None)
        return value

    def missing(self, field: str, reason: str) -> None:
        self.values[field] = None
        self.unavailable[field] = reason

    def read(self, field: str, reader: Callable[..., Any], *args: Any) -> Any:
        """Store `reader(*args)` under `field`, or null and the reason when it raises `Unreadable`."""
        try:
            value = reader(*args)
        except Unreadable as exc:
            self.missing(field, exc.reason)
            return None
        return self.set(field, value)

    def set_group(self, field: str, group: Record) -> None:
        """Store a sub-object (ECC counters, remapped rows); when none of its fields could be read,
        all for one reason, store null and that reason instead, so a GPU that lacks the feature
        reads the same way as for a single field."""
        reasons = set(group.unavailable.values())
        if group.values and all(v is None for v in group.values.values()) and len(reasons) == 1:
            self.missing(field, reasons.pop())
        else:
            self.set(field, group.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {**self.values, "unavailable": dict(self.unavailable)}


def empty_nvidia(reason: str = NOT_COLLECTED) -> dict[str, Any]:
    fields = ("driver_version", "cuda_driver_version", "nvml_version")
    return {
        "nvml_available": False,
        "nvml_error": reason,
        **{f: None for f in fields},
        "kernel_modules": {},
        "fabricmanager": {"installed": None, "active": None, "version": None},
        "persistenced": {"active": None},
        "unavailable": {f: reason for f in fields},
    }


HOST_FIELDS = (
    "hostname", "os", "kernel", "arch", "cpu_model", "cpu_sockets", "cpu_cores", "cpu_threads",
    "memory_total_mib", "numa_nodes", "inlet_temperature_c",
)
DMI_FIELDS = ("sys_vendor", "product_name", "product_serial", "board_serial", "bios_version")


def empty_host(reason: str = NOT_COLLECTED) -> dict[str, Any]:
    return {
        **{f: None for f in HOST_FIELDS},
        "dmi": {**{f: None for f in DMI_FIELDS}, "unavailable": {f: reason for f in DMI_FIELDS}},
        "psus": [],
        "block_devices": [],
        "filesystems": [],
        "unavailable": {f: reason for f in HOST_FIELDS},
    }


def empty_snapshot(*, collected_at: str, version: str, source: str) -> dict[str, Any]:
    """The skeleton every snapshot starts from: all keys present, nothing read yet."""
    return {
        "schema": SCHEMA_ID,
        "collected_at": collected_at,
        "readycheck_version": version,
        "source": source,
        "host": empty_host(),
        "nvidia": empty_nvidia(),
        "gpus": [],
        "topology": [],
        "infiniband": [],
        "network_interfaces": [],
        "xid_events": [],
        "load": None,
        "probe_errors": [],
    }


MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024


def load_snapshot(path: str | Path) -> dict[str, Any]:
    """Read and validate one snapshot file; raise `SnapshotError` naming the file and the fault."""
    from readycheck.schema import validate

    path = Path(path)
    try:
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            raise SnapshotError(f"{path}: larger than {MAX_SNAPSHOT_BYTES // 2**20} MiB, not a snapshot")
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"{path}: not UTF-8 text, not a facts snapshot") from None
    try:
        data = json.loads(text, parse_constant=_not_a_number)  # 1e999 (inf): the validator refuses it
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
                            " — truncated?") from None
    except ValueError as exc:  # NaN, Infinity: a comparison with them is never true
        raise SnapshotError(f"{path}: {exc}") from None
    except RecursionError:
        raise SnapshotError(f"{path}: JSON nested too deeply, not a facts snapshot") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: a facts snapshot is a JSON object, found {type(data).__name__}")
    schema = data.get("schema")
    if schema != SCHEMA_ID:
        raise SnapshotError(f"{path}: key 'schema' is {schema!r}, expected {SCHEMA_ID!r}")
    problems = validate(data)
    if problems:
        more = f" (and {len(problems) - 1}{'+' if len(problems) >= 20 else ''} more)" if len(problems) > 1 else ""
        raise SnapshotError(f"{path}: {problems[0]}{more}")
    return data


def _not_a_number(word: str) -> float:
    raise ValueError(f"{word} is not a number a snapshot may hold (a check comparing it would always pass)")


def dump_snapshot(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=False) + "\n"
