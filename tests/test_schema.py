"""The facts v1 schema and the built-in validator, cross-checked against the jsonschema package."""

import copy
import json

import jsonschema
import pytest

from readycheck.facts import SnapshotError, empty_snapshot, load_snapshot
from readycheck.facts.schema import FACTS_V1, validate


@pytest.fixture
def snapshot():
    return empty_snapshot(collected_at="2026-11-27T12:00:00Z", version="0.1.0", source="live")


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(FACTS_V1)


def test_empty_snapshot_is_valid_for_both_validators(snapshot):
    assert validate(snapshot) == []
    jsonschema.validate(snapshot, FACTS_V1)


@pytest.mark.parametrize("mutate, expected", [
    (lambda s: s.pop("gpus"), "key gpus: missing"),
    (lambda s: s["host"].update(memory_total_mib="lots"), "key host.memory_total_mib: expected number or null"),
    (lambda s: s["gpus"].append({"index": -1}), "key gpus[0].index: -1 is below 0"),
    (lambda s: s.update(schema="readycheck.facts/2"), "key schema: 'readycheck.facts/2' is not one of"),
    (lambda s: s["topology"].append({"gpu_a": 0, "gpu_b": 1, "link": "NVX"}), "does not match"),
    (lambda s: s["nvidia"].update(nvml_available=None), "key nvidia.nvml_available: expected boolean, found null"),
])
def test_validator_names_the_key_and_agrees_with_jsonschema(snapshot, mutate, expected):
    broken = copy.deepcopy(snapshot)
    mutate(broken)
    problems = validate(broken)
    assert problems and expected in problems[0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, FACTS_V1)


def test_booleans_are_not_numbers(snapshot):
    snapshot["host"]["cpu_cores"] = True
    assert validate(snapshot) == ["key host.cpu_cores: expected integer or null, found boolean"]


def test_extra_fields_are_allowed_for_forward_compatibility(snapshot):
    snapshot["host"]["rack_position"] = "U12"
    assert validate(snapshot) == []


def test_load_snapshot_errors_name_the_file(tmp_path, snapshot):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(snapshot))
    assert load_snapshot(good)["schema"] == "readycheck.facts/1"

    truncated = tmp_path / "truncated.json"
    truncated.write_text(json.dumps(snapshot)[:200])
    with pytest.raises(SnapshotError, match=r"truncated.json: not valid JSON .*truncated\?"):
        load_snapshot(truncated)

    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**snapshot, "schema": "readycheck.facts/9"}))
    with pytest.raises(SnapshotError, match=r"wrong.json: key 'schema' is 'readycheck.facts/9'"):
        load_snapshot(wrong)

    with pytest.raises(SnapshotError, match="missing.json: cannot read"):
        load_snapshot(tmp_path / "missing.json")

    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SnapshotError, match="binary.json: not UTF-8"):
        load_snapshot(binary)

    bad_type = tmp_path / "bad_type.json"
    broken = copy.deepcopy(snapshot)
    broken["gpus"] = [{"index": "zero"}]
    bad_type.write_text(json.dumps(broken))
    with pytest.raises(SnapshotError, match=r"bad_type.json: key gpus\[0\].index: expected integer"):
        load_snapshot(bad_type)


@pytest.mark.parametrize("text, message", [
    ('{"schema": "readycheck.facts/1", "x": NaN}', "NaN is not a number a snapshot may hold"),
    ('{"schema": "readycheck.facts/1", "x": -Infinity}', "-Infinity is not a number"),
    ('{"schema": "readycheck.facts/1", "host": {"memory_total_mib": 1e999}}',
     "host.memory_total_mib: inf is not a finite"),
    ("[" * 100000, "nested too deeply"),
])
def test_numbers_a_comparison_cannot_judge_are_refused(tmp_path, text, message):
    path = tmp_path / "odd.json"
    path.write_text(text)
    with pytest.raises(SnapshotError, match=message):
        load_snapshot(path)


def test_a_negative_error_counter_is_refused(snapshot):
    from factsbuilder import hgx_h100

    facts = hgx_h100()
    facts["gpus"][2]["ecc_errors"]["volatile_uncorrected"] = -5
    assert validate(facts) == ["key gpus[2].ecc_errors.volatile_uncorrected: -5 is below 0"]


def test_storage_test_is_optional_but_typed_when_present(tmp_path, snapshot):
    import subprocess
    import sys

    from factsbuilder import hgx_h100

    facts = hgx_h100()
    assert "storage_test" not in facts["host"] and validate(facts) == []  # older snapshots lack it
    facts["host"]["storage_test"] = {"path": "/raid", "files": 3, "bytes": 3 * 10**9, "seconds": 0.6,
                                     "gb_per_s": 5.0, "stopped_by": "end", "unavailable": {}}
    assert validate(facts) == []
    jsonschema.validate(facts, FACTS_V1)
    nothing_read = {"path": "/raid", "files": 0, "bytes": 0, "seconds": 0.0, "gb_per_s": None, "stopped_by": "end",
                    "unavailable": {"gb_per_s": "NotFound"}}
    assert validate({**facts, "host": {**facts["host"], "storage_test": nothing_read}}) == []

    facts["host"]["storage_test"]["gb_per_s"] = "5"
    assert validate(facts) == ["key host.storage_test.gb_per_s: expected number or null, found string"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(facts, FACTS_V1)
    path = tmp_path / "storage.json"
    path.write_text(json.dumps(facts))
    done = subprocess.run([sys.executable, "-m", "readycheck", "check", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "storage.json: key host.storage_test.gb_per_s" in done.stderr, done.stderr
