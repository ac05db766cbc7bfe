"""Importing real captures: every sample imports and validates, and its values match the file.

Captures under MIT or Apache-2.0 are copied to tests/data/captures (see its NOTICE.md). Others may
not be copied into the repository (GPL-3.0 netdata files, CC-BY-SA and unlicensed text from issues
and posts): the tests of those read them from the folder named by READYCHECK_TEST_SAMPLES (.ci/run
points it at the project's sample collection where one sits beside the checkout) and are skipped,
saying so, without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import jsonschema
import pytest

from readycheck import rulepack
from readycheck.engine import judge
from readycheck.facts.schema import FACTS_V1, validate
from readycheck.importers import CaptureError, import_files

REPO = Path(__file__).resolve().parent.parent
CAPTURES = REPO / "tests" / "data" / "captures"
SAMPLES = Path(os.environ.get("READYCHECK_TEST_SAMPLES") or "/nonexistent")
JSON_SCHEMA = jsonschema.Draft202012Validator(FACTS_V1)  # the schema checked by jsonschema itself, too
NOT_A_CAPTURE = ("SOURCES.md",)
NOT_CAPTURES = ("NOTICE.md", "expected.json")  # beside the captures in tests/data/captures
UNSUPPORTED = ("dcgmi-",)  # DCGM output: no importer (yet)

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="READYCHECK_TEST_SAMPLES names no folder: the samples "
                                  "that may not be copied into the repository (GPL-3.0, no licence) were not tested")


def outside_samples() -> list[str]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p.name for p in SAMPLES.iterdir() if p.name not in NOT_A_CAPTURE)


def load(name: str, folder: Path = CAPTURES) -> dict:
    snapshot = import_files([folder / name])
    assert validate(snapshot) == []
    JSON_SCHEMA.validate(snapshot)
    return snapshot


def reason(obj: dict, field: str) -> str:
    assert obj[field] is None, obj[field]
    return obj["unavailable"][field]


@pytest.mark.parametrize("name", sorted(p.name for p in CAPTURES.iterdir() if p.name not in NOT_CAPTURES))
def test_every_copied_capture_imports_and_validates(name):
    snapshot = load(name)
    assert snapshot["gpus"] or snapshot["infiniband"]


@needs_samples
@pytest.mark.parametrize("name", outside_samples())
def test_every_outside_sample_of_a_supported_format_imports_and_validates(name):
    if name.startswith(UNSUPPORTED):
        with pytest.raises(CaptureError, match=rf"{name}: not a format readycheck knows \(tried: .*ibstat"):
            import_files([SAMPLES / name])
        return
    snapshot = load(name, SAMPLES)
    assert snapshot["gpus"] or snapshot["infiniband"]


def test_copied_captures_are_the_samples_byte_for_byte():
    """Captures that are also in the sample collection are the same bytes (the others were copied from
    their source repositories directly: NOTICE.md names each)."""
    if not SAMPLES.is_dir():
        pytest.skip("READYCHECK_TEST_SAMPLES names no folder")
    shared = [path for path in CAPTURES.iterdir() if path.name not in NOT_CAPTURES and (SAMPLES / path.name).is_file()]
    assert shared
    for path in shared:
        assert path.read_bytes() == (SAMPLES / path.name).read_bytes(), path.name


# nvidia-smi -q -x


def test_xml_v12_a100_mig_keeps_one_gpu_and_says_the_others_are_not_in_the_capture():
    s = load("nvidia-smi-q-x_A100-SXM4-80GB_MIG_driver535.54.03.xml")
    assert s["source"] == "nvidia-smi-xml" and len(s["gpus"]) == 1
    assert s["nvidia"]["driver_version"] == "535.54.03" and s["nvidia"]["cuda_driver_version"] == "12.2"
    gpu = s["gpus"][0]
    assert gpu["name"] == "NVIDIA A100-SXM4-80GB" and gpu["mig_mode_current"] is True
    assert (gpu["temperature_gpu_c"], gpu["temperature_memory_c"], gpu["temperature_memory_max_c"]) == (27, 44, 95)
    assert (gpu["power_draw_w"], gpu["power_limit_w"], gpu["power_limit_min_w"]) == (67.03, 500.0, 100.0)
    assert reason(gpu, "remapped_rows") == "NotSupported"
    assert gpu["ecc_errors"]["aggregate_uncorrected"] == 0
    assert {"probe": "nvml", "error": "nvidia-smi-xml: 1 of the node's 4 attached GPUs are in the capture (as "
            "with nvidia-smi -q -i N); the others are NotInSource"} in s["probe_errors"]


def test_xml_a10g_on_a_narrow_link_and_idle():
    gpu = load("nvidia-smi-q-x_A10G_driver515.105.01.xml")["gpus"][0]
    assert (gpu["pcie_link_width_current"], gpu["pcie_link_width_max"]) == (8, 16)
    assert (gpu["pcie_link_gen_current"], gpu["pcie_link_gen_max"]) == (1, 4)
    assert gpu["clocks_event_reasons"] == ["gpu_idle"]
    assert gpu["remapped_rows"] == {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False,
                                    "unavailable": {}}
    assert reason(gpu, "pcie_link_gen_gpu_max") == "NotInSource"  # DTD v11 has no max_device_link_gen


def test_xml_t4_gen3_x8():
    s = load("nvidia-smi-q-x_Tesla-T4_driver515.105.01.xml")
    gpu = s["gpus"][0]
    assert s["nvidia"]["driver_version"] == "515.105.01" and gpu["pstate"] == "P0"
    assert (gpu["pcie_link_gen_current"], gpu["pcie_link_width_current"], gpu["power_limit_w"]) == (3, 8, 70.0)
    assert gpu["retired_pages"] == {"single_bit": 0, "double_bit": 0, "pending": False, "unavailable": {}}


def test_xml_geforce_has_no_ecc():
    gpu = load("nvidia-smi-q-x_RTX3090_driver525.147.05.xml")["gpus"][0]
    assert reason(gpu, "ecc_mode_current") == "NotSupported" and reason(gpu, "ecc_errors") == "NotSupported"
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"]) == (98, 95)


def test_xml_v13_renamed_fields():
    s = load("nvidia-smi-q-x_RTX3090_driver590.44.01_v13.xml")
    gpu = s["gpus"][0]
    assert s["nvidia"]["cuda_driver_version"] == "13.1"
    assert gpu["power_draw_w"] == 35.06  # average_power_draw, not instant_power_draw (35.15)
    assert gpu["clocks_event_reasons"] == ["sw_power_cap"]
    assert gpu["pci_device_id"] == "0x220410DE" and gpu["pci_bus_id"] == "00000000:09:00.0"
    assert gpu["memory_total_mib"] == 24576


def test_xml_v11_eight_v100s_two_at_their_power_cap():
    gpus = load("nvidia-smi-q-x_8xTesla-V100S-PCIE-32GB_driver460.73.01.xml")["gpus"]
    assert [g["index"] for g in gpus] == list(range(8))
    assert [g["index"] for g in gpus if "sw_power_cap" in g["clocks_event_reasons"]] == [3, 6]
    assert gpus[0]["power_draw_w"] == 232.8 and gpus[0]["temperature_gpu_c"] == 66
    assert gpus[0]["ecc_errors"]["aggregate_corrected"] == 0


def test_xml_v11_v100_old_single_double_bit_layout_and_power_readings():
    """The permissive counterpart of the P100 sample below: DTD v11 ECC counters as single_bit/double_bit
    totals, <power_readings> with <enforced_power_limit>, <clocks_throttle_reasons>."""
    gpu = load("nvidia-smi-q-x_Tesla-V100-PCIE-32GB_driver460.39.xml")["gpus"][0]
    assert gpu["ecc_errors"] == {"volatile_corrected": 0, "volatile_uncorrected": 0, "aggregate_corrected": 0,
                                 "aggregate_uncorrected": 0, "unavailable": {}}
    assert gpu["retired_pages"] == {"single_bit": 0, "double_bit": 0, "pending": False, "unavailable": {}}
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (170.16, 250.0) and gpu["clocks_event_reasons"] == []


def test_text_v100_single_bit_ecc_count_and_a_retired_page():
    """GPU 4 of the 8x V100 VM: 4 aggregate single-bit ECC errors (the old Single Bit / Double Bit
    layout) and 1 retired page; the PCIe host maximum prints "Unknown Error" (not a fact)."""
    gpus = load(V100X8)["gpus"]
    assert [g["ecc_errors"]["aggregate_corrected"] for g in gpus] == [0, 0, 0, 0, 4, 0, 0, 0]
    assert gpus[4]["retired_pages"] == {"single_bit": 1, "double_bit": 0, "pending": False, "unavailable": {}}
    assert gpus[4]["ecc_errors"]["volatile_corrected"] == 0 and reason(gpus[4], "remapped_rows") == "NotSupported"


def test_xml_v13_blackwell_slot_limits_the_link():
    """The permissive counterpart of the RTX 4090 sample below: a Gen5 GPU (max_device_link_gen 5) in a
    Gen4 host (max_link_gen 4), idling at Gen1."""
    gpu = load("nvidia-smi-q-x_RTX-PRO-6000-Blackwell-MaxQ_driver590.44.01_v13.xml")["gpus"][0]
    assert (gpu["pcie_link_gen_current"], gpu["pcie_link_gen_max"], gpu["pcie_link_gen_gpu_max"]) == (1, 4, 5)
    assert gpu["memory_total_mib"] == 97887


@needs_samples
def test_xml_v11_p100_old_single_double_bit_ecc_layout():
    gpu = load("nvidia-smi-q-x_Tesla-P100-PCIE-16GB_driver510.47.03_ecc-sbe.xml", SAMPLES)["gpus"][0]
    assert gpu["ecc_errors"] == {"volatile_corrected": 0, "volatile_uncorrected": 0, "aggregate_corrected": 3,
                                 "aggregate_uncorrected": 0, "unavailable": {}}
    assert gpu["clocks_event_reasons"] == ["gpu_idle"]  # clocks_throttle_reasons
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (26.16, 250.0)  # power_readings, enforced_power_limit


@needs_samples
def test_xml_v11_a100_mig_remapped_rows_na_and_volatile_ecc_na():
    gpu = load("nvidia-smi-q-x_A100-SXM4-40GB_MIG_driver510.47.03.xml", SAMPLES)["gpus"][0]
    assert reason(gpu, "remapped_rows") == "NotSupported"
    assert gpu["ecc_errors"]["unavailable"] == {"volatile_corrected": "NotSupported",
                                                "volatile_uncorrected": "NotSupported"}
    assert gpu["ecc_errors"]["aggregate_corrected"] == 0 and gpu["mig_mode_current"] is True


@needs_samples
def test_xml_rtx4090_slot_limits_the_link():
    gpu = load("nvidia-smi-q-x_RTX4090_driver535.86.05.xml", SAMPLES)["gpus"][0]
    assert (gpu["pcie_link_gen_current"], gpu["pcie_link_gen_max"], gpu["pcie_link_gen_gpu_max"]) == (1, 3, 4)


# nvidia-smi -q


def test_text_8xh100_hw_slowdown_and_tlimit_thresholds():
    s = load("nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt")
    assert s["nvidia"]["driver_version"] == "535.161.08" and len(s["gpus"]) == 8
    assert all(g["clocks_event_reasons"] == ["hw_slowdown", "hw_power_brake_slowdown"] for g in s["gpus"])
    gpu = s["gpus"][0]
    assert gpu["pci_bus_id"] == "00000000:19:00.0" and gpu["pcie_replay_counter"] == 67
    # 29 C now, 56 C of headroom: T.Limit 85 C; offsets -8, -2, 0 C
    assert (gpu["temperature_gpu_c"], gpu["temperature_gpu_tlimit_c"]) == (29, 56)
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"], gpu["temperature_gpu_max_c"]) == (93, 87, 85)
    assert reason(gpu, "temperature_memory_max_c") == "NotInSource"
    assert gpu["fabric"] == {"state": "completed", "status": "success", "clique_id": None,
                             "unavailable": {"clique_id": "NotInSource"}}
    assert reason(gpu, "nvlinks") == "NotInSource" and reason(gpu, "numa_node") == "NotInSource"


def test_text_8xh100_one_gpu_in_sw_thermal_slowdown():
    gpus = load("nvidia-smi-q_8xH100-80GB-HBM3_driver535.183.01_sw-thermal.txt")["gpus"]
    assert gpus[2]["clocks_event_reasons"] == ["sw_power_cap", "sw_thermal_slowdown", "hw_power_brake_slowdown"]
    assert all(g["clocks_event_reasons"] == ["gpu_idle"] for i, g in enumerate(gpus) if i != 2)


def test_text_a10_pending_remap():
    gpu = load("nvidia-smi-q_A10_driver535.129.03_remap-pending.txt")["gpus"][0]
    assert gpu["remapped_rows"] == {"correctable": 0, "uncorrectable": 4, "pending": True, "failure": False,
                                    "unavailable": {}}
    assert reason(gpu, "temperature_gpu_tlimit_c") == "NotSupported"
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"], gpu["temperature_gpu_max_c"]) == (101, 98, 91)
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (43.89, 150.0)


def test_text_8xrtx4090_two_at_their_power_cap():
    gpus = load("nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt")["gpus"]
    capped = {g["index"]: g["power_draw_w"] for g in gpus if g["clocks_event_reasons"] == ["sw_power_cap"]}
    assert capped == {1: 445.38, 4: 446.36}
    assert gpus[0]["ecc_mode_current"] is False and reason(gpus[0], "fabric") == "NotSupported"


def test_text_q_i0_counts_gpu_sections_not_the_header():
    s = load("nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt")
    assert len(s["gpus"]) == 1 and s["nvidia"]["driver_version"] == "525.105.17"
    gpu = s["gpus"][0]
    assert (gpu["ecc_mode_current"], gpu["ecc_mode_pending"]) == (False, False)
    assert reason(gpu, "ecc_errors") == "NotSupported"
    assert gpu["clocks_event_reasons"] == ["gpu_idle"]  # Clocks Throttle Reasons
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"], gpu["temperature_gpu_max_c"],
            gpu["temperature_memory_max_c"]) == (92, 89, 87, 95)
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (74.71, 700.0)  # Power Readings / Enforced Power Limit
    assert any("1 of the node's 8 attached GPUs" in e["error"] for e in s["probe_errors"])


def test_text_590_field_names():
    s = load("nvidia-smi-q_H100-80GB-HBM3_driver590.48.01_load.txt")
    gpu = s["gpus"][0]
    assert s["nvidia"]["driver_version"] == "590.48.01"
    assert gpu["power_draw_w"] == 629.45  # Average Power Draw
    assert (gpu["temperature_gpu_c"], gpu["temperature_gpu_tlimit_c"], gpu["temperature_shutdown_c"]) == (59, 26, 93)
    assert gpu["fabric"] == {"state": "completed", "status": "success", "clique_id": 0, "unavailable": {}}
    assert gpu["clocks_event_reasons"] == [] and gpu["pcie_replay_counter"] == 9


@pytest.mark.parametrize("name, model", [
    ("nvidia-smi-q_H100-80GB-HBM3_MIG-4inst_driver590.48.01.txt", "NVIDIA H100 80GB HBM3"),
    ("nvidia-smi-q_H200_MIG-5inst_driver590.48.01.txt", "NVIDIA H200"),
])
def test_text_mig_devices_are_not_gpus(name, model):
    s = load(name)
    assert [g["name"] for g in s["gpus"]] == [model]
    gpu = s["gpus"][0]
    assert gpu["mig_mode_current"] is True and gpu["mig_mode_pending"] is True
    assert gpu["ecc_errors"]["volatile_uncorrected"] == 0  # the GPU's counters, not a MIG device's


def test_text_h200_under_load():
    gpu = load("nvidia-smi-q_H200_driver590.48.01_load.txt")["gpus"][0]
    assert (gpu["power_draw_w"], gpu["power_limit_w"]) == (627.32, 700.0)
    assert gpu["fabric"]["state"] == "completed"


def test_text_l40s():
    s = load("nvidia-smi-q_L40S_driver595.80.txt")
    gpu = s["gpus"][0]
    assert s["nvidia"]["driver_version"] == "595.80" and gpu["persistence_mode"] is False
    assert gpu["power_draw_w"] == 183.28 and reason(gpu, "fabric") == "NotSupported"
    assert reason(gpu, "mig_mode_current") == "NotSupported"


RTX2080S_610 = "nvidia-smi-q_RTX2080SUPER_driver610.57.04_KMD_idle.txt"


def test_text_610_reads_the_kmd_version_and_the_nested_power_limits():
    """Driver 610: "Driver Version : 610.57.04 [Deprecated; ... Use KMD Version instead]", a KMD Version
    line, the same note on CUDA Version with a CUDA UMD Version line, and the current/requested/default
    limits under "GPU Ceiling Power Limit"."""
    s = load(RTX2080S_610)
    assert (s["nvidia"]["driver_version"], s["nvidia"]["cuda_driver_version"]) == ("610.57.04", "13.3")
    gpu = s["gpus"][0]
    assert (gpu["power_limit_w"], gpu["power_limit_default_w"], gpu["power_limit_min_w"], gpu["power_limit_max_w"]) \
        == (250.0, 250.0, 105.0, 350.0)
    windows = load("nvidia-smi-q_RTX2080SUPER_driver610.62_Windows-WDDM_KMD.txt")
    assert windows["nvidia"]["driver_version"] == "610.62" and windows["gpus"][0]["power_limit_w"] == 250.0


def test_a_610_capture_is_judged_on_its_driver_version_not_an_error():
    result = judge(import_files([CAPTURES / RTX2080S_610]), rulepack.load("rtx4090-workstation"))
    [driver] = [f for f in result.findings if f.check == "driver.version"]
    assert driver.status != "error" and driver.observed == "610.57.04"


def test_a_version_that_is_not_a_dotted_number_is_unparseable_not_a_fact(tmp_path):
    bad = tmp_path / "q.txt"
    bad.write_text((CAPTURES / RTX2080S_610).read_text().replace(": 610.57.04\n", ": 610-beta\n"))
    nvidia = import_files([bad])["nvidia"]
    assert nvidia["driver_version"] is None and nvidia["unavailable"]["driver_version"] == "Unparseable"


@pytest.mark.parametrize("name, draws", [
    ("nvidia-smi-q_RTX2080SUPER_driver595.71.05.txt", [37.62]),  # Average N/A, Instantaneous 37.62 W
    ("nvidia-smi-q_RTX2080SUPER_driver591.86_Windows-WDDM.txt", [38.92]),
    ("nvidia-smi-q-x_2xRTX2070_driver590.44.01_v13.xml", [9.23, 11.82]),  # <average_power_draw>N/A
    ("nvidia-smi-q_RTX4080SUPER_driver595.71.05.txt", [25.92]),  # both given: the average (instant 27.74 W)
])
def test_power_draw_is_the_instantaneous_reading_where_the_average_is_na(name, draws):
    assert [g["power_draw_w"] for g in load(name)["gpus"]] == draws


def test_windows_wddm_text_capture():
    gpu = load("nvidia-smi-q_RTX2080SUPER_driver591.86_Windows-WDDM.txt")["gpus"][0]
    assert reason(gpu, "persistence_mode") == "NotSupported" and gpu["index"] == 0


# nvidia-smi nvlink -s


def test_nvlink_h100_18_active_links_without_version():
    gpu = load("nvlink-s_H100-80GB-HBM3_18links_driver590.48.01.txt")["gpus"][0]
    assert [link["link"] for link in gpu["nvlinks"] if link["active"]] == list(range(18))
    assert gpu["nvlinks"][0]["unavailable"]["version"] == "NotInSource"
    assert gpu["name"] == "NVIDIA H100 80GB HBM3" and reason(gpu, "pstate") == "NotInSource"


def test_nvlink_mig_mode_refusal():
    gpu = load("nvlink-s_H100-80GB-HBM3_MIG-mode-unsupported.txt")["gpus"][0]
    assert reason(gpu, "nvlinks") == "MigMode"


def test_nvlink_8xa100_12_links_each():
    gpus = load("nvlink-s_8xA100-SXM4-80GB_12links.txt")["gpus"]
    assert [sum(link["active"] for link in g["nvlinks"]) for g in gpus] == [12] * 8
    assert gpus[0]["uuid"] == "GPU-5269b708-678a-b1a8-60f0-c90406537486"


@needs_samples
def test_nvlink_v100_excerpt_links_3_and_5_inactive():
    gpus = load("nvlink-s_V100-SXM2-32GB_links-3-5-inactive_excerpt.txt", SAMPLES)["gpus"]
    assert [g["index"] for g in gpus] == [3]
    assert [link["link"] for link in gpus[0]["nvlinks"] if not link["active"]] == [3, 5]
    assert reason(gpus[0], "uuid") == "NotInSource"  # the poster elided it


def test_nvlink_all_links_inactive_is_a_gpu_with_nvlink_and_none_active():
    s = load("nvlink-s_RTX2080SUPER_driver610.57.04_all-links-inActive.txt")
    (gpu,) = s["gpus"]
    assert (gpu["index"], gpu["name"]) == (0, "NVIDIA GeForce RTX 2080 SUPER")
    assert reason(gpu, "nvlinks") == "AllLinksInactive" and s["probe_errors"][0]["probe"] == "xid"


def test_nvlink_device_without_nvlink_has_no_links():
    (gpu,) = load("nvlink-s_RTX4080SUPER_driver595.71.05_no-NVLink.txt")["gpus"]
    assert gpu["nvlinks"] == [] and "nvlinks" not in gpu["unavailable"]


# nvidia-smi topo -m


def test_topo_single_gpu_with_ansi_header():
    s = load("topo-m_H100-single-GPU-VM_ansi-header.txt")
    assert s["source"] == "nvidia-smi-topo" and [g["numa_node"] for g in s["gpus"]] == [0]
    assert s["topology"] == []


def test_topo_windows_empty_affinity_cells_stay_cells():
    """Windows prints CPU and NUMA Affinity empty (consecutive tabs): no NUMA node, not the next column's N/A."""
    (gpu,) = load("topo-m_RTX2080SUPER_Windows_driver610.62_empty-affinity.txt")["gpus"]
    assert reason(gpu, "numa_node") == "NotSupported"


