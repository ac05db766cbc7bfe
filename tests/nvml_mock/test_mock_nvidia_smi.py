"""readycheck and the real nvidia-smi read the same NVML mock and must agree, field by field.

For every profile of tests/data/nvml-profiles/expected.toml, every field that `nvidia-smi --query-gpu`
reports and facts v1 has is compared with what `readycheck collect` wrote: identity, memory, modes,
temperatures, power, clocks, PCIe, ECC counters, retired pages, clocks event reasons, fabric. What
--query-gpu lacks is compared in `nvidia-smi -q -d` form: the enforced power limit, remapped rows, the
temperature thresholds' T.Limit offsets. N/A and Not Supported in nvidia-smi are null in the facts.

nvidia-smi here is Debian's 535.261.03 (READYCHECK_TEST_NVIDIA_SMI). It reads two fields through NVML's
private export table, which the mock answers with zeros; test_what_nvidia_smi_reads_privately_is_zero
keeps that exception honest.
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import pytest
from nvmlmock import load_profiles, needs_mock, query_gpu, query_sections

pytestmark = needs_mock

NAMES = [p.name for p in load_profiles()]
NOT_READ = {"N/A", "[N/A]", "Not Supported", "[Not Supported]", "Unknown Error", "[Unknown Error]"}


def _text(value: str) -> str:
    return value


def _number(value: str) -> float:
    return float(value)


def _enabled(value: str) -> bool:
    return {"Enabled": True, "Disabled": False}[value]


def _yes(value: str) -> bool:
    return {"Yes": True, "No": False}[value]


def _word(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


def _bare(field: str, text: str) -> str:
    """nvidia-smi 535 prints fabric.state as "state  Completed", fabric.status as "status N/A"."""
    return re.sub(r"^(state|status)\s+", "", text) if field.startswith("fabric.") else text


# (facts field, dotted for sub-objects; --query-gpu field; how nvidia-smi's text reads)
QUERY: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("name", "name", _text), ("serial", "serial", _text), ("uuid", "uuid", _text),
    ("pci_bus_id", "pci.bus_id", _text), ("pci_device_id", "pci.device_id", _text),
    ("vbios_version", "vbios_version", _text), ("inforom_version", "inforom.img", _text),
    ("memory_total_mib", "memory.total", _number),
    ("persistence_mode", "persistence_mode", _enabled), ("ecc_mode_current", "ecc.mode.current", _enabled),
    ("ecc_mode_pending", "ecc.mode.pending", _enabled), ("mig_mode_current", "mig.mode.current", _enabled),
    ("mig_mode_pending", "mig.mode.pending", _enabled), ("compute_mode", "compute_mode", _text),
    ("pstate", "pstate", _text),
    ("temperature_gpu_c", "temperature.gpu", _number), ("temperature_memory_c", "temperature.memory", _number),
    ("fan_speed_pct", "fan.speed", _number),
    ("power_draw_w", "power.draw", _number), ("power_limit_default_w", "power.default_limit", _number),
    ("power_limit_min_w", "power.min_limit", _number), ("power_limit_max_w", "power.max_limit", _number),
    ("clocks_sm_mhz", "clocks.sm", _number), ("clocks_mem_mhz", "clocks.mem", _number),
    ("clocks_max_sm_mhz", "clocks.max.sm", _number), ("clocks_max_mem_mhz", "clocks.max.mem", _number),
    ("pcie_link_gen_current", "pcie.link.gen.current", _number), ("pcie_link_gen_max", "pcie.link.gen.max", _number),
    ("pcie_link_gen_gpu_max", "pcie.link.gen.gpumax", _number),
    ("pcie_link_width_current", "pcie.link.width.current", _number),
    ("pcie_link_width_max", "pcie.link.width.max", _number),
    ("ecc_errors.volatile_corrected", "ecc.errors.corrected.volatile.total", _number),
    ("ecc_errors.volatile_uncorrected", "ecc.errors.uncorrected.volatile.total", _number),
    ("ecc_errors.aggregate_corrected", "ecc.errors.corrected.aggregate.total", _number),
    ("ecc_errors.aggregate_uncorrected", "ecc.errors.uncorrected.aggregate.total", _number),
    ("retired_pages.single_bit", "retired_pages.sbe", _number),
    ("retired_pages.double_bit", "retired_pages.dbe", _number),
    ("retired_pages.pending", "retired_pages.pending", _yes),
    ("fabric.state", "fabric.state", _word), ("fabric.status", "fabric.status", _word),
)
# Clocks event reasons nvidia-smi reports one by one ("Active" / "Not Active"), by facts' names.
REASONS = ("gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown", "hw_thermal_slowdown",
           "hw_power_brake_slowdown", "sw_thermal_slowdown", "sync_boost")
# nvidia-smi does not read ECC counters of a GPU whose ECC is off; it prints N/A without asking NVML.
ECC_COUNTERS = tuple(q for q in QUERY if q[0].startswith("ecc_errors."))


def _fact(gpu: dict[str, Any], path: str) -> Any:
    value: Any = gpu
    for part in path.split("."):
        if value is None:
            return None
        value = value[part]
    if path.startswith("fabric.") and isinstance(value, str):
        return re.sub(r"[^a-z0-9]", "", value.lower())
    return value


def _same(fact: Any, smi: Any) -> bool:
    if isinstance(smi, float) and isinstance(fact, (int, float)) and not isinstance(fact, bool):
        return math.isclose(fact, smi, abs_tol=0.005)
    return fact == smi


def _disagreements(gpu: dict[str, Any], row: dict[str, str]) -> list[str]:
    compared = QUERY if gpu["ecc_mode_current"] else tuple(q for q in QUERY if q not in ECC_COUNTERS)
    out = []
    for path, field, read in compared:
        text = _bare(field, row[field])
        smi = None if text in NOT_READ else read(text)
        fact = _fact(gpu, path)
        if not _same(fact, smi):
            out.append(f"gpu{gpu['index']} {path}={fact!r}, nvidia-smi {field}={text!r}")
    for reason in REASONS:
        smi = row[f"clocks_event_reasons.{reason}"] == "Active"
        if (reason in (gpu["clocks_event_reasons"] or [])) != smi:
            out.append(f"gpu{gpu['index']} clocks event reason {reason}: nvidia-smi says {'not ' * (not smi)}active")
    return out


@pytest.mark.parametrize("name", NAMES)
def test_query_gpu_agrees_with_collect(runs, name):
    run = runs[name]
    facts = run.snapshot
    fields = ["index", "count", "driver_version", *(q[1] for q in QUERY),
              *(f"clocks_event_reasons.{r}" for r in REASONS)]
    rows = query_gpu(fields, run.env)
    assert [int(r["index"]) for r in rows] == [g["index"] for g in facts["gpus"]]
    assert {(int(r["count"]), r["driver_version"]) for r in rows} == {(len(facts["gpus"]),
                                                                        facts["nvidia"]["driver_version"])}
    assert [d for gpu, row in zip(facts["gpus"], rows) for d in _disagreements(gpu, row)] == []


def _offset(section: dict[str, str], label: str) -> int | None:
    value = section.get(f"Temperature/{label}", "N/A")
    return None if value in NOT_READ else int(value.split()[0])


@pytest.mark.parametrize("name", NAMES)
def test_q_sections_agree_with_collect(runs, name):
    """The enforced limit ("Current Power Limit"), remapped rows, and the thresholds: nvidia-smi prints them
    as signed offsets from T.Limit, so the differences between two thresholds must match."""
    run = runs[name]
    sections = query_sections(["POWER", "ROW_REMAPPER", "TEMPERATURE"], run.env)
    out = []
    for gpu in run.snapshot["gpus"]:
        section = sections[gpu["pci_bus_id"]]
        limit = section["GPU Power Readings/Current Power Limit"]
        if float(limit.split()[0]) != gpu["power_limit_w"]:
            out.append(f"gpu{gpu['index']} power_limit_w={gpu['power_limit_w']}, nvidia-smi {limit}")
        rows = gpu["remapped_rows"]
        smi_rows = [section.get(f"Remapped Rows/{label}", "N/A") for label in
                    ("Correctable Error", "Uncorrectable Error", "Pending", "Remapping Failure Occurred")]
        fact_rows = None if rows is None else [str(rows["correctable"]), str(rows["uncorrectable"]),
                                               "Yes" if rows["pending"] else "No", "Yes" if rows["failure"] else "No"]
        if fact_rows != (None if smi_rows[0] in NOT_READ else smi_rows):
            out.append(f"gpu{gpu['index']} remapped_rows={rows}, nvidia-smi {smi_rows}")
        slowdown = _offset(section, "GPU Slowdown T.Limit Temp")
        for label, field in (("GPU Shutdown T.Limit Temp", "temperature_shutdown_c"),
                             ("GPU Max Operating T.Limit Temp", "temperature_gpu_max_c")):
            offset = _offset(section, label)
            if offset is not None and slowdown is not None and \
                    gpu[field] - gpu["temperature_slowdown_c"] != slowdown - offset:
                out.append(f"gpu{gpu['index']} {field} - slowdown = {gpu[field] - gpu['temperature_slowdown_c']}, "
                           f"nvidia-smi offsets {slowdown} - {offset}")
    assert out == []


def test_what_nvidia_smi_reads_privately_is_zero(runs):
    """nvidia-smi 535 reads `enforced.power.limit` and `temperature.gpu.tlimit` through NVML's private export
    table (nvmlInternalGetExportTable), which the mock stubs with zeros, while readycheck reads the public
    nvmlDeviceGetEnforcedPowerLimit and nvmlDeviceGetMarginTemperature. So these two are not in the query
    comparison: the enforced limit is compared as -q's "Current Power Limit", the margin not at all. When
    this fails, nvidia-smi and the mock agree on them again: move them into QUERY."""
    run = runs["h100"]
    rows = query_gpu(["enforced.power.limit", "temperature.gpu.tlimit"], run.env)
    gpus = run.snapshot["gpus"]
    assert {(float(r["enforced.power.limit"]), float(r["temperature.gpu.tlimit"])) for r in rows} == {(0.0, 0.0)}
    assert {(g["power_limit_w"], g["temperature_gpu_tlimit_c"]) for g in gpus} == {(700.0, 87 - 34)}


def test_a_gap_of_the_mock_is_the_librarys_not_readycheck_s(runs):
    """The retired-pages fault's 80 pages on GPU 2 do not reach nvidia-smi either: the mock serves none
    (see [retired-pages.served] in expected.toml)."""
    rows = query_gpu(["index", "retired_pages.sbe", "retired_pages.dbe", "retired_pages.pending"],
                     runs["retired-pages"].env)
    assert {(r["retired_pages.sbe"], r["retired_pages.dbe"], r["retired_pages.pending"]) for r in rows} == \
        {("0", "0", "No")}
