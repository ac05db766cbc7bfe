"""What the rule pack says its platform has: the line between `skip` and `unknown` for NotSupported.

NVML answers NotSupported for a feature a GPU lacks (ECC on most GeForce cards, NVLink on PCIe parts).
On a platform that has the feature, the same answer means something hides it (MIG hides the row
remapper, a VM or a wrong part hides NVLink): the check says `unknown` (or `fail` where the answer itself
is the fault), never `skip` and never `pass`. `skip` is for a feature the pack says the platform lacks.

A pack says which features its platform has through the settings of the checks that judge them, so
there is one place for each:

| feature             | facts fields                                         | the pack says so with                   |
|---------------------|------------------------------------------------------|-----------------------------------------|
| `ecc`               | ecc_mode_current, ecc_mode_pending, ecc_errors       | gpu.ecc_mode enabled, `expected` true   |
| `row_remapping`     | remapped_rows                                        | health.remapped_rows `supported = true` |
|                     |   (and on a pack with `ecc`, a GPU that retires no pages either: health.remapped_rows)      |
| `page_retirement`   | retired_pages                                        | `ecc` without `row_remapping`           |
| `nvlink`            | nvlinks                                              | nvlink.links `expected_links` above 0,  |
|                     |                                                      |   or `all_active = true`                |
| `nvswitch_fabric`   | fabric                                               | nvlink.fabric `supported = true`        |
| `memory_temperature`| temperature_memory_c                                 | thermal.margin `memory_sensor = true`   |
| `mig`               | mig_mode_current                                     | gpu.mig_mode `expected = true`          |

gpu.ecc_mode's `expected` may be true, false or "any" (ECC on, off, either: `ANY`, a GeForce workstation);
only true says the platform's GPUs must have ECC on, and a table without the key requires ECC on. A field in no feature
(power, clocks, PCIe, temperatures of the GPU itself) is one every GPU has: NotSupported there is unknown
on every platform. `OPTIONAL_FIELDS` are the exceptions, each with why.

The engine gives a check that names `features` in its `NEEDS` the set `declared(pack)` returns.
"""

from __future__ import annotations

from typing import Any

ECC, ROW_REMAPPING, PAGE_RETIREMENT = "ecc", "row_remapping", "page_retirement"
NVLINK, NVSWITCH_FABRIC, MEMORY_TEMPERATURE, MIG = "nvlink", "nvswitch_fabric", "memory_temperature", "mig"
ANY = "any"  # gpu.ecc_mode's `expected` where the platform runs its GPUs with ECC on or off

FIELDS = {
    ECC: ("ecc_mode_current", "ecc_mode_pending", "ecc_errors"),
    ROW_REMAPPING: ("remapped_rows",),
    PAGE_RETIREMENT: ("retired_pages",),
    NVLINK: ("nvlinks",),
    NVSWITCH_FABRIC: ("fabric",),
    MEMORY_TEMPERATURE: ("temperature_memory_c",),
    MIG: ("mig_mode_current",),
}
# What a feature is, in words for a finding ("the platform's GPUs have <words>").
WORDS = {
    ECC: "ECC memory", ROW_REMAPPING: "row remapping (A100 and newer)", PAGE_RETIREMENT: "page retirement",
    NVLINK: "NVLink", NVSWITCH_FABRIC: "an NVSwitch fabric to register with", MEMORY_TEMPERATURE: "a memory sensor",
    MIG: "MIG",
}
# Fields whose NotSupported may leave part of a judgement out on any platform.
OPTIONAL_FIELDS = {
    # Hopper and Ada drivers publish the memory limit only as an offset on the GPU's T.Limit scale (nvidia-smi:
    # "Memory Max Operating T.Limit Temp: 0 C"), which says nothing about the memory's own maximum; the
    # memory margin is then left out and the GPU margin judged.
    "temperature_memory_max_c": "the driver may publish the memory limit only as a T.Limit offset",
}


def declared(tables: dict[str, dict[str, Any]] | None) -> frozenset[str]:
    """The features a resolved pack's check tables say the platform has."""
    tables = tables or {}
    found = set()
    ecc_mode = tables.get("gpu.ecc_mode") or {}
    if ecc_mode.get("enabled", True) and ecc_mode.get("expected", True) is True:
        found.add(ECC)
    if (tables.get("health.remapped_rows") or {}).get("supported"):
        found.add(ROW_REMAPPING)
    if ECC in found and ROW_REMAPPING not in found:
        found.add(PAGE_RETIREMENT)
    links = tables.get("nvlink.links") or {}
    if (links.get("expected_links") or 0) > 0 or links.get("all_active"):
        found.add(NVLINK)
    if (tables.get("nvlink.fabric") or {}).get("supported"):
        found.add(NVSWITCH_FABRIC)
    if (tables.get("thermal.margin") or {}).get("memory_sensor"):
        found.add(MEMORY_TEMPERATURE)
    if (tables.get("gpu.mig_mode") or {}).get("expected"):
        found.add(MIG)
    return frozenset(found)


def has(features: frozenset[str] | None, feature: str) -> bool:
    """Whether the pack says the platform has `feature` (a check run outside the engine gets none)."""
    return feature in (features or ())


def feature_of(field: str) -> str | None:
    """The feature a GPU facts field belongs to, or None for a field every GPU has."""
    return next((feature for feature, fields in FIELDS.items() if field in fields), None)
