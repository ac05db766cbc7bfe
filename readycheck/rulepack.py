"""Rule packs: declarative TOML saying which checks run and what the platform should look like.

A pack has a `description`, optionally `extends = "<pack>"` (a bare name is a
built-in pack, anything with a `/` a path relative to the extending file),
optionally `dmi_products` (patterns of the DMI product name the pack is for: a
DGX pack), optionally a `[platform]` table (figures of the whole system that
several checks share: the power budget's `nameplate_max_w` and `overhead_w`,
the compute fabric's `compute_link_layer`), one `[checks."<id>"]` table per
check, and a `[sources]` table saying where each figure comes from:
`[sources."<check id>"]` and `[sources.platform]` with one string per key the
same file sets, and `sources.dmi_products`. A source may only name a figure its
own file sets, so a figure and its source change together (`readycheck packs
NAME` prints them side by side). A pack's table merges key by key over its
base's. Everything is validated before anything runs: an unknown check or key,
a wrong type, an `extends` cycle, a source for a figure the file does not set,
or settings a check's own `validate(settings)` refuses (a check may declare
one) is an `InputError` naming the file, the check and the key.

Choosing a built-in pack (when `--rules` is not given) goes by platform, not by
a part of a name: a pack fits a node when every GPU is one of the models its
`gpu.model` names (whole names, see readycheck/catalogue/gpus.py), the node
has the GPU count its `gpu.count` sets (when it sets one), and, for a pack
with `dmi_products`, the DMI product name matches one of them. Of the packs
that fit, one whose `dmi_products` matches wins (a DGX over the HGX baseboard
pack it extends). Where none fits, the node is judged against `base`, and the
reason says why (the model's family and form, or the GPU count the nearest
pack needs).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from readycheck import cache, checks, tomltext
from readycheck.catalogue.gpus import describe, model, same_model
from readycheck.errors import InputError
from readycheck.inputs import decode_text, is_stdin, read_bytes
from readycheck.resources import folder
from readycheck.settings import Setting

TOP_LEVEL_KEYS = {"description", "extends", "dmi_products", "platform", "checks", "sources"}
LINK_LAYERS = ("InfiniBand", "Ethernet", "any")
# [platform]: figures of the whole system that several checks share.
PLATFORM_KEYS = {
    # At most 1 MW, as the facts' watts (readycheck/facts/schema.py): a whole DGX B200 draws 14.3 kW.
    "nameplate_max_w": Setting("float", None, "the system's maximum power draw from its vendor, in W: the power "
                                              "budget's worst case for the node", high=1e6),
    "overhead_w": Setting("float", None, "what the node draws besides its GPUs at worst (CPUs, memory, NICs, "
                                         "fans), in W, when there is no nameplate maximum", high=1e6),
    "compute_link_layer": Setting("str", None, "link layer of the compute fabric's HCA ports, \"InfiniBand\" or "
                                               "\"Ethernet\" (RoCE): ib.ports and topology.nic_affinity leave "
                                               "ports of the other layer out as storage or management; \"any\" or "
                                               "unset: every port counts"),
}
# Keys that moved: a pack that still sets one is told where it went.
MOVED = {
    "expected_link_layer": "[platform] compute_link_layer",
    "exclude_link_layers": "[platform] compute_link_layer (ports of another link layer are left out)",
    "gpu_models": "gpu.model's `expected` and gpu.count's `expected`, which now choose the pack",
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
    dmi_products: list[str] = field(default_factory=list)
    platform: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    # "<check id>.<key>", "platform.<key>" or "dmi_products" -> (the file that set it, its source or "")
    set_by: dict[str, tuple[str, str]] = field(default_factory=dict)

    def enabled(self) -> list[str]:
        return [cid for cid, table in self.checks.items() if table["enabled"]]

    def is_for(self, product: str | None) -> bool:
        """Whether a DMI product name is one this pack's `dmi_products` names (a pack without them: never)."""
        squeezed = re.sub(r"\s+", "", product or "").casefold()
        return bool(squeezed) and any(fnmatchcase(squeezed, re.sub(r"\s+", "", p).casefold())
                                      for p in self.dmi_products)


