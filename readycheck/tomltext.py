"""TOML as readycheck reads its input files (rule packs, site files, order files): one parser, one error.

tomllib (tomli before Python 3.11) is imported on first use: a run whose rule packs come from the cache
(readycheck.cache) and that reads no site or order file never needs it.
"""

from __future__ import annotations

import sys
from typing import Any

from readycheck.errors import InputError


def parse(label: str, text: str) -> dict[str, Any]:
    """The TOML document in `text`; an `InputError` naming `label` (the file) and the fault when it is not one."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.9/3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: invalid TOML: {exc}") from None
