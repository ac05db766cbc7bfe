"""Every real capture with hand-read expectations imports to exactly the facts a person reads in it.

tests/data/captures/expected.json holds, per capture, what was typed by hand from reading the file
(its `_conventions` key says how: N/A is null, numbers as printed, index = place in the file). This
test never takes a value from readycheck's output: it maps each hand-read key to the facts field that
must hold it (KEYS), and fails on a key it does not know, so an expectation is never skipped by
accident. Keys that name something facts v1 does not keep (the DTD, the driver model, the host's
maximum PCIe generation, ...) are listed in NOT_FACTS.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readycheck.facts import ALL_LINKS_INACTIVE, NOT_SUPPORTED
from readycheck.facts.schema import validate
from readycheck.facts.views import gpu_count
from readycheck.importers import import_files

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
EXPECTED = json.loads((CAPTURES / "expected.json").read_text(encoding="utf-8"))
NAMES = sorted(name for name in EXPECTED if not name.startswith("_"))

# hand-read key -> facts field of the GPU (same name where absent)
GPU_KEYS = {
    "temp_gpu_c": "temperature_gpu_c", "temp_memory_c": "temperature_memory_c",
    "temp_gpu_tlimit_c": "temperature_gpu_tlimit_c", "temp_max_gpu_c": "temperature_gpu_max_c",
    "temp_slowdown_c": "temperature_slowdown_c", "temp_shutdown_c": "temperature_shutdown_c",
    "pcie_gen_current": "pcie_link_gen_current", "pcie_gen_max": "pcie_link_gen_max",
    "pcie_gen_device_max": "pcie_link_gen_gpu_max", "pcie_width_current": "pcie_link_width_current",
    "pcie_width_max": "pcie_link_width_max",
}
SAME = ("index", "name", "uuid", "serial", "pci_bus_id", "memory_total_mib", "power_draw_w", "power_limit_default_w",
        "power_limit_min_w", "power_limit_max_w", "ecc_mode_current", "ecc_mode_pending", "mig_mode_current",
        "persistence_mode", "retired_pages", "remapped_rows", "ecc_errors")
# Judged by a rule below rather than one field each.
RULES = ("power_limit_w", "power_limit_enforced_w", "clocks_event_reasons_active", "temp_shutdown_tlimit_c",
         "temp_slowdown_tlimit_c", "temp_max_operating_tlimit_c", "driver_version", "cuda_version",
         "links", "active_links", "link_speeds_gbps", "message")
# What the captures print that facts v1 does not keep (each key of expected.json is in exactly one list).
NOT_FACTS = (
    "minor_number",  # not the index: the reason index is asserted by file position
    "power_limit_requested_w", "power_draw_average_w", "power_draw_instant_w",  # power_draw_w holds the rule
    "power_limit_nested_under", "pcie_gen_host_max", "pcie_gen_device_current", "driver_model_current",
    "driver_model_pending", "virtualization_mode", "addressing_mode", "c2c_mode", "power_state",
    "module_power_draw_w", "module_power_limit_w", "clocks_throttle_reasons",  # a note on the N/A block
    "ecc_dram_uncorrectable_aggregate", "ecc_dram_uncorrectable_volatile",  # summed into ecc_errors
)
TOP_NOT_FACTS = ("kind", "note", "dtd", "os", "driver_version_line_suffix", "header_has_ansi_underline", "columns",
                 "nic_count")
# nvidia-smi's words for a value -> the facts' boolean
WORDS = {"Enabled": True, "Disabled": False, "Yes": True, "No": False}
# nvidia-smi's text labels of the clocks event reasons -> NVML's names (the XML element names are NVML's)
REASON_LABELS = {"Idle": "gpu_idle", "SW Power Cap": "sw_power_cap", "HW Slowdown": "hw_slowdown",
                 "SW Thermal Slowdown": "sw_thermal_slowdown", "HW Thermal Slowdown": "hw_thermal_slowdown",
                 "HW Power Brake Slowdown": "hw_power_brake_slowdown"}
# what nvidia-smi prints instead of a number -> the reason the facts keep
NOT_A_NUMBER = {"Unknown Error": "Unknown"}


def facts_of(name: str) -> dict[str, Any]:
    snapshot = import_files([CAPTURES / name])
    assert validate(snapshot) == []
    return snapshot


def test_every_key_of_the_expectations_is_judged_or_named_as_not_a_fact():
    known_gpu = set(GPU_KEYS) | set(SAME) | set(RULES) | set(NOT_FACTS)
    known_top = {"gpus", "driver_version", "cuda_version", "kmd_version", "cuda_umd_version", "attached_gpus",
                 "gpu_count_in_file", "gpu_count", "gpu0_gpu1", "rows", *TOP_NOT_FACTS}
    for name in NAMES:
        assert set(EXPECTED[name]) <= known_top, name
        for gpu in EXPECTED[name].get("gpus", []):
            assert set(gpu) <= known_gpu, (name, set(gpu) - known_gpu)


def test_every_expectation_names_a_capture_in_the_folder():
    """No file name in expected.json is misspelt (a misspelt one would test nothing)."""
    assert all((CAPTURES / name).is_file() for name in NAMES)
    assert len(NAMES) >= 30


@pytest.mark.parametrize("name", NAMES)
def test_node(name):
    want, facts = EXPECTED[name], facts_of(name)
    nvidia = facts["nvidia"]
    for key, field in (("driver_version", "driver_version"), ("kmd_version", "driver_version"),
                       ("cuda_version", "cuda_driver_version"), ("cuda_umd_version", "cuda_driver_version")):
        if key in want:
            assert nvidia[field] == want[key], key
    if "attached_gpus" in want:
        assert nvidia.get("attached_gpus") == want["attached_gpus"]
    shown = want.get("gpu_count_in_file", want.get("gpu_count"))
    if shown is not None:
        assert len(facts["gpus"]) == shown
        assert gpu_count(facts) == (want.get("attached_gpus") or shown)
    if "gpu0_gpu1" in want:  # topo -m of one GPU: no pair
        assert want["gpu0_gpu1"] is None and facts["topology"] == []
    for row, cells in want.get("rows", {}).items():  # topo -m: the NUMA Affinity column
        gpu = facts["gpus"][int(row[len("GPU"):])]
        if cells["NUMA Affinity"] == "":  # printed empty (Windows): no node to give
            assert gpu["numa_node"] is None and gpu["unavailable"]["numa_node"] == NOT_SUPPORTED
        else:
            assert gpu["numa_node"] == int(cells["NUMA Affinity"])


@pytest.mark.parametrize("name, place", [(name, place) for name in NAMES
                                         for place in range(len(EXPECTED[name].get("gpus", [])))])
def test_gpu(name, place):
    want, facts = EXPECTED[name], facts_of(name)
    hand, gpu = want["gpus"][place], facts["gpus"][place]
    for key in SAME:
        if key in hand:
            same(gpu, key, hand[key])
    for key, field in GPU_KEYS.items():
        if key in hand and not (key.startswith("temp_s") and f"{key[:-2]}_tlimit_c" in hand):
            same(gpu, field, hand[key])
    for key in ("driver_version", "cuda_version"):  # repeated per GPU by the hand-written file
        if key in hand:
            assert hand[key] == want[key]
    if "power_limit_w" in hand or "power_limit_enforced_w" in hand:
        # NVML's enforced limit: "Current Power Limit" (newer), "Enforced Power Limit" (older)
        same(gpu, "power_limit_w", hand.get("power_limit_enforced_w", hand.get("power_limit_w")))
    if "clocks_event_reasons_active" in hand:
        labels = hand["clocks_event_reasons_active"]
        same(gpu, "clocks_event_reasons", None if labels is None else [REASON_LABELS.get(x, x) for x in labels])
    tlimit_thresholds(gpu, hand)
    if "links" in hand:
        nvlinks(gpu, hand)


def same(obj: dict[str, Any], field: str, hand: Any) -> None:
    """`obj[field]` is what was read by hand: null (N/A) is null with NotSupported; for a group
    (retired pages, remapped rows) all-null is the group null, and Yes/No are booleans."""
    found = obj[field]
    if isinstance(hand, dict):
        if all(value is None for value in hand.values()):
            assert found is None or all(found[k] is None for k in hand), field
            return
        assert found is not None, (field, obj["unavailable"].get(field))
        for key, value in hand.items():
            same(found, key, value)
        return
    if hand is None:
        assert found is None, (field, found)
        assert obj["unavailable"][field] == NOT_SUPPORTED, field
    elif isinstance(hand, str) and hand in NOT_A_NUMBER:
        assert found is None and obj["unavailable"][field] == NOT_A_NUMBER[hand], field
    else:
        assert found == (WORDS.get(hand, hand) if isinstance(hand, str) else hand), (field, found, hand)


def tlimit_thresholds(gpu: dict[str, Any], hand: dict[str, Any]) -> None:
    """GPUs that print thresholds only as T.Limit offsets: the absolute threshold is T.Limit (current
    temperature plus the T.Limit headroom) minus the offset, as NVML's probe derives it."""
    tlimit = None if hand.get("temp_gpu_tlimit_c") is None else hand["temp_gpu_c"] + hand["temp_gpu_tlimit_c"]
    for key, field in (("temp_shutdown_tlimit_c", "temperature_shutdown_c"),
                       ("temp_slowdown_tlimit_c", "temperature_slowdown_c"),
                       ("temp_max_operating_tlimit_c", "temperature_gpu_max_c")):
        if key in hand:
            assert tlimit is not None
            assert gpu[field] == tlimit - hand[key], field


def nvlinks(gpu: dict[str, Any], hand: dict[str, Any]) -> None:
    """`nvidia-smi nvlink -s`: the links listed, the active ones, and what a GPU without link lines says."""
    links = gpu["nvlinks"]
    if "all links are inActive" in hand.get("message", ""):
        assert links is None and gpu["unavailable"]["nvlinks"] == ALL_LINKS_INACTIVE
        assert hand["active_links"] == 0 and hand["links"] == 0
        return
    assert links is not None, gpu["unavailable"].get("nvlinks")
    assert len(links) == hand["links"]
    assert sum(link["active"] for link in links) == hand["active_links"]
    assert len(hand["link_speeds_gbps"]) == hand["active_links"]