def builtin_names() -> list[str]:
    return list(_builtin_names())


@functools.cache
def _builtin_names() -> tuple[str, ...]:
    return tuple(sorted(p.name[:-5] for p in folder("rules").iterdir() if p.name.endswith(".toml")))


def _read_builtin(name: str) -> tuple[str, bytes]:
    if name not in builtin_names():
        raise InputError(f"rule pack {name!r}: no such built-in pack (built-in: {', '.join(builtin_names())})")
    return f"builtin:{name}", (folder("rules") / f"{name}.toml").read_bytes()


def names_file(spec: str) -> bool:
    """Whether `--rules` (or `extends`) names a file (`-`, a path, `*.toml`) rather than a built-in pack."""
    return is_stdin(spec) or "/" in spec or spec.endswith(".toml")


@functools.cache
def _parsed_builtin(name: str) -> tuple[str, dict[str, Any], bytes]:
    """A built-in pack file read and validated once per run (choosing a node's pack reads every one, and
    most extend the same bases), its TOML parsed once per content (readycheck.cache)."""
    label, raw = _read_builtin(name)
    data = cache.remembered("rule-pack", raw, lambda: _toml(label, raw))
    _validate(label, data)
    return label, data, raw


def _read_file(path: Path | str) -> tuple[str, bytes]:
    return str(path), read_bytes(path, MAX_PACK_BYTES, "rule pack")


def _parse(label: str, raw: bytes) -> dict[str, Any]:
    data = _toml(label, raw)
    _validate(label, data)
    return data


def _toml(label: str, raw: bytes) -> dict[str, Any]:
    return tomltext.parse(label, decode_text(label, raw, "rule pack"))


def _unknown(where: str, key: str, allowed: Any) -> InputError:
    moved = f"; it moved to {MOVED[key]}" if key in MOVED else ""
    return InputError(f"{where}: unknown key {key!r}{moved} (allowed: {', '.join(allowed) or 'none'})")


def _validate(label: str, data: dict[str, Any]) -> None:
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise _unknown(label, key, sorted(TOP_LEVEL_KEYS))
    for key in ("description", "extends"):
        if key in data and not isinstance(data[key], str):
            raise InputError(f"{label}: key {key!r} must be a string")
    products = data.get("dmi_products", [])
    if not isinstance(products, list) or not all(isinstance(p, str) and p.strip() for p in products):
        raise InputError(f"{label}: key 'dmi_products' must be a list of DMI product name patterns")
    platform = data.get("platform", {})
    if not isinstance(platform, dict):
        raise InputError(f"{label}: key 'platform' must be a table")
    for key, value in platform.items():
        if key not in PLATFORM_KEYS:
            raise _unknown(f"{label}: platform", key, PLATFORM_KEYS)
        if key == "compute_link_layer":
            if value not in LINK_LAYERS:
                raise InputError(f"{label}: platform: key {key!r} must be " + " or ".join(map(repr, LINK_LAYERS))
                                 + f", found {value!r}")
        elif PLATFORM_KEYS[key].problem(value) or value <= 0:
            raise InputError(f"{label}: platform: key {key!r} must be a number of watts above 0 and at most "
                             f"{PLATFORM_KEYS[key].high:g}, found {value!r}")
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
                raise _unknown(where, key, [*settings, *checks.COMMON_KEYS])
            if problem:
                raise InputError(f"{where}: key {key!r} {problem}")
    _validate_sources(label, data)


