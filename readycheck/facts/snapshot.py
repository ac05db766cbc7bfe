"""A whole snapshot: the empty skeleton a collection starts from, and reading one from a file.

A snapshot is a plain JSON object (contract: facts v1, docs/facts.md; `readycheck schema` prints its
JSON Schema). Loading validates it and fails with one line naming the file and the fault.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from readycheck.errors import InputError
from readycheck.facts.fields import (
    BMC_HOST_FIELDS,
    BMC_HOST_LISTS,
    DMI_FIELDS,
    HOST_FIELDS,
    NVIDIA_VALUE_FIELDS,
    SCHEMA_ID,
)
from readycheck.facts.record import NOT_COLLECTED
from readycheck.inputs import read_text


class SnapshotError(InputError):
    """A snapshot file is unreadable or not valid facts v1. The message names the file."""


def empty_nvidia(reason: str = NOT_COLLECTED) -> dict[str, Any]:
    return {
        "nvml_available": False,
        "nvml_error": reason,
        **{f: None for f in NVIDIA_VALUE_FIELDS},
        "kernel_modules": {},
        "fabricmanager": {"installed": None, "active": None, "version": None},
        "persistenced": {"active": None},
        "unavailable": {f: reason for f in NVIDIA_VALUE_FIELDS},
    }


def empty_host(reason: str = NOT_COLLECTED) -> dict[str, Any]:
    return {
        **{f: None for f in HOST_FIELDS + BMC_HOST_FIELDS},
        "dmi": {**{f: None for f in DMI_FIELDS}, "unavailable": {f: reason for f in DMI_FIELDS}},
        "psus": [],
        **{f: [] for f in BMC_HOST_LISTS},
        "block_devices": [],
        "filesystems": [],
        "unavailable": {f: reason for f in HOST_FIELDS + BMC_HOST_FIELDS + BMC_HOST_LISTS},
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
    """Read and validate one snapshot file (`-`: standard input); raise `SnapshotError` naming the file
    and the fault."""
    return parse_snapshot(str(path), read_text(path, MAX_SNAPSHOT_BYTES, "facts snapshot", SnapshotError))


def parse_snapshot(path: str, text: str) -> dict[str, Any]:
    """A snapshot from its text, validated; `path` names it in every error."""
    from readycheck.facts.schema import validate

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
