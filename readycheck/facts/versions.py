"""Dotted version numbers compared as numbers: "550.54.15" > "535.161.08", "12.10" > "12.4".

Driver, CUDA and Fabric Manager versions all come as dotted decimals. Trailing
zero parts do not count ("570.26" == "570.26.00"). Anything else is not a
version: `ValueError` names the text, so a bad rule-pack value or a garbled
snapshot says what it is instead of comparing as a string.
"""

from __future__ import annotations


def parse(text: str) -> tuple[int, ...]:
    """`"550.54.15"` → `(550, 54, 15)`; `"12.4.0"` → `(12, 4)`."""
    parts = text.strip().split(".")
    if not all(part.isdecimal() for part in parts):
        raise ValueError(f"{text!r} is not a dotted version number like \"550.54.15\"")
    numbers = [int(part) for part in parts]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def fault(text: str) -> str:
    """Why `text` is not a version, in words ("'banana' is not a dotted version number ..."); "" when
    it is one. A check says `unknown` with it rather than compare what is not a version."""
    try:
        parse(text)
    except ValueError as exc:
        return str(exc)
    return ""


def at_least(version: str, minimum: str) -> bool:
    return parse(version) >= parse(minimum)


def branch(version: str) -> str:
    """The driver branch: `"550.54.15"` → `"550"`."""
    return str(parse(version)[0])