def _validate_sources(label: str, data: dict[str, Any]) -> None:
    """Each source names a figure the same file sets, and is a non-empty string."""
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise InputError(f"{label}: key 'sources' must be a table")
    for section, entries in sources.items():
        where = f"{label}: sources.{section}"
        if section == "dmi_products":
            figures: Any = {"dmi_products": True} if "dmi_products" in data else {}
            entries = {"dmi_products": entries}
        elif section == "platform":
            figures = data.get("platform", {})
        elif section in checks.REGISTRY:
            figures = data.get("checks", {}).get(section, {})
        else:
            raise InputError(f"{where}: not a figure's section (dmi_products, platform or a check id)")
        if not isinstance(entries, dict):
            raise InputError(f"{where}: must be a table of one source per key")
        for key, text in entries.items():
            if key not in figures:
                raise InputError(f"{where}: key {key!r} names no figure this file sets: a source goes with its "
                                 "figure")
            if not isinstance(text, str) or not text.strip():
                raise InputError(f"{where}: key {key!r} must be a non-empty string saying where the figure comes "
                                 "from")


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
        data = None  # a file's TOML is parsed after the cycle check; a built-in pack comes parsed
        if is_stdin(current):
            label, raw = _read_file(current)
        elif names_file(current):
            path = (relative_to / current).resolve()
            label, raw = _read_file(path)
            relative_to = path.parent
        else:
            label, data, raw = _parsed_builtin(current)
        if label in seen:
            raise InputError(f"{label}: 'extends' cycle: {' -> '.join([*seen, label])}")
        seen.append(label)
        if data is None:
            data = _parse(label, raw)
        chain.append((label, data, raw))
        current = data.get("extends")

    merged: dict[str, dict[str, Any]] = {cid: _defaults(cid) for cid in checks.all_ids()}
    platform: dict[str, Any] = {}
    tables_by: dict[str, str] = {}  # check -> the nearest file that sets its table
    set_by: dict[str, tuple[str, str]] = {}
    for label, data, _ in reversed(chain):
        sources = data.get("sources", {})
        platform.update(data.get("platform", {}))
        for key in data.get("platform", {}):
            set_by[f"platform.{key}"] = (label, sources.get("platform", {}).get(key, ""))
        if "dmi_products" in data:
            set_by["dmi_products"] = (label, sources.get("dmi_products", ""))
        for check_id, table in data.get("checks", {}).items():
            merged[check_id].update(table)
            tables_by[check_id] = label
            for key in table:
                set_by[f"{check_id}.{key}"] = (label, sources.get(check_id, {}).get(key, ""))
    for check_id, label in tables_by.items():
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
        dmi_products=next((d["dmi_products"] for _, d, _ in chain if "dmi_products" in d), []),
        platform=platform,
        set_by=set_by,
    )


# Settings given on the command line (`--xid-since`): (check id, key, value, the option that gave it).
Overrides = tuple[tuple[str, str, Any, str], ...]


# (id of a pack, overrides) -> (that pack, the overridden one): kept with the pack, so the id stays its own.
_OVERRIDDEN: dict[tuple[int, Overrides], tuple[Pack, Pack]] = {}


def overridden(pack: Pack, overrides: Overrides) -> Pack:
    """`pack` with command-line settings over its own, each checked as a pack's would be (an InputError
    names the option); the pack itself is shared and left as it is. Made once per pack and overrides: every
    node of a fleet judged with it gets the same pack, so the engine plans it once."""
    if not overrides:
        return pack
    known = _OVERRIDDEN.get((id(pack), overrides))
    if known is None:
        tables = dict(pack.checks)
        for check_id, key, value, option in overrides:
            _validate(option, {"checks": {check_id: {key: value}}})
            tables[check_id] = {**tables[check_id], key: value}
            _check_rules(option, check_id, tables[check_id])
        known = _OVERRIDDEN[id(pack), overrides] = (pack, dataclasses.replace(pack, checks=tables))
    return known[1]


@functools.cache
def _builtin(name: str) -> Pack:
    return load(name)


@dataclass(frozen=True)
class Platform:
    """What chooses a node's built-in pack: its GPU models (distinct, sorted), GPU count and DMI product."""

    models: tuple[str, ...]
    gpu_count: int
    product: str | None = None

    def __str__(self) -> str:
        gpus = " + ".join(describe(name) for name in self.models)
        product = f", DMI product {self.product!r}" if self.product else ""
        return f"{self.gpu_count} x {gpus}{product}"