def test_topo_empty_cpu_affinity_before_a_numa_node(tmp_path):
    """The same row with a NUMA node given: the empty CPU Affinity cell does not shift the columns."""
    topo = tmp_path / "topo.txt"
    topo.write_text("\tGPU0\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID\nGPU0\t X \t\t1\t\tN/A\n")
    assert import_files([topo])["gpus"][0]["numa_node"] == 1


def test_topo_h800_nv8_and_nic_numa_nodes():
    s = load("topo-m_8xH800_NV8_4NIC_driver525.105.17.txt")
    assert {p["link"] for p in s["topology"]} == {"NV8"} and len(s["topology"]) == 28
    assert [g["numa_node"] for g in s["gpus"]] == [0] * 4 + [1] * 4


def test_topo_epyc_nps4_numa_nodes():
    s = load("topo-m_8xA100-SXM4-40GB_EPYC7742-NPS4_10NIC.txt")
    assert [g["numa_node"] for g in s["gpus"]] == [3, 3, 1, 1, 7, 7, 5, 5]
    assert {p["link"] for p in s["topology"]} == {"NV12"}


@needs_samples
@pytest.mark.parametrize("name, link, numa", [
    ("topo-m_8xH100-80GB-HBM3_8NIC-rail-PIX_driver570.133.20.txt", "NV18", [0] * 4 + [1] * 4),
    ("topo-m_8xH20-3e_4x-dualport-NIC_driver550.163.01.txt", "NV18", [0] * 4 + [1] * 4),
    ("topo-m_8xA100_17NIC_mlx5_bond_0.txt", "NV12", [0] * 8),
    ("topo-m_4xA10_PCIe_all-SYS_2NIC.txt", "SYS", [0] * 4),
    ("topo-m_8xH100_2NUMA_HT-affinity_noNIC.txt", "NV18", [0] * 4 + [1] * 4),
])
def test_topo_outside_matrices(name, link, numa):
    s = load(name, SAMPLES)
    assert {p["link"] for p in s["topology"]} == {link}
    assert [g["numa_node"] for g in s["gpus"]] == numa


