"""What every capture importer shares: reading an untrusted file, the values nvidia-smi and ibstat
print, and the `Capture` an importer returns.

A capture importer turns one file into a `Capture`: only the facts that format carries, each
one a value or null with the reason the capture gives (nvidia-smi's "N/A" is `NotSupported`,
as NVML's answer behind it). `readycheck.importers` merges the captures of one node and fills
every field no capture carried with null and `NotInSource`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readycheck.errors import InputError
from readycheck.facts import GPU_IS_LOST, NO_PERMISSION, NOT_IN_SOURCE, NOT_SUPPORTED, UNPARSEABLE, Record, Unreadable
from readycheck.inputs import decode_text, read_bytes, size_words

MAX_CAPTURE_BYTES = 64 * 1024 * 1024
MAX_NOTES = 100

# What nvidia-smi prints instead of a value, and the reason word the facts keep for it.
NOT_A_VALUE = {
    "N/A": NOT_SUPPORTED,
    "Not Supported": NOT_SUPPORTED,
    "Insufficient Permissions": NO_PERMISSION,
    "Requested functionality has been deprecated": "Deprecated",
    "Unknown Error": "Unknown",
    "GPU requires reset": "ResetRequired",
    "GPU is lost": GPU_IS_LOST,
}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NUMBER = r"-?\d+(?:\.\d+)?"


class CaptureError(InputError):
    """A capture that cannot be imported; the message names the file and what is wrong."""


@dataclass
class Capture:
    """The facts one capture file carries. GPU and port records hold only the fields their
    format has; `gpus` records always have `index` (None, with its reason, where the capture does
    not show it). `hca_numa_nodes` maps an HCA name to the NUMA node a topology matrix places it on
    (applied to the ports of that HCA). `notes` says what was skipped in the file and why."""

    format: str
    source: str = ""  # the file's name
    numbers_gpus: bool = False  # GPU indices are nvidia-smi's own, not the order of a partial capture
    timestamp: str | None = None
    nvidia: Record | None = None
    gpus: list[Record] = field(default_factory=list)
    topology: list[dict[str, Any]] | None = None
    infiniband: list[Record] | None = None
    hca_numa_nodes: dict[str, int] = field(default_factory=dict)
    probe_errors: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unnoted: int = 0  # what was skipped past MAX_NOTES, counted in the last note
    sha256: str | None = None  # of the file's bytes, which the import records

    def note(self, text: str) -> None:
        """Say what was skipped in the file and why; past MAX_NOTES notes, only count it."""
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
            return
        self.unnoted += 1
        self.notes[-1] = f"and {self.unnoted + 1} more skipped lines, not noted one by one"


def read_capture(path: str | Path) -> bytes:
    """The file's bytes (`-`: standard input), through the bounded reader; `capture_text` decodes them."""
    return read_bytes(path, MAX_CAPTURE_BYTES, "capture", CaptureError)


def capture_text(path: str | Path, data: bytes) -> str:
    """A capture's bytes as text; refuse what cannot be one (too large, binary, not UTF-8)."""
    if len(data) > MAX_CAPTURE_BYTES:
        raise CaptureError(f"{path}: larger than {size_words(MAX_CAPTURE_BYTES)}, not a capture")
    if b"\x00" in data:
        raise CaptureError(f"{path}: binary data (NUL bytes), not a text capture")
    return decode_text(path, data, "capture", CaptureError)


def text_lines(text: str) -> list[str]:
    """Lines of a text capture without ANSI escapes or trailing blanks; `#` comment lines at the top
    (a `# source:` note put in front of a pasted capture) are blanked, so line numbers still count."""
    lines = [ANSI_ESCAPE.sub("", line).rstrip() for line in text.splitlines()]
    for number, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            lines[number] = ""
        elif line:
            break
    return lines


def first_line(lines: list[str]) -> str:
    return next((line for line in lines if line.strip()), "")


def reading(raw: str | None) -> str:
    """The text of a value the capture has; `Unreadable` with the reason where it has none
    (absent: `NotInSource`; nvidia-smi's N/A and error words: their reason)."""
    if raw is None:
        raise Unreadable(NOT_IN_SOURCE)
    text = raw.strip()
    reason = NOT_A_VALUE.get(text.strip("[]"))
    if reason:
        raise Unreadable(reason, text)
    if not text:
        raise Unreadable(NOT_SUPPORTED, "empty")
    return text


def quantity(raw: str | None, unit: str = "") -> int | float:
    """`"81559 MiB"` → 81559, `"67.74 W"` → 67.74, `"16x"` → 16, `"-8 C"` → -8: the number before
    `unit`, an int where the capture prints no decimals."""
    text = reading(raw)
    match = re.fullmatch(rf"({NUMBER})\s*{re.escape(unit)}", text)
    if not match:
        raise Unreadable(UNPARSEABLE, f"{text!r} is not '<number> {unit}'".rstrip())
    number = match.group(1)
    return float(number) if "." in number else int(number)


YES = frozenset({"Enabled", "Yes", "Active"})
NO = frozenset({"Disabled", "No", "Not Active"})


def flag(raw: str | None) -> bool:
    """Enabled/Yes/Active → True, Disabled/No/Not Active → False."""
    text = reading(raw)
    if text in YES or text in NO:
        return text in YES
    raise Unreadable(UNPARSEABLE, f"{text!r} is neither of Enabled/Disabled, Yes/No, Active/Not Active")


@dataclass
class Node:
    """One element of a nested capture (nvidia-smi's XML or its indented text): a value or children."""

    value: str | None = None
    children: dict[str, Node] = field(default_factory=dict)

    def find(self, path: str) -> Node | None:
        """The node at `a/b/c`. A value met before the path ends stands for the whole subtree
        (`<remapped_rows>N/A</remapped_rows>` answers for `remapped_rows/remapped_row_corr`)."""
        node = self
        for part in path.split("/"):
            child = node.children.get(part)
            if child is None:
                return node if node is not self and not node.children and node.value is not None else None
            node = child
        return node

    def get(self, *paths: str) -> str | None:
        """The value at the first of `paths` the capture has; None where it has none of them."""
        for path in paths:
            node = self.find(path)
            if node is not None:
                return node.value
        return None


def snake(label: str) -> str:
    """`"SW Power Cap"` → `"sw_power_cap"`."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")