def platform_of(snapshot: dict[str, Any]) -> Platform:
    """The platform a snapshot shows: an imported `-q -i N` counts the GPUs its driver attached."""
    gpus = snapshot.get("gpus") or []
    models = tuple(sorted({(g.get("name") or "") for g in gpus} - {""}))
    count = (snapshot.get("nvidia") or {}).get("attached_gpus") or len(gpus)
    product = ((snapshot.get("host") or {}).get("dmi") or {}).get("product_name")
    return Platform(models, count, product)


def choose(snapshot: dict[str, Any]) -> Pack:
    """The built-in pack for the platform the snapshot shows, and why."""
    return choose_for(platform_of(snapshot))


@functools.lru_cache(maxsize=64)
def choose_for(platform: Platform) -> Pack:
    """The built-in pack that fits the platform (a DGX pack over its HGX base), else `base`; and why."""
    if not platform.models:
        return _with_reason(FALLBACK_PACK, f"no GPU model in the facts; judged against the generic "
                                           f"'{FALLBACK_PACK}' pack")
    packs = [_builtin(name) for name in builtin_names() if name != FALLBACK_PACK]
    by_model = [p for p in packs if p.checks["gpu.model"]["expected"]
                and all(any(same_model(m, e) for e in p.checks["gpu.model"]["expected"]) for m in platform.models)]
    fallback = f"; judged against the generic '{FALLBACK_PACK}' pack (choose one with --rules)"
    if not by_model:
        mixed = "the node mixes GPU models, " if len(platform.models) > 1 else ""
        unknown = [m for m in platform.models if model(m) is None]
        strange = f"{', '.join(unknown)} is a model readycheck does not know; " if unknown else ""
        return _with_reason(FALLBACK_PACK, f"{platform}: {mixed}{strange}no built-in pack is for this platform"
                                           f"{fallback}")
    by_count = [p for p in by_model if p.checks["gpu.count"]["expected"] in (None, platform.gpu_count)]
    if not by_count:
        sizes = ", ".join(f"'{p.name}' is for {p.checks['gpu.count']['expected']} GPUs" for p in by_model)
        return _with_reason(FALLBACK_PACK, f"{platform}: {sizes}, the node has {platform.gpu_count}{fallback}")
    dgx = [p for p in by_count if p.is_for(platform.product)]
    plain = [p for p in by_count if not p.dmi_products]
    if dgx:
        chosen, why = dgx[0], f" (DMI product is one of {', '.join(dgx[0].dmi_products)})"
    elif plain:
        chosen, why = plain[0], ""
        if len(plain) < len(by_count):  # a DGX pack exists for these GPUs, but DMI does not name a DGX
            why = f" (DMI product {platform.product or 'unread'} is no DGX's: the baseboard pack)"
    else:
        wanted = ", ".join(p for q in by_count for p in q.dmi_products)
        return _with_reason(FALLBACK_PACK, f"{platform}: the built-in packs for these GPUs are for DMI products "
                                           f"{wanted}{fallback}")
    return _with_reason(chosen.name, f"{platform}: built-in pack '{chosen.name}'{why}")


def chosen_for(pack: Pack) -> str:
    """What a built-in pack is chosen for, in words ("" for one never chosen by itself: base)."""
    models = pack.checks["gpu.model"]["expected"]
    if not models:
        return ""
    count = pack.checks["gpu.count"]["expected"]
    known = model(models[0])
    text = f"{f'{count} x ' if count else ''}{' or '.join(models)}" + (f" ({known.family}, {known.form})"
                                                                      if known else "")
    return text + (f", DMI product {' or '.join(pack.dmi_products)}" if pack.dmi_products else "")


def _with_reason(name: str, reason: str) -> Pack:
    """The built-in pack, shared between nodes judged alike, carrying why it was chosen."""
    return dataclasses.replace(_builtin(name), reason=reason)