# ibstat, ibstatus


def ports(name: str) -> dict[str, dict]:
    return {f"{p['device']}/{p['port']}": p for p in load(name)["infiniband"]}


def test_ibstat_three_ports_down():
    found = ports("ibstat_H100-node_IB-NDR400_3-ports-down.txt")
    assert len(found) == 12
    down = {name: (p["state"], p["phys_state"], p["rate_gbps"]) for name, p in found.items() if p["state"] != "ACTIVE"}
    assert down == {"mlx5_2/1": ("DOWN", "Disabled", 40), "mlx5_7/1": ("DOWN", "Disabled", 40),
                    "mlx5_8/1": ("DOWN", "Disabled", 40)}
    port = found["mlx5_0/1"]
    assert (port["phys_state"], port["rate_gbps"], port["link_layer"]) == ("LinkUp", 400, "InfiniBand")
    assert (port["hca_type"], port["fw_version"]) == ("MT4129", "28.39.1002")
    assert reason(port, "numa_node") == "NotInSource" and port["unavailable"]["counters.symbol_error"] == "NotInSource"


def test_ibstat_roce_all_active_and_two_down():
    active = ports("ibstat_H100-node_RoCE-400G_all-active.txt")
    assert {p["state"] for p in active.values()} == {"ACTIVE"} and {p["link_layer"] for p in active.values()} == \
        {"Ethernet"}
    assert sorted(p["rate_gbps"] for p in active.values()) == [100] * 4 + [400] * 8
    down = ports("ibstat_H100-node_RoCE-400G_2-ports-down.txt")
    assert sum(p["state"] == "DOWN" for p in down.values()) == 2


