"""Typed settings: what a rule pack, an order file or a site file may set, its type, default and meaning.

One `Setting` describes one key. `accepts(value)` is the type check every loader runs before anything
is judged, so a wrong type is an input error naming the file and the key, never an odd finding later.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from readycheck.facts import versions


class Setting(NamedTuple):
    """One tunable: its TOML type, default, and what it means."""

    kind: str  # "int", "float", "str", "bool", "bool|any" (true, false or "any"), "version" (dotted, e.g.
    # "550.54.15"), "list[...]" of those
    default: Any
    doc: str

    def accepts(self, value: Any) -> bool:
        if self.kind.startswith("list["):
            item = self.kind[5:-1]
            return isinstance(value, list) and all(_scalar_ok(item, v) for v in value)
        return _scalar_ok(self.kind, value)


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "bool|any":  # a platform that may go either way: ECC on a GeForce card
        return isinstance(value, bool) or value == "any"
    if isinstance(value, bool):
        return kind == "bool"
    if kind == "version":  # "550.54.15", or a branch prefix "550." in an allowed list
        try:
            return isinstance(value, str) and bool(versions.parse(value.rstrip(".")))
        except ValueError:
            return False
    if kind == "float":  # TOML's nan and inf would make every comparison false: a check would pass
        return isinstance(value, (int, float)) and math.isfinite(value)
    return isinstance(value, {"int": int, "str": str, "bool": bool}[kind])
