"""docs/facts.md, the schema and what readycheck writes cannot drift apart.

- Every field the schema (FACTS_V1) declares has a row in a field table of docs/facts.md, with the type
  the schema gives it; facts.md documents no field the schema lacks; a field whose name carries a unit
  suffix (`_w`, `_mhz`, ...) gives that unit.
- Every field readycheck writes (a live collection with a load phase and a storage test, every capture
  it imports) is declared by the schema, so it is documented too.
- Every reason word readycheck can store in an `unavailable` map is explained under "Missing values".

A field table is a Markdown table whose header starts `| field | type | unit |`; each row's first cell
is the field's full path in backticks: dots between keys, `[]` for the items of an array
(`gpus[].nvlinks[].crc_errors`). The type is the schema's, spelled `integer or null`, with `, optional`
for a field the schema does not require.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path
from typing import Any

import fake_nvml
import perfbuilder
import pytest
from probe_fakes import LiveTree
from probe_fakes import runner as commands
from test_end_to_end import collect_node
from test_load import FAKE, child

from readycheck.facts.record import REASONS
from readycheck.facts.schema import FACTS_V1, Schema
from readycheck.importers import import_files
from readycheck.importers.common import NOT_A_VALUE
from readycheck.load import runner
from readycheck.probes import storage_test
from readycheck.probes.nvml_backend import NVML_ERROR_WORDS, NvmlUnavailable
from readycheck.probes.xid import LIVE_SOURCES

REPO = Path(__file__).resolve().parent.parent
FACTS_MD = REPO / "docs" / "facts.md"
CAPTURES = REPO / "tests" / "data" / "captures"

JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")
# Unit suffixes of field names and the unit facts.md must give for them (longest suffix first).
UNITS = (("_gb_per_s", "GB/s"), ("_gbps", "Gb/s"), ("_mbps", "Mb/s"), ("_mhz", "MHz"), ("_mib", "MiB"),
         ("_bytes", "bytes"), ("_pct", "%"), ("_w", "W"), ("_c", "°C"), ("_j", "J"), ("_s", "s"))


def _json_type(value: Any) -> str:
    return {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}[type(value)]


def type_text(node: Schema, required: bool) -> str:
    """The schema's type of a field as facts.md spells it: `integer or null`, `string, optional`."""
    names = node.get("type")
    if names is None:
        names = {_json_type(value) for value in node.get("enum", ())}
    elif isinstance(names, str):
        names = [names]
    text = " or ".join(sorted(names, key=JSON_TYPES.index)) or "any"
    return text if required else f"{text}, optional"


def schema_fields(node: Schema, prefix: str = "") -> dict[str, str]:
    """Every field path the schema declares, with its type text; arrays of objects add `path[].field`."""
    fields = {}
    required = set(node.get("required", ()))
    for key, child_node in node.get("properties", {}).items():
        path = f"{prefix}.{key}" if prefix else key
        fields[path] = type_text(child_node, key in required)
        fields.update(schema_fields(child_node, path))
        items = child_node.get("items")
        if isinstance(items, dict):
            fields.update(schema_fields(items, f"{path}[]"))
    return fields


CELL_SPLIT = re.compile(r"(?<!\\)\|")
PATH_CELL = re.compile(r"^`([A-Za-z_][\w.\[\]]*)`$")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in CELL_SPLIT.split(line.strip().strip("|"))]


def documented_fields(markdown: str) -> tuple[dict[str, dict[str, str]], list[str]]:
    """The rows of every field table, by path ({column: text}), and the rows that break the convention."""
    rows: dict[str, dict[str, str]] = {}
    problems = []
    header: list[str] | None = None
    for number, line in enumerate(markdown.splitlines(), 1):
        if not line.lstrip().startswith("|"):
            header = None
            continue
        cells = _cells(line)
        if header is None:
            header = [cell.lower() for cell in cells]
            continue
        if header[:3] != ["field", "type", "unit"] or set("".join(cells)) <= set("-: "):
            continue
        match = PATH_CELL.match(cells[0])
        if match is None:
            problems.append(f"line {number}: first cell {cells[0]!r} is not a field path in backticks")
        elif match.group(1) in rows:
            problems.append(f"line {number}: {match.group(1)} documented twice")
        else:
            rows[match.group(1)] = dict(zip(header, cells))
    return rows, problems


def unit_for(path: str) -> str | None:
    name = "_" + path.rsplit(".", 1)[-1]
    return next((unit for suffix, unit in UNITS if name.endswith(suffix)), None)