def test_ibstat_indented_with_spaces_and_a_bond():
    found = ports("ibstat_H100-node_IB-NDR400_bond0-RoCE.txt")
    bond = found["mlx5_bond_0/1"]
    assert (bond["hca_type"], bond["link_layer"], bond["rate_gbps"]) == ("MT41692", "Ethernet", 200)
    assert sum(p["link_layer"] == "InfiniBand" and p["rate_gbps"] == 400 for p in found.values()) == 8


def test_ibstat_a100_hdr():
    found = ports("ibstat_A100-node_IB-HDR200_all-active.txt")
    assert len(found) == 9 and {p["rate_gbps"] for p in found.values()} == {200}


def test_ibstat_ibpanic_is_a_probe_error_not_a_crash():
    s = load("ibstat_A100-Azure-ND_HDR200_ibpanic-mlx5_8.txt")
    assert len(s["infiniband"]) == 8 and "mlx5_8" not in {p["device"] for p in s["infiniband"]}
    assert {"probe": "infiniband", "error": "ibstat: ibpanic: [1400444] main: stat of IB device 'mlx5_8' failed: "
            "No such file or directory"} in s["probe_errors"]


def test_ibstat_port_in_initializing_is_read_as_init(tmp_path):
    """No real ibstat with a port in `Initializing` is public under a permissive licence, so this is a
    real capture (the 12-port NDR400 node) with one line edited: mlx5_0's `State: Active` becomes
    `State: Initializing`, as ibstat prints a port that has trained but has no subnet manager."""
    text = (CAPTURES / "ibstat_H100-node_IB-NDR400_3-ports-down.txt").read_text()
    assert text.count("\t\tState: Active\n") > 1
    edited = tmp_path / "ibstat-init.txt"
    edited.write_text(text.replace("\t\tState: Active\n", "\t\tState: Initializing\n", 1))
    found = {f"{p['device']}/{p['port']}": p for p in import_files([edited])["infiniband"]}
    assert (found["mlx5_0/1"]["state"], found["mlx5_0/1"]["phys_state"]) == ("INIT", "LinkUp")
    assert found["mlx5_1/1"]["state"] == "ACTIVE" and len(found) == 12


