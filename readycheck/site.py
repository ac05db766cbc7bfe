"""The site file (`--site FILE`): the racks, their power feeds and cooling, and the room's ASHRAE class.

```toml
[site]
name = "DC1 hall B"          # required
ashrae_class = "A2"          # A1 | A2 | A3 | A4 | H1 (default A2): inlet temperature limits

[[rack]]
name = "B07"                 # required
nodes = ["gpu-b07-*"]        # required: hostname globs (fnmatch) of the nodes in this rack
node_count = 8               # optional: nodes the rack will hold; default: the names in `nodes`
                             #   without wildcards. A rack judged from fewer snapshots is projected.
redundancy = "2N"            # "N": the feeds add up; "2N": either side alone carries the rack (default N)
air_cooling_kw = 40.0        # heat the room's air cooling removes from this rack (optional)
liquid_cooling_kw = 0.0      # capacity of the liquid loop (default 0)
liquid_fraction = 0.0        # share of node heat taken by liquid, 0..1 (default 0)

[[rack.feed]]                # at least one per rack
name = "A1"                  # required
side = "A"                   # "A" or "B": the side of a 2N rack this feed is on (two PDUs per side add up)
volts = 415                  # required: line-to-line for three-phase
amps = 32                    # required: breaker rating
phases = 3                   # required: 1 or 3
power_factor = 0.95          # default 0.95
derate = 0.8                 # continuous-load limit, default 0.8 (the 80% rule)
```

Under 2N a rack's budget is what one side alone carries when the other side
fails: the sum of that side's feeds, the weaker side deciding. Feeds name
their `side`; in a 2N rack either every feed names one (and both A and B are
there) or none does. A file written before feeds had sides names none: then
each feed is a side of its own and must carry the rack alone (the weakest
feed decides), as before. Under N the feeds add up and `side` changes nothing.

Every key is checked: an unknown key, a wrong type, a number no real feed or rack has
(`amps = 1e-300`) or a missing required key is an `InputError` naming the file and the key
(`site.toml: rack[2].feed[0].amps: ...`), and so is a node that the globs of two racks match
(a name listed in one rack, when the file is read; any other, when that node is judged).
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readycheck import tomltext
from readycheck.catalogue.ashrae import CLASSES as ASHRAE_CLASSES
from readycheck.catalogue.ashrae import DEFAULT_CLASS as DEFAULT_ASHRAE_CLASS
from readycheck.errors import InputError
from readycheck.inputs import read_text

SIDES = ("A", "B")


@dataclass(frozen=True)
class Feed:
    name: str
    volts: float
    amps: float
    phases: int
    power_factor: float = 0.95
    derate: float = 0.8
    side: str | None = None


@dataclass(frozen=True)
class Rack:
    name: str
    nodes: tuple[str, ...]
    feeds: tuple[Feed, ...]
    redundancy: str = "N"
    air_cooling_kw: float | None = None
    liquid_cooling_kw: float = 0.0
    liquid_fraction: float = 0.0
    node_count: int | None = None

    def sides(self) -> dict[str, tuple[Feed, ...]]:
        """The rack's feeds by 2N side; a feed without a side is a side of its own (files from before sides)."""
        grouped: dict[str, tuple[Feed, ...]] = {}
        for feed in self.feeds:
            key = feed.side or f"feed {feed.name}"
            grouped[key] = grouped.get(key, ()) + (feed,)
        return grouped

    def holds(self, hostname: str) -> bool:
        return any(fnmatch.fnmatchcase(hostname, pattern) for pattern in self.nodes)

    @property
    def expected_nodes(self) -> int | None:
        """How many nodes the rack will hold: `node_count`, else the names listed without wildcards."""
        if self.node_count is not None:
            return self.node_count
        literal = [p for p in self.nodes if not any(c in p for c in "*?[")]
        return len(literal) if len(literal) == len(self.nodes) else None