def drift(schema: Schema, markdown: str) -> list[str]:
    """What keeps `markdown` from documenting `schema` exactly: missing, extra or mistyped fields."""
    declared = schema_fields(schema)
    rows, problems = documented_fields(markdown)
    problems += [f"{path}: declared by the schema, not documented" for path in declared if path not in rows]
    problems += [f"{path}: documented, not in the schema" for path in rows if path not in declared]
    for path, row in rows.items():
        if path in declared and row.get("type") != declared[path]:
            problems.append(f"{path}: documented type {row.get('type')!r}, the schema says {declared[path]!r}")
        unit = unit_for(path)
        if unit is not None and row.get("unit") != unit:
            problems.append(f"{path}: unit {row.get('unit')!r}, its name says {unit!r}")
    return problems


def test_facts_md_documents_exactly_the_schema():
    assert drift(FACTS_V1, FACTS_MD.read_text(encoding="utf-8")) == []


SMALL = {
    "type": "object", "required": ["gpus"],
    "properties": {
        "gpus": {"type": "array", "items": {
            "type": "object", "required": ["power_draw_w", "index"],
            "properties": {"power_draw_w": {"type": ["number", "null"]}, "index": {"type": "integer"},
                           "mig_mode_pending": {"type": ["boolean", "null"]}},
        }},
    },
}
SMALL_DOC = """\
| field | type | unit | source | null means |
|---|---|---|---|---|
| `gpus` | array | | | |
| `gpus[].index` | integer | | nvmlDeviceGetHandleByIndex | never null |
| `gpus[].power_draw_w` | number or null | W | nvmlDeviceGetPowerUsage \\| mW / 1000 | NotSupported |
| `gpus[].mig_mode_pending` | boolean or null, optional | | nvmlDeviceGetMigMode | |
"""


def test_the_checker_accepts_a_complete_doc():
    assert drift(SMALL, SMALL_DOC) == []


@pytest.mark.parametrize("edit, expected", [
    (lambda doc: doc.replace("| `gpus[].index` | integer | | nvmlDeviceGetHandleByIndex | never null |\n", ""),
     "gpus[].index: declared by the schema, not documented"),
    (lambda doc: doc + "| `gpus[].power_limit_w` | number or null | W | | |\n",
     "gpus[].power_limit_w: documented, not in the schema"),
    (lambda doc: doc.replace("| number or null | W |", "| integer or null | W |"),
     "gpus[].power_draw_w: documented type 'integer or null', the schema says 'number or null'"),
    (lambda doc: doc.replace("boolean or null, optional", "boolean or null"),
     "the schema says 'boolean or null, optional'"),
    (lambda doc: doc.replace("| W |", "| mW |"), "gpus[].power_draw_w: unit 'mW', its name says 'W'"),
    (lambda doc: doc.replace("`gpus[].index`", "gpus[].index"), "is not a field path in backticks"),
    (lambda doc: doc + "| `gpus` | array | | | |\n", "gpus documented twice"),
])
def test_the_checker_finds_each_kind_of_drift(edit, expected):
    problems = drift(SMALL, edit(SMALL_DOC))
    assert any(expected in problem for problem in problems), problems


def test_tables_that_are_not_field_tables_are_not_read():
    reasons = "| reason | means |\n|---|---|\n| `NotSupported` | the GPU lacks it |\n"
    assert drift(SMALL, SMALL_DOC + "\n" + reasons) == []


# What readycheck writes: every key of these snapshots must be declared by the schema.

def undeclared(instance: Any, node: Schema, path: str = "") -> set[str]:
    """Paths in `instance` the schema does not declare (the keys of a map, additionalProperties, are free)."""
    found = set()
    if isinstance(instance, dict):
        properties, extra = node.get("properties", {}), node.get("additionalProperties")
        for key, value in instance.items():
            child_path = f"{path}.{key}" if path else key
            child_node = properties.get(key, extra if isinstance(extra, dict) else None)
            if child_node is None:
                found.add(child_path)
            else:
                found |= undeclared(value, child_node, child_path)
    elif isinstance(instance, list) and isinstance(node.get("items"), dict):
        for item in instance:
            found |= undeclared(item, node["items"], f"{path}[]")
    return found


COMMANDS = {
    tuple(LIVE_SOURCES[0]): "2024-03-12T04:02:51+0000 node kernel: NVRM: Xid (PCI:0000:19:00): 79, pid=1, "
                            "GPU has fallen off the bus.\n",
    ("ipmitool", "sdr", "type", "Temperature"): "Inlet Temp       | 04h | ok  |  7.1 | 23 degrees C\n",
    ("ipmitool", "sdr", "type", "Power Supply"): "PS1 Status       | C8h | ok  | 10.1 | Presence detected\n",
    ("ipmitool", "dcmi", "power", "reading"): "    Instantaneous power reading:                  6843 Watts\n",
}