def test_ibstat_lines_that_are_not_ibstats_are_skipped_and_noted(tmp_path):
    """A real capture pasted with its prompt before it and a stray line after a port: every port is read,
    and each stray line is named in the import's notes (not a probe error: nothing was left unread)."""
    text = (CAPTURES / "ibstat_A100-node_IB-HDR200_all-active.txt").read_text()
    lines = text.splitlines()
    pasted = tmp_path / "ibstat-pasted.txt"
    pasted.write_text("\n".join(["[root@gpu-node-07 ~]# ibstat"] + lines[:17] + ["-- more --"] + lines[17:]) + "\n")
    s = import_files([pasted])
    assert len(s["infiniband"]) == 9 and {p["state"] for p in s["infiniband"]} == {"ACTIVE"}
    assert s["imported_from"][0]["notes"] == ["line 1 skipped, not ibstat output: '[root@gpu-node-07 ~]# ibstat'",
                                              "line 19 skipped, not ibstat output: '-- more --'"]
    assert not any(e["probe"] == "infiniband" for e in s["probe_errors"])
    assert load("ibstat_A100-node_IB-HDR200_all-active.txt")["imported_from"][0]["notes"] == []


def test_ibstatus():
    s = load("ibstatus_A100-Azure-ND_HDR200.txt")
    port = s["infiniband"][0]
    assert s["source"] == "ibstatus" and len(s["infiniband"]) == 9
    assert (port["device"], port["state"], port["phys_state"], port["rate_gbps"], port["link_layer"]) == \
        ("mlx5_0", "ACTIVE", "LinkUp", 200, "InfiniBand")
    assert reason(port, "fw_version") == "NotInSource"


