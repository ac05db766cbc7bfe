"""Rule packs: declarative TOML saying which checks run and what the platform should look like.

A pack has a `description`, optionally `extends = "<pack>"` (a bare name is a
built-in pack, anything with a `/` a path relative to the extending file),
optionally `gpu_models` (substrings of the NVML GPU name the pack is meant for,
used to choose a built-in pack when `--rules` is not given), optionally a
`[platform]` table (`nameplate_max_w`, `overhead_w`: the figures the power
budget's worst case is built from), and one
`[checks."<id>"]` table per check. A pack's table merges key by key over its
base's. Everything is validated before anything runs: an unknown check or key,
a wrong type, an `extends` cycle, or settings a check's own `validate(settings)`
refuses (a check may declare one) is an `InputError` naming the file, the
check and the key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readycheck import checks
from readycheck.errors import InputError
from readycheck.inputs import is_stdin, read_bytes
from readycheck.resources import folder

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10
    import tomli as tomllib

TOP_LEVEL_KEYS = {"description", "extends", "gpu_models", "platform", "checks"}
# [platform]: figures of the whole system that several checks share (the power budget's worst case).
PLATFORM_KEYS = {
    "nameplate_max_w": "the system's maximum power draw from the vendor (DGX H100: 10200)",
    "overhead_w": "what the node draws besides its GPUs at worst (CPUs, memory, NICs, fans), in W",
}
SEVERITIES = ("fail", "warn")
FALLBACK_PACK = "base"
MAX_PACK_BYTES = 1024 * 1024  # the built-in packs are a few KiB


@dataclass
class Pack:
    """A resolved pack: its chain of files merged, every check's table complete."""

    name: str
    description: str
    chain: list[str]
    checks: dict[str, dict[str, Any]]
    content_hash: str
    gpu_models: list[str] = field(default_factory=list)
    platform: dict[str, float] = field(default_factory=dict)
    reason: str = ""

    def enabled(self) -> list[str]:
        return [cid for cid, table in self.checks.items() if table["enabled"]]


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in folder("rules").iterdir() if p.name.endswith(".toml"))


def _read_builtin(name: str) -> tuple[str, bytes]:
    if name not in builtin_names():
        raise InputError(f"rule pack {name!r}: no such built-in pack (built-in: {', '.join(builtin_names())})")
    return f"builtin:{name}", (folder("rules") / f"{name}.toml").read_bytes()


def names_file(spec: str) -> bool:
    """Whether `--rules` (or `extends`) names a file (`-`, a path, `*.toml`) rather than a built-in pack."""
    return is_stdin(spec) or "/" in spec or spec.endswith(".toml")


def _read_file(path: Path | str) -> tuple[str, bytes]:
    return str(path), read_bytes(path, MAX_PACK_BYTES, "rule pack")


def _parse(label: str, raw: bytes) -> dict[str, Any]:
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text, not a rule pack") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: invalid TOML: {exc}") from None
    _validate(label, data)
    return data


