"""Typed settings: what a rule pack, an order file or a site file may set, its type, default and meaning.

One `Setting` describes one key. `problem(value)` is the type and range check every loader runs before
anything is judged, so a wrong type or a number out of range (a negative GPU count) is an input error
naming the file and the key, never an odd finding later.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from readycheck.facts import versions

# Numbers a setting may take unless it says otherwise: every number a pack, an order or a check sets
# is a count, a size, a rate, a power, a temperature margin or a share, none of them below zero, and
# none beyond a 64-bit counter (a 400-digit integer would overflow a float in the check).
LEAST, MOST = 0, 2**64


class Setting(NamedTuple):
    """One tunable: its TOML type, default, what it means, and the range a number (or each number of
    a list) may take: `low` to `high`, else 0 to 2^64."""

    kind: str  # "int", "float", "str", "bool", "bool|any" (true, false or "any"), "version" (dotted, e.g.
    # "550.54.15"), "list[...]" of those
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None

    def accepts(self, value: Any) -> bool:
        return self.problem(value) is None

    def problem(self, value: Any) -> str | None:
        """What is wrong with `value`, in words that follow the key in an error ("must be int, found
        '8'", "must be from 0 to 1, found 1.5"); None when the setting takes it."""
        listed = self.kind.startswith("list[")
        item = self.kind[5:-1] if listed else self.kind
        values = value if listed and isinstance(value, list) else [value]
        if (listed and not isinstance(value, list)) or not all(_scalar_ok(item, v, listed) for v in values):
            return f"must be {self.kind}, found {value!r}"
        if item in ("int", "float"):
            low, high = LEAST if self.low is None else self.low, MOST if self.high is None else self.high
            if any(v < low for v in values):
                wanted = f"{low} or more" if high == MOST else f"from {low} to {high}"
            elif any(v > high for v in values):
                wanted = f"at most {high}" if self.high is None else f"from {low} to {high}"
            else:
                return None
            shown = repr(value)
            return f"must be {wanted}, found {shown if len(shown) <= 60 else shown[:40] + '...'}"
        return None


def _scalar_ok(kind: str, value: Any, in_list: bool = False) -> bool:
    if kind == "bool|any":  # a platform that may go either way: ECC on a GeForce card
        return isinstance(value, bool) or value == "any"
    if isinstance(value, bool):
        return kind == "bool"
    if kind == "version":  # "550.54.15", or a branch prefix "550." in an allowed list (a minimum is a version)
        try:
            return isinstance(value, str) and bool(versions.parse(value[:-1] if in_list and value.endswith(".")
                                                                  else value))
        except ValueError:
            return False
    if kind == "float":  # TOML's nan and inf would make every comparison false: a check would pass
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return isinstance(value, {"int": int, "str": str, "bool": bool}[kind])