# merging the captures of one node


def test_one_node_from_its_q_nvlink_and_topo_captures():
    s = import_files([CAPTURES / name for name in ("nvidia-smi-q_H100-80GB-HBM3_driver590.48.01_load.txt",
                                                   "nvlink-s_H100-80GB-HBM3_18links_driver590.48.01.txt",
                                                   "topo-m_H100-single-GPU-VM_ansi-header.txt")])
    assert validate(s) == []
    assert s["source"] == "nvidia-smi-text+nvidia-smi-nvlink+nvidia-smi-topo"
    assert [f["format"] for f in s["imported_from"]] == ["nvidia-smi-text", "nvidia-smi-nvlink", "nvidia-smi-topo"]
    (gpu,) = s["gpus"]
    assert (gpu["power_draw_w"], gpu["numa_node"], len(gpu["nvlinks"])) == (629.45, 0, 18)
    assert not any(e["probe"] == "nvml" for e in s["probe_errors"])


def test_topo_gives_the_hca_ports_their_numa_node():
    s = import_files([CAPTURES / "topo-m_8xH800_NV8_4NIC_driver525.105.17.txt",
                      CAPTURES / "ibstat_H100-node_IB-NDR400_3-ports-down.txt"])
    numa = {p["device"]: p["numa_node"] for p in s["infiniband"]}
    # NIC0 (mlx5_0) is PIX to GPU1 and NIC2/NIC3 to GPU7; ports topo -m does not show stay unknown
    assert (numa["mlx5_0"], numa["mlx5_1"], numa["mlx5_2"], numa["mlx5_3"], numa["mlx5_4"]) == (0, 0, 1, 1, None)


