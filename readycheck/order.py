"""The order file (`--order FILE`): what procurement ordered, for `inventory.match` to compare item by item.

TOML (`key = value`) or CSV (one `item,expected` row per key, an optional
`item,expected` header, list items such as serials one per row), told apart
by the file's suffix. Every key is optional; an unknown key, a value of the
wrong type or a key given twice is refused with the file and the key named
(exit 2), before anything is probed or judged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readycheck import tomltext
from readycheck.errors import InputError
from readycheck.inputs import is_stdin, read_text
from readycheck.settings import Setting

KEYS: dict[str, Setting] = {
    "system_model": Setting("str", None, "substring of the DMI product name, e.g. \"DGXH100\""),
    "system_serial": Setting("str", None, "the chassis serial on the delivery note (DMI product serial)"),
    "cpu_model": Setting("str", None, "substring of the CPU model, e.g. \"Xeon(R) Platinum 8480\""),
    "memory_gib": Setting("float", None, "installed host memory in GiB, e.g. 2048"),
    "gpu_model": Setting("str", None, "substring of every GPU's name, e.g. \"NVIDIA H100 80GB HBM3\""),
    "gpu_count": Setting("int", None, "number of GPUs"),
    "gpu_serials": Setting("list[str]", None, "GPU board serials on the delivery note"),
    "hca_count": Setting("int", None, "number of InfiniBand HCAs (RDMA devices with an InfiniBand port)"),
    "hca_model": Setting("str", None, "substring of every HCA's type, e.g. \"MT4129\" (ConnectX-7)"),
    "nvme_count": Setting("int", None, "number of local NVMe drives (of nvme_size_tb when given)"),
    "nvme_size_tb": Setting("float", None, "size of each ordered NVMe drive in decimal TB, e.g. 3.84"),
    "nvme_serials": Setting("list[str]", None, "NVMe drive serials on the delivery note"),
}

MAX_ORDER_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Order:
    """A validated order: the file it came from and the keys it gives (absent keys are not compared)."""

    path: str
    items: dict[str, Any] = field(default_factory=dict)


def load(path: str | Path) -> Order:
    """Read and validate an order file (`-`: standard input, TOML or CSV); raise `InputError` naming the
    file (and the key) when it is wrong."""
    text = read_text(path, MAX_ORDER_BYTES, "order file")
    path = Path(path)
    suffix = path.suffix.lower()
    if is_stdin(path):  # no suffix: TOML when it parses as TOML, else CSV
        try:
            items = _parse_toml(path, text)
        except InputError:
            items = _parse_csv(path, text)
    elif suffix == ".toml":
        items = _parse_toml(path, text)
    elif suffix == ".csv":
        items = _parse_csv(path, text)
    else:
        raise InputError(f"{path}: an order file is .toml or .csv, not {suffix or 'without a suffix'}")
    for key, value in items.items():
        _check_key(path, key)
        problem = KEYS[key].problem(value)
        if problem:
            raise InputError(f"{path}: key {key!r} {problem}")
    return Order(path=str(path), items=items)


def _check_key(path: Path, key: str) -> None:
    if key not in KEYS:
        raise InputError(f"{path}: unknown key {key!r} (allowed: {', '.join(KEYS)})")


def _parse_toml(path: Path, text: str) -> dict[str, Any]:
    return tomltext.parse(str(path), text)


def _parse_csv(path: Path, text: str) -> dict[str, Any]:
    import csv  # only an order given as CSV needs it

    items: dict[str, Any] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#") or (number == 1 and cells[:2] == ["item", "expected"]):
            continue
        if len(cells) != 2:
            raise InputError(f"{path}: line {number}: expected two cells, item and expected, found {len(cells)}")
        key, value = cells
        _check_key(path, key)
        kind = KEYS[key].kind
        if kind.startswith("list["):
            items.setdefault(key, []).append(value)
        elif key in items:
            raise InputError(f"{path}: line {number}: key {key!r} given twice")
        else:
            items[key] = _convert(path, key, kind, value)
    return items


def _convert(path: Path, key: str, kind: str, value: str) -> Any:
    try:
        return {"int": int, "float": float, "str": str}[kind](value)
    except ValueError:
        raise InputError(f"{path}: key {key!r} must be {kind}, found {value!r}") from None