@dataclass(frozen=True)
class Site:
    name: str
    path: str
    ashrae_class: str = DEFAULT_ASHRAE_CLASS
    racks: tuple[Rack, ...] = field(default_factory=tuple)

    def rack_of(self, hostname: str) -> Rack | None:
        """The rack whose globs match the node; a node two racks claim is an error in the site file
        (judged in either, the other rack would lose it from its budget)."""
        found = self.racks_holding(hostname)
        if len(found) > 1:
            raise InputError(f"{self.path}: rack[{found[0]}].nodes and rack[{found[1]}].nodes both match node "
                             f"{hostname!r}: a node is in one rack")
        return self.racks[found[0]] if found else None

    def racks_holding(self, hostname: str) -> list[int]:
        """The indices of the racks whose globs match, in file order; an index by the globs' literal
        prefixes keeps this quick for a hall of thousands of racks."""
        candidates = {i for n in range(len(hostname) + 1) for i in self._by_prefix.get(hostname[:n], ())}
        return [i for i in sorted(candidates) if self.racks[i].holds(hostname)]

    @functools.cached_property
    def _by_prefix(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = {}
        for i, rack in enumerate(self.racks):
            for pattern in rack.nodes:
                prefix = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
                index.setdefault(prefix, []).append(i)
        return index


# key -> (accepted Python types, required, description for the error message)
_NUMBER = ((int, float), "a number")
_SITE_KEYS = {"name": ((str,), True, "a string"), "ashrae_class": ((str,), False, "a string")}
_RACK_KEYS = {
    "name": ((str,), True, "a string"),
    "nodes": ((list,), True, "a list of hostname globs"),
    "redundancy": ((str,), False, '"N" or "2N"'),
    "air_cooling_kw": (_NUMBER[0], False, _NUMBER[1]),
    "liquid_cooling_kw": (_NUMBER[0], False, _NUMBER[1]),
    "liquid_fraction": (_NUMBER[0], False, "a number from 0 to 1"),
    "node_count": ((int,), False, "an integer"),
    "feed": ((list,), True, "one or more [[rack.feed]] tables"),
}
_FEED_KEYS = {
    "name": ((str,), True, "a string"),
    "side": ((str,), False, '"A" or "B"'),
    "volts": (_NUMBER[0], True, _NUMBER[1]),
    "amps": (_NUMBER[0], True, _NUMBER[1]),
    "phases": ((int,), True, "1 or 3"),
    "power_factor": (_NUMBER[0], False, "a number from 0 to 1"),
    "derate": (_NUMBER[0], False, "a number from 0 to 1"),
}


def _table(label: str, where: str, data: Any, keys: dict[str, tuple]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InputError(f"{label}: {where}: must be a table")
    for key, value in data.items():
        if key not in keys:
            raise InputError(f"{label}: {where}.{key}: unknown key (allowed: {', '.join(keys)})")
        types, _, wanted = keys[key]
        if isinstance(value, bool) or not isinstance(value, types) or (
                isinstance(value, float) and not math.isfinite(value)):
            raise InputError(f"{label}: {where}.{key}: must be {wanted}, found {value!r}")
    for key, (_, required, wanted) in keys.items():
        if required and key not in data:
            raise InputError(f"{label}: {where}.{key}: missing ({wanted})")
    return data


def _check(label: str, where: str, ok: bool, wanted: str, value: Any) -> None:
    if not ok:
        raise InputError(f"{label}: {where}: must be {wanted}, found {value!r}")


# What a real feed or rack can be; a value outside is a typo (amps = 1e-300 makes a budget of nothing),
# refused with its key. key -> (least, most).
_RANGES = {
    "volts": (12, 1000),  # IEC 60038: low voltage ends at 1000 V AC; OCP Open Rack v2 busbars run at 12 V DC
    "amps": (1, 6300),  # the largest low-voltage air circuit breakers (IEC 60947-2) are rated 6300 A
    "power_factor": (0.5, 1),  # 80 PLUS asks 0.9 at half load of a server PSU; below 0.5 is a typo
    "derate": (0.5, 1),  # NEC 210.19(A): 0.8 for a continuous load; 1 for a 100%-rated breaker
    "air_cooling_kw": (0, 10_000), "liquid_cooling_kw": (0, 10_000),  # NVIDIA's densest racks: ~600 kW
    "liquid_fraction": (0, 1),
    "node_count": (1, 1000),
}


def _in_range(label: str, where: str, thing: Any) -> None:
    for key, (least, most) in _RANGES.items():
        value = getattr(thing, key, None)
        _check(label, f"{where}.{key}", value is None or least <= value <= most, f"from {least} to {most}", value)


def _feed(label: str, where: str, data: Any) -> Feed:
    data = _table(label, where, data, _FEED_KEYS)
    feed = Feed(**data)
    _check(label, f"{where}.phases", feed.phases in (1, 3), "1 or 3", feed.phases)
    _in_range(label, where, feed)
    _check(label, f"{where}.side", feed.side is None or feed.side in SIDES, '"A" or "B"', feed.side)
    return feed


def _rack(label: str, where: str, data: Any) -> Rack:
    data = dict(_table(label, where, data, _RACK_KEYS))
    _check(label, f"{where}.nodes", bool(data["nodes"]) and all(isinstance(n, str) for n in data["nodes"]),
           "a non-empty list of hostname globs", data["nodes"])
    _check(label, f"{where}.feed", bool(data["feed"]), "one or more [[rack.feed]] tables", data["feed"])
    feeds = tuple(_feed(label, f"{where}.feed[{i}]", f) for i, f in enumerate(data.pop("feed")))
    rack = Rack(feeds=feeds, **{**data, "nodes": tuple(data["nodes"])})
    _check(label, f"{where}.redundancy", rack.redundancy in ("N", "2N"), '"N" or "2N"', rack.redundancy)
    sided = {feed.side for feed in rack.feeds}
    if rack.redundancy == "2N" and sided != {None}:
        _check(label, f"{where}.feed", None not in sided, "given a side on every feed or on none (2N)",
               [feed.name for feed in rack.feeds if feed.side is None])
        _check(label, f"{where}.feed", sided == set(SIDES), "on both sides A and B (2N)", sorted(sided))
    _in_range(label, where, rack)
    return rack


def parse(label: str, text: str) -> Site:
    data = tomltext.parse(label, text)
    for key in data:
        if key not in ("site", "rack"):
            raise InputError(f"{label}: {key}: unknown key (allowed: site, rack)")
    if "site" not in data:
        raise InputError(f"{label}: site: missing ([site] table with name)")
    site = _table(label, "site", data["site"], _SITE_KEYS)
    ashrae = site.get("ashrae_class", DEFAULT_ASHRAE_CLASS)
    _check(label, "site.ashrae_class", ashrae in ASHRAE_CLASSES, " | ".join(ASHRAE_CLASSES), ashrae)
    racks_data = data.get("rack", [])
    _check(label, "rack", isinstance(racks_data, list), "[[rack]] tables", racks_data)
    racks = tuple(_rack(label, f"rack[{i}]", r) for i, r in enumerate(racks_data))
    names = [r.name for r in racks]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    _check(label, "rack.name", duplicate is None, "unique across racks", duplicate)
    parsed = Site(name=site["name"], path=label, ashrae_class=ashrae, racks=racks)
    for rack in racks:  # a node named in one rack and matched by another's glob: refused before judging
        for name in rack.nodes:
            if not any(c in name for c in "*?["):
                parsed.rack_of(name)
    return parsed


MAX_SITE_BYTES = 16 * 1024 * 1024  # a hall of 10,000 racks is about 5 MiB of TOML


def load(path: str | Path) -> Site:
    return parse(str(path), read_text(path, MAX_SITE_BYTES, "site file"))