NVLINK = "GPU {i}: NVIDIA H100 80GB HBM3 (UUID: GPU-{u})\n\t Link 0: 26.562 GB/s\n"
Q_ONE_GPU = """
==============NVSMI LOG==============

Driver Version                            : 550.54.15
Attached GPUs                             : 2
GPU 00000000:3B:00.0
    Product Name                          : NVIDIA H100 80GB HBM3
    GPU UUID                              : GPU-{u}
    Performance State                     : P0
"""


def test_q_i_n_finds_its_gpu_by_uuid(tmp_path):
    (tmp_path / "nvlink.txt").write_text(NVLINK.format(i=0, u="a") + NVLINK.format(i=1, u="b"))
    (tmp_path / "q-i1.txt").write_text(Q_ONE_GPU.format(u="b"))
    s = import_files([tmp_path / "q-i1.txt", tmp_path / "nvlink.txt"])
    assert [(g["index"], g["uuid"], g["pstate"]) for g in s["gpus"]] == [(0, "GPU-a", None), (1, "GPU-b", "P0")]


def test_captures_of_two_nodes_are_refused(tmp_path):
    (tmp_path / "one.txt").write_text(NVLINK.format(i=0, u="a"))
    (tmp_path / "two.txt").write_text(NVLINK.format(i=0, u="z"))
    with pytest.raises(CaptureError, match="two.txt: GPU 0 is GPU-z, one.txt says GPU-a: not captures of one node"):
        import_files([tmp_path / "one.txt", tmp_path / "two.txt"])


A100X4 = "nvidia-smi-q_4xA100-SXM4-80GB_driver555.42.02_minor-3to6.txt"  # Minor Numbers 3, 4, 5, 6
V100X8 = "nvidia-smi-q_8xTesla-V100-SXM2-16GB_driver550.127.05_retired-page.txt"


def q_i(tmp_path: Path, name: str, header: int, first: int, last: int) -> Path:
    """`nvidia-smi -q -i N` of a node, cut from its real `-q`: the header, then one GPU's section."""
    lines = (CAPTURES / name).read_text().splitlines()
    one = tmp_path / f"q-i-{first}.txt"
    one.write_text("\n".join(lines[:header] + lines[first:last]) + "\n")
    return one


