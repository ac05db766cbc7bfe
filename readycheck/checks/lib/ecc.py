"""Whether the platform runs its GPUs with ECC: gpu.ecc_mode's `expected`, for every check that needs to know.

health.ecc_errors and health.remapped_rows read ECC's counters; whether a GPU
that reports none lacks a feature the platform has (`unknown`) or one it does
not (`skip`) is the pack's word, given once in gpu.ecc_mode. A check that needs
it declares `NEEDS = ("checks",)` and receives the pack's resolved check tables.
"""

from __future__ import annotations

from typing import Any

ECC_CHECK = "gpu.ecc_mode"
ANY = "any"  # the platform runs either way (a GeForce workstation)


def ecc_expected(tables: dict[str, dict[str, Any]] | None) -> bool | None:
    """True (the platform runs ECC on), False (off), or None: either is fine, or no pack was given."""
    wanted = ((tables or {}).get(ECC_CHECK) or {}).get("expected", True)
    return None if wanted == ANY else wanted