def test_everything_readycheck_writes_is_declared(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "choose", lambda name: FAKE)
    live = collect_node(fake_nvml.hgx_h100_8gpu(), commands=COMMANDS)
    (tmp_path / "data.bin").write_bytes(b"x" * 4096)
    live["host"]["storage_test"] = storage_test.run(tmp_path)
    ctx = LiveTree(nvml_backend=fake_nvml.hgx_h100_8gpu, run=commands(COMMANDS))
    live["load"] = runner.run(ctx, 0.3, interval=0.1, start=child("import time; time.sleep(0.3)"))
    assert all((live["load"]["samples"], live["load"]["chassis"], live["host"]["psus"], live["xid_events"],
                live["host"]["block_devices"], live["infiniband"], live["network_interfaces"]))
    snapshots = [live, perfbuilder.healthy()]
    captures = sorted(p for p in CAPTURES.iterdir() if p.suffix in (".txt", ".xml"))
    snapshots += [import_files([capture]) for capture in captures]
    snapshots.append(import_files([CAPTURES / "nvidia-smi-q_H100-80GB-HBM3_driver590.48.01_load.txt",
                                   CAPTURES / "nvlink-s_H100-80GB-HBM3_18links_driver590.48.01.txt",
                                   CAPTURES / "topo-m_8xH800_NV8_4NIC_driver525.105.17.txt",
                                   CAPTURES / "ibstat_H100-node_IB-NDR400_bond0-RoCE.txt"]))
    found = set().union(*(undeclared(json.loads(json.dumps(s)), FACTS_V1) for s in snapshots))
    assert found == set()


def test_the_undeclared_walk_can_fail():
    assert undeclared({"gpus": [{"index": 0, "power_draw_w": 1.0, "watts": 1}]}, SMALL) == {"gpus[].watts"}


# Reason words: those the facts module names, and every other word a probe, importer or NVML can store.

def _writers() -> list[Path]:
    """The modules that write facts: the facts package, probes, importers and the load phase."""
    return sorted(path for package in ("facts", "probes", "importers", "load", "perf")
                  for path in (REPO / "readycheck" / package).glob("*.py"))


def _string_constants() -> dict[str, str]:
    """Module-level `NAME = "Word"` assignments in the modules that write facts, by name."""
    constants = {}
    for path in _writers():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                constants.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
    return constants


def _words(expression: ast.AST, constants: dict[str, str]) -> set[str]:
    """The reason words an argument expression can take: its string literals and named constants."""
    words = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            words.add(node.value)
        elif isinstance(node, ast.Name) and node.id in constants:
            words.add(constants[node.id])
    return {word for word in words if re.fullmatch(r"[A-Z][A-Za-z]+", word)}


def _holds_a_reason(target: ast.AST) -> bool:
    """`reason = ...` (a local handed on to `Unreadable`) or `<record>.unavailable[key] = ...`."""
    if isinstance(target, ast.Name):
        return target.id == "reason"
    return isinstance(target, ast.Subscript) and getattr(target.value, "attr", None) == "unavailable"


def reason_words_in_code() -> set[str]:
    """Words passed as the reason of `Unreadable(...)`, `NvmlUnavailable(..., reason)` and
    `record.missing(field, reason)`, or stored as `reason = ...` and `...unavailable[key] = ...`."""
    constants = _string_constants()
    words = set(REASONS) | set(NVML_ERROR_WORDS.values()) | set(NOT_A_VALUE.values())
    words.add(inspect.signature(NvmlUnavailable).parameters["reason"].default)
    for path in _writers():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                position = {"Unreadable": 0, "NvmlUnavailable": 1, "missing": 1}.get(name)
                if position is not None and len(node.args) > position:
                    words |= _words(node.args[position], constants)
            elif isinstance(node, ast.Assign) and any(_holds_a_reason(target) for target in node.targets):
                words |= _words(node.value, constants)
    return words


def missing_values_section(markdown: str) -> str:
    match = re.search(r"^## Missing values\n(.*?)(?=^## )", markdown, re.MULTILINE | re.DOTALL)
    assert match, "docs/facts.md has no '## Missing values' section"
    return match.group(1)


def test_every_reason_word_is_explained_under_missing_values():
    section = missing_values_section(FACTS_MD.read_text(encoding="utf-8"))
    words = reason_words_in_code()
    # The scan finds words of every kind: shared, literal, a module constant, a local, a default argument.
    assert {"NotSupported", "LinkDown", "Virtual", "CommandFailed", "BindingNotInstalled"} <= words
    assert sorted(word for word in words if f"`{word}`" not in section) == []