def test_a_capture_of_one_gpu_of_many_names_it_by_bus_id_not_by_minor_number(tmp_path):
    """`nvidia-smi -q -i 1` on the 4x A100 node: the GPU's Minor Number is 4, which is not its index,
    and the capture prints no index; the GPU is known by its bus id and the node counts 4 GPUs."""
    facts = import_files([q_i(tmp_path, A100X4, 7, 224, 441)])  # the header, then GPU 00000000:9E:00.0
    [gpu] = facts["gpus"]
    assert reason(gpu, "index") == "NotInSource"
    assert gpu["pci_bus_id"] == "00000000:9E:00.0" and gpu["serial"] == "1321022027867"
    assert facts["nvidia"]["attached_gpus"] == 4 and facts["topology"] == []
    assert {"probe": "nvml", "error": "nvidia-smi-text: 1 of the node's 4 attached GPUs are in the capture (as with "
            "nvidia-smi -q -i N); the others are NotInSource"} in facts["probe_errors"]


@pytest.mark.parametrize("order", [1, -1])
def test_a_whole_node_capture_and_its_own_q_i_capture_merge_in_any_order(tmp_path, order):
    one = q_i(tmp_path, A100X4, 7, 224, 441)
    facts = import_files([CAPTURES / A100X4, one][::order])
    assert [(g["index"], g["pci_bus_id"]) for g in facts["gpus"]] == \
        [(0, "00000000:68:00.0"), (1, "00000000:9E:00.0"), (2, "00000000:C2:00.0"), (3, "00000000:D4:00.0")]
    assert not any(e["probe"] == "nvml" for e in facts["probe_errors"])  # every attached GPU is there


@pytest.mark.parametrize("order", [1, -1])
def test_q_d_i_captures_join_the_whole_node_by_bus_id(tmp_path, order):
    """`nvidia-smi -q -d ECC -i N` prints a GPU's section header (its bus id) and the ECC block only:
    no UUID, no index. Cut from the 8x V100 capture (GPU 4 has 4 aggregate single-bit errors): the
    bus id alone joins it to that GPU of the whole node's `-q`, whichever file comes first."""
    lines = (CAPTURES / V100X8).read_text().splitlines()
    start = lines.index("GPU 00000000:00:08.0")
    ecc = next(n for n in range(start, len(lines)) if lines[n] == "    ECC Errors")
    end = next(n for n in range(ecc, len(lines)) if lines[n] == "    Retired Pages")
    one = tmp_path / "q-d-ecc-i4.txt"
    header = next(n for n, line in enumerate(lines) if line.startswith("Attached GPUs")) + 1
    one.write_text("\n".join(lines[:header] + [lines[start]] + lines[ecc:end]) + "\n")
    alone = import_files([one])["gpus"][0]
    assert reason(alone, "index") == "NotInSource" and reason(alone, "uuid") == "NotInSource"
    assert alone["pci_bus_id"] == "00000000:00:08.0" and alone["ecc_errors"]["aggregate_corrected"] == 4
    gpus = import_files([CAPTURES / V100X8, one][::order])["gpus"]
    assert [g["index"] for g in gpus] == list(range(8))
    assert [g["ecc_errors"]["aggregate_corrected"] for g in gpus] == [0, 0, 0, 0, 4, 0, 0, 0]


def test_captures_of_two_machines_with_the_same_placeholder_uuids_are_refused():
    """The contributors of these two captures (2x RTX 2070, 2x RTX A5000) replaced the UUIDs by the
    same placeholders; the bus ids tell the machines apart."""
    with pytest.raises(CaptureError, match="GPU GPU-12345678-aaaa-bbbb-cccc-0123456789ab is 00000000:81:00.0, "
                                           "nvidia-smi-q-x_2xRTX2070_driver590.44.01_v13.xml says 00000000:01:00.0"):
        import_files([CAPTURES / "nvidia-smi-q-x_2xRTX2070_driver590.44.01_v13.xml",
                      CAPTURES / "nvidia-smi-q-x_2xRTX-A5000_driver590.44.01_v13.xml"])


def test_two_captures_that_give_one_bus_id_two_uuids_are_refused(tmp_path):
    one = q_i(tmp_path, A100X4, 7, 224, 441)
    other = tmp_path / "other.txt"
    other.write_text(one.read_text().replace("GPU-72d87681-01db-370e-567d-41afcf20fad0", "GPU-00000000-1111"))
    with pytest.raises(CaptureError, match="other.txt: GPU 00000000:9E:00.0 is GPU-00000000-1111, q-i-224.txt "
                                           "says GPU-72d87681-01db-370e-567d-41afcf20fad0: not captures of one node"):
        import_files([one, other])