def _validate(label: str, data: dict[str, Any]) -> None:
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise InputError(f"{label}: unknown key {key!r} (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    for key in ("description", "extends"):
        if key in data and not isinstance(data[key], str):
            raise InputError(f"{label}: key {key!r} must be a string")
    models = data.get("gpu_models", [])
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise InputError(f"{label}: key 'gpu_models' must be a list of strings")
    platform = data.get("platform", {})
    if not isinstance(platform, dict):
        raise InputError(f"{label}: key 'platform' must be a table")
    for key, value in platform.items():
        if key not in PLATFORM_KEYS:
            raise InputError(f"{label}: platform: unknown key {key!r} (allowed: {', '.join(PLATFORM_KEYS)})")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
            raise InputError(f"{label}: platform: key {key!r} must be a number of watts above 0, found {value!r}")
    tables = data.get("checks", {})
    if not isinstance(tables, dict):
        raise InputError(f"{label}: key 'checks' must be a table of [checks.\"<id>\"] tables")
    for check_id, table in tables.items():
        where = f"{label}: check {check_id!r}"
        if check_id not in checks.REGISTRY:
            raise InputError(f"{where}: no such check (see `readycheck checks`)")
        if not isinstance(table, dict):
            raise InputError(f"{where}: must be a table")
        settings = checks.load(check_id).SETTINGS
        for key, value in table.items():
            if key in ("enabled", "required"):
                problem = None if isinstance(value, bool) else f"must be true or false, found {value!r}"
            elif key == "severity":
                wanted = " or ".join(f'"{s}"' for s in SEVERITIES)
                problem = None if value in SEVERITIES else f"must be {wanted}, found {value!r}"
            elif key in settings:
                problem = settings[key].problem(value)
            else:
                allowed = ", ".join([*settings, *checks.COMMON_KEYS]) or "none"
                raise InputError(f"{where}: unknown key {key!r} (allowed: {allowed})")
            if problem:
                raise InputError(f"{where}: key {key!r} {problem}")


def _check_rules(label: str, check_id: str, table: dict[str, Any]) -> None:
    """A check's own rules over its merged settings (its `validate`, where it has one), at load time."""
    validate = getattr(checks.load(check_id), "validate", None)
    if validate is None:
        return
    try:
        validate({key: value for key, value in table.items() if key not in checks.COMMON_KEYS})
    except ValueError as exc:
        raise InputError(f"{label}: check {check_id!r}: {exc}") from None


def _defaults(check_id: str) -> dict[str, Any]:
    settings = checks.load(check_id).SETTINGS
    return {"enabled": True, "required": True, "severity": "fail",
            **{name: setting.default for name, setting in settings.items()}}


def load(spec: str) -> Pack:
    """Resolve a pack given as a built-in name or a path, following `extends` to the root."""
    chain: list[tuple[str, dict[str, Any], bytes]] = []
    seen: list[str] = []
    current: str | None = spec
    relative_to = Path.cwd()
    while current is not None:
        if is_stdin(current):
            label, raw = _read_file(current)
        elif names_file(current):
            path = (relative_to / current).resolve()
            label, raw = _read_file(path)
            relative_to = path.parent
        else:
            label, raw = _read_builtin(current)
        if label in seen:
            raise InputError(f"{label}: 'extends' cycle: {' -> '.join([*seen, label])}")
        seen.append(label)
        data = _parse(label, raw)
        chain.append((label, data, raw))
        current = data.get("extends")

    merged: dict[str, dict[str, Any]] = {cid: _defaults(cid) for cid in checks.all_ids()}
    platform: dict[str, float] = {}
    set_by: dict[str, str] = {}  # check -> the nearest file that sets its table
    for label, data, _ in reversed(chain):
        platform.update(data.get("platform", {}))
        for check_id, table in data.get("checks", {}).items():
            merged[check_id].update(table)
            set_by[check_id] = label
    for check_id, label in set_by.items():
        _check_rules(label, check_id, merged[check_id])
    digest = hashlib.sha256()
    for label, _, raw in chain:
        digest.update(label.encode() + b"\0" + raw + b"\0")
    top = chain[0][1]
    return Pack(
        name=spec if "/" not in spec else Path(spec).stem,
        description=top.get("description", ""),
        chain=[label for label, _, _ in chain],
        checks=merged,
        content_hash=digest.hexdigest(),
        gpu_models=next((d["gpu_models"] for _, d, _ in chain if "gpu_models" in d), []),
        platform=platform,
    )


@functools.cache
def _builtin(name: str) -> Pack:
    return load(name)


def choose(snapshot: dict[str, Any]) -> Pack:
    """Pick the built-in pack whose `gpu_models` best matches the GPUs found, and say why."""
    names = tuple(sorted({(g.get("name") or "") for g in snapshot.get("gpus", [])} - {""}))
    return choose_for_models(names)


@functools.lru_cache(maxsize=64)
def choose_for_models(names: tuple[str, ...]) -> Pack:
    """The built-in pack for a node with these GPU models (sorted, distinct), and why."""
    if not names:
        return _with_reason(FALLBACK_PACK, f"no GPU model in the facts; judged against the generic "
                                           f"'{FALLBACK_PACK}' pack")
    best: tuple[int, str, str] | None = None
    for candidate in builtin_names():
        for pattern in _builtin(candidate).gpu_models:
            if pattern.lower() in names[0].lower() and (best is None or len(pattern) > best[0]):
                best = (len(pattern), candidate, pattern)
    if best is None:
        return _with_reason(FALLBACK_PACK, f"GPU model '{names[0]}' matches no built-in platform pack; judged "
                                           f"against the generic '{FALLBACK_PACK}' pack (choose one with --rules)")
    reason = f"GPU model '{names[0]}' matches '{best[2]}' of built-in pack '{best[1]}'"
    if len(names) > 1:
        reason += f"; the node mixes GPU models: {', '.join(names)}"
    return _with_reason(best[1], reason)


def _with_reason(name: str, reason: str) -> Pack:
    """The built-in pack, shared between nodes judged alike, carrying why it was chosen."""
    return dataclasses.replace(_builtin(name), reason=reason)
