"""The NVML probe over fake machines: real values, units, and the reason for every missing one."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from fake_nvml import (
    FI_GPU_MAX_TLIMIT,
    FI_SHUTDOWN_TLIMIT,
    H100_NODE,
    FakeHandle,
    all_optional_not_supported,
    gpu_lost,
    hgx_h100_8gpu,
    nvml_unavailable,
    old_driver,
    per_arg,
    rtx4090_workstation_4gpu,
)

from readycheck.facts import Unreadable
from readycheck.facts.decode import clock_event_reasons
from readycheck.facts.fields import FABRIC_FIELDS, GPU_FIELDS, NVIDIA_FIELDS, NVLINK_FIELDS
from readycheck.probes import ProbeContext
from readycheck.probes.nvml import probe

SCENARIOS = [hgx_h100_8gpu, rtx4090_workstation_4gpu, old_driver, gpu_lost, all_optional_not_supported,
             nvml_unavailable]
IDENTITY = {"index", "name", "uuid", "pci_bus_id", "pci_device_id"}
SUB_OBJECTS = {
    "ecc_errors": {"volatile_corrected", "volatile_uncorrected", "aggregate_corrected", "aggregate_uncorrected"},
    "retired_pages": {"single_bit", "double_bit", "pending"},
    "remapped_rows": {"correctable", "uncorrectable", "pending", "failure"},
}


def collect(fake, root, **limits):
    ctx = ProbeContext(root=root, nvml_backend=lambda: fake)
    return probe(ctx, **limits), ctx


def assert_accounted(obj, fields, where):
    """Every field present; null exactly where a reason says why."""
    assert set(obj) == set(fields) | {"unavailable"}, where
    for name in fields:
        if obj[name] is None:
            assert obj["unavailable"].get(name), f"{where}.{name} is null without a reason"
        else:
            assert name not in obj["unavailable"], f"{where}.{name} has a value and a reason"


def write_numa(root, bus_ids, nodes):
    for bus, node in zip(bus_ids, nodes):
        domain, rest = bus.split(":", 1)
        path = root / "sys/bus/pci/devices" / f"{int(domain, 16):04x}:{rest.lower()}" / "numa_node"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{node}\n")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_every_field_is_present_with_a_reason_when_null(scenario, tmp_path):
    fake = scenario()
    facts, _ = collect(fake, tmp_path)
    assert set(facts) == {"nvidia", "gpus", "topology"}
    nvidia = facts["nvidia"]
    assert set(nvidia) == set(NVIDIA_FIELDS) | {"unavailable"}
    for name in NVIDIA_FIELDS[2:]:
        assert (nvidia[name] is None) == (name in nvidia["unavailable"])
    for gpu in facts["gpus"]:
        where = f"gpu{gpu['index']}"
        if gpu["nvlinks"] == []:  # no NVLink on this GPU: an empty list, not a missing value
            assert "nvlinks" not in gpu["unavailable"]
            gpu = {**gpu, "nvlinks": "none"}
        assert_accounted(gpu, GPU_FIELDS, where)
        for name, fields in SUB_OBJECTS.items():
            if gpu[name] is not None:  # null as a whole when no counter could be read, all for one reason
                assert_accounted(gpu[name], fields, f"{where}.{name}")
        for link in gpu["nvlinks"] if isinstance(gpu["nvlinks"], list) else []:
            assert_accounted(link, NVLINK_FIELDS, f"{where}.nvlink{link['link']}")
        if gpu["fabric"] is not None:
            assert_accounted(gpu["fabric"], FABRIC_FIELDS, f"{where}.fabric")
    for pair in facts["topology"]:
        assert_accounted(pair, ("gpu_a", "gpu_b", "link"), f"pair {pair['gpu_a']}-{pair['gpu_b']}")
    # Every call went through the read-only fake (it fails the test on any Set/Reset call).
    assert fake.calls or not nvidia["nvml_available"]


def test_hgx_h100_values_and_units(tmp_path):
    facts, ctx = collect(hgx_h100_8gpu(), tmp_path)
    assert ctx.errors == []
    assert facts["nvidia"] == {
        "nvml_available": True, "nvml_error": None, "driver_version": "550.54.15",
        "cuda_driver_version": "12.4", "nvml_version": "12.550.54.15", "unavailable": {},
    }
    gpus = facts["gpus"]
    assert [g["index"] for g in gpus] == list(range(8))
    assert [g["pci_bus_id"] for g in gpus] == [row[0] for row in H100_NODE]
    assert [g["numa_node"] for g in gpus] == [0, 0, 0, 0, 1, 1, 1, 1]
    gpu0 = gpus[0]
    assert gpu0["name"] == "NVIDIA H100 80GB HBM3"
    assert gpu0["uuid"] == "GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa"
    assert gpu0["serial"] == "1650124031592"
    assert gpu0["pci_device_id"] == "0x233010DE"
    assert gpu0["memory_total_mib"] == 81559
    assert gpu0["persistence_mode"] is True
    assert (gpu0["ecc_mode_current"], gpu0["ecc_mode_pending"]) == (True, True)
    assert gpu0["mig_mode_current"] is False
    assert gpu0["compute_mode"] == "Default"
    # mW -> W, mJ -> J
    assert gpu0["power_draw_w"] == 67.74
    assert gpu0["power_limit_w"] == 700.0
    assert (gpu0["power_limit_min_w"], gpu0["power_limit_max_w"], gpu0["power_limit_default_w"]) == \
        (200.0, 700.0, 700.0)
    assert gpu0["energy_consumption_j"] == 5123456.789
    # T.Limit offsets (-5, -2, 0 below T.Limit = 29 + 58) become absolute thresholds;
    # the memory threshold comes from the legacy call.
    assert gpu0["temperature_gpu_c"] == 29
    assert gpu0["temperature_memory_c"] == 39
    assert gpu0["temperature_gpu_tlimit_c"] == 58
    assert (gpu0["temperature_shutdown_c"], gpu0["temperature_slowdown_c"], gpu0["temperature_gpu_max_c"],
            gpu0["temperature_memory_max_c"]) == (92, 89, 87, 95)
    assert gpu0["fan_speed_pct"] is None and gpu0["unavailable"]["fan_speed_pct"] == "NotSupported"
    assert (gpu0["clocks_sm_mhz"], gpu0["clocks_mem_mhz"], gpu0["clocks_max_sm_mhz"]) == (86, 2619, 1980)
    assert gpu0["pstate"] == "P0"
    assert gpu0["clocks_event_reasons"] == ["gpu_idle"]
    assert (gpu0["pcie_link_gen_current"], gpu0["pcie_link_gen_max"], gpu0["pcie_link_gen_gpu_max"]) == (5, 5, 5)
    assert (gpu0["pcie_link_width_current"], gpu0["pcie_link_width_max"]) == (16, 16)
    assert [g["pcie_replay_counter"] for g in gpus] == [row[6] for row in H100_NODE]
    assert gpu0["ecc_errors"] == {"volatile_corrected": 0, "volatile_uncorrected": 0, "aggregate_corrected": 0,
                                  "aggregate_uncorrected": 0, "unavailable": {}}
    assert gpu0["retired_pages"] is None and gpu0["unavailable"]["retired_pages"] == "NotSupported"
    assert gpu0["remapped_rows"] == {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False,
                                     "unavailable": {}}
    assert gpu0["fabric"] == {"state": "completed", "status": "success", "clique_id": 0, "health": [],
                              "unavailable": {}}
    links = gpu0["nvlinks"]
    assert [link["link"] for link in links] == list(range(18))
    assert all(link["active"] and link["version"] == 4 and link["remote_device_type"] == "switch"
               and link["crc_errors"] == 0 for link in links)
    assert links[1]["remote_pci_bus_id"] == "00000000:06:00.0"


def test_a_mig_gpu_whose_links_answer_not_supported_has_unread_links_not_none(tmp_path):
    # nvidia-smi nvlink -s on a MIG GPU: "Nvlink queries are not supported for Devices in MIG mode"
    # (tests/data/captures/nvlink-s_H100-80GB-HBM3_MIG-mode-unsupported.txt).
    fake = hgx_h100_8gpu().set("nvmlDeviceGetMigMode", [1, 1], gpu=2).set(
        "nvmlDeviceGetNvLinkState", per_arg({}), gpu=2)
    facts, _ = collect(fake, tmp_path)
    gpu = facts["gpus"][2]
    assert gpu["mig_mode_current"] is True
    assert gpu["nvlinks"] is None and gpu["unavailable"]["nvlinks"] == "MigMode"
    assert len(facts["gpus"][1]["nvlinks"]) == 18
    pairs = {(p["gpu_a"], p["gpu_b"]): p for p in facts["topology"]}
    assert pairs[(1, 2)]["link"] is None and pairs[(1, 2)]["unavailable"] == {"link": "MigMode"}  # not a PCIe path
    assert pairs[(0, 1)]["link"] == "NV18"


def test_hgx_topology_is_nv18_for_every_pair_through_nvswitch(tmp_path):
    facts, _ = collect(hgx_h100_8gpu(), tmp_path)
    pairs = facts["topology"]
    assert len(pairs) == 28
    assert [(p["gpu_a"], p["gpu_b"]) for p in pairs] == [(a, b) for a in range(8) for b in range(a + 1, 8)]
    assert {p["link"] for p in pairs} == {"NV18"}


def test_a_down_link_lowers_the_bond_count(tmp_path):
    fake = hgx_h100_8gpu().set("nvmlDeviceGetNvLinkState", per_arg({**{n: 1 for n in range(18)}, 7: 0}), gpu=3)
    facts, _ = collect(fake, tmp_path)
    assert facts["gpus"][3]["nvlinks"][7]["active"] is False
    links = {(p["gpu_a"], p["gpu_b"]): p["link"] for p in facts["topology"]}
    assert links[(0, 3)] == links[(3, 7)] == "NV17"
    assert links[(0, 1)] == "NV18"


def test_direct_nvlinks_count_links_to_the_other_gpu(tmp_path):
    """An NVLink bridge between GPUs 0 and 1 (no switch): NV<n> for that pair, PCIe for the others."""
    fake = hgx_h100_8gpu()
    for me, peer in ((0, 1), (1, 0)):
        fake.set("nvmlDeviceGetNvLinkRemotePciInfo", lambda link, peer=peer: SimpleNamespace(
            busId=H100_NODE[peer][0]), gpu=me)
        fake.set("nvmlDeviceGetNvLinkRemoteDeviceType", 0, gpu=me)
        fake.set("nvmlDeviceGetNvLinkState", per_arg({n: 1 for n in range(4)}, "InvalidArgument"), gpu=me)
    facts, _ = collect(fake, tmp_path)
    assert [link["remote_device_type"] for link in facts["gpus"][0]["nvlinks"]] == ["gpu"] * 4
    links = {(p["gpu_a"], p["gpu_b"]): p["link"] for p in facts["topology"]}
    assert links[(0, 1)] == "NV4"
    assert links[(0, 2)] == "NODE"
    assert links[(1, 5)] == "SYS"
    assert links[(2, 5)] == "NV18"


def test_clocks_event_reasons_are_decoded(tmp_path):
    fake = hgx_h100_8gpu().set("nvmlDeviceGetCurrentClocksEventReasons", 0x88, gpu=0)  # as in the capture
    facts, _ = collect(fake, tmp_path)
    assert facts["gpus"][0]["clocks_event_reasons"] == ["hw_slowdown", "hw_power_brake_slowdown"]
    assert facts["gpus"][1]["clocks_event_reasons"] == ["gpu_idle"]
    assert clock_event_reasons(0) == []
    assert clock_event_reasons(0x1FF) == ["gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown",
                                          "sync_boost", "sw_thermal_slowdown", "hw_thermal_slowdown",
                                          "hw_power_brake_slowdown", "display_clock_setting"]
    assert clock_event_reasons(0x20 | 0x400) == ["sw_thermal_slowdown", "unknown_0x400"]


def test_rtx4090_workstation(tmp_path):
    facts, ctx = collect(rtx4090_workstation_4gpu(), tmp_path)
    assert ctx.errors == []
    gpus = facts["gpus"]
    assert len(gpus) == 4
    gpu = gpus[2]
    assert gpu["name"] == "NVIDIA GeForce RTX 4090"
    assert gpu["power_limit_w"] == 450.0 and gpu["power_limit_max_w"] == 600.0
    assert gpu["power_draw_w"] == 21.345
    assert (gpu["pcie_link_gen_current"], gpu["pcie_link_gen_max"], gpu["pcie_link_gen_gpu_max"]) == (1, 4, 4)
    assert gpu["fan_speed_pct"] == 30
    assert gpu["pstate"] == "P8"
    assert gpu["persistence_mode"] is False
    assert gpu["nvlinks"] == [] and "nvlinks" not in gpu["unavailable"]
    assert gpu["fabric"] is None and gpu["unavailable"]["fabric"] == "NotSupported"
    for name in ("mig_mode_current", "serial", "temperature_memory_c", "temperature_memory_max_c"):
        assert gpu[name] is None and gpu["unavailable"][name] == "NotSupported", name
    assert (gpu["ecc_mode_current"], gpu["ecc_mode_pending"]) == (False, False)
    assert gpu["ecc_errors"] is None and gpu["unavailable"]["ecc_errors"] == "NotSupported"
    assert (gpu["remapped_rows"]["pending"], gpu["remapped_rows"]["failure"]) == (False, False)
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"], gpu["temperature_gpu_max_c"]) == \
        (96, 93, 90)
    links = {(p["gpu_a"], p["gpu_b"]): p["link"] for p in facts["topology"]}
    assert links == {(0, 1): "PHB", (0, 2): "SYS", (0, 3): "SYS", (1, 2): "SYS", (1, 3): "SYS", (2, 3): "PIX"}


def test_old_driver_falls_back_and_says_what_it_lacks(tmp_path):
    fake = old_driver()
    write_numa(tmp_path, [row[0] for row in H100_NODE], [0, 0, 0, 0, 1, 1, 1, -1])
    facts, ctx = collect(fake, tmp_path)
    assert ctx.errors == []
    assert facts["nvidia"]["cuda_driver_version"] == "11.0"  # from nvmlSystemGetCudaDriverVersion
    assert facts["nvidia"]["driver_version"] == "450.80.02"
    gpus = facts["gpus"]
    gpu = gpus[0]
    assert gpu["name"] == "NVIDIA A100-SXM4-40GB"
    assert gpu["pci_bus_id"] == "00000000:19:00.0"  # through nvmlDeviceGetPciInfo
    assert gpu["power_limit_w"] == 400.0
    assert gpu["temperature_gpu_c"] == 29  # through nvmlDeviceGetTemperature
    assert gpu["clocks_event_reasons"] == ["sw_power_cap", "hw_slowdown"]  # throttle reasons
    assert (gpu["temperature_shutdown_c"], gpu["temperature_slowdown_c"], gpu["temperature_gpu_max_c"],
            gpu["temperature_memory_max_c"]) == (92, 89, 85, 95)  # nvmlDeviceGetTemperatureThreshold
    for name in ("fabric", "pcie_link_gen_gpu_max", "temperature_gpu_tlimit_c"):
        assert gpu[name] is None and gpu["unavailable"][name] == "FunctionNotFound", name
    assert gpu["remapped_rows"] is None and gpu["unavailable"]["remapped_rows"] == "FunctionNotFound"
    assert gpu["retired_pages"] == {"single_bit": 0, "double_bit": 0, "pending": False, "unavailable": {}}
    # NUMA node from sysfs; -1 there means no affinity
    assert [g["numa_node"] for g in gpus] == [0, 0, 0, 0, 1, 1, 1, None]
    assert gpus[7]["unavailable"]["numa_node"] == "NoAffinity"
    links = gpu["nvlinks"]
    assert len(links) == 12 and {link["version"] for link in links} == {3}
    assert links[0]["remote_device_type"] is None
    assert links[0]["unavailable"] == {"remote_device_type": "FunctionNotFound"}
    # Without the remote type, links to a non-GPU remote count as NVSwitch links.
    assert {p["link"] for p in facts["topology"]} == {"NV12"}
    # Each function the driver lacks was asked once, not once per GPU.
    for function in ("nvmlDeviceGetGpuFabricInfoV", "nvmlDeviceGetGpuFabricInfo",
                     "nvmlDeviceGetCurrentClocksEventReasons", "nvmlSystemGetCudaDriverVersion_v2",
                     "nvmlDeviceGetNvLinkRemoteDeviceType", "nvmlDeviceGetPciInfo_v3"):
        assert fake.called(function) == 1, function
    assert fake.called("nvmlDeviceGetCurrentClocksThrottleReasons") == 8


def test_a_lost_gpu_does_not_stop_the_others(tmp_path):
    fake = gpu_lost(lost=5)
    facts, ctx = collect(fake, tmp_path)
    gpus = facts["gpus"]
    lost = gpus[5]
    assert lost["index"] == 5
    for name in GPU_FIELDS:
        if name != "index":
            assert lost[name] is None and lost["unavailable"][name] == "GpuIsLost", name
    for index in (0, 4, 6, 7):
        assert gpus[index]["power_limit_w"] == 700.0
        assert gpus[index]["unavailable"] == {"fan_speed_pct": "NotSupported", "retired_pages": "NotSupported"}
    assert ctx.errors == ["gpu5: GpuIsLost; its fields are null"]
    pairs = facts["topology"]
    assert len(pairs) == 28
    with_lost = [p for p in pairs if 5 in (p["gpu_a"], p["gpu_b"])]
    assert len(with_lost) == 7
    assert all(p["link"] is None and p["unavailable"] == {"link": "GpuIsLost"} for p in with_lost)
    assert {p["link"] for p in pairs if p not in with_lost} == {"NV18"}
    # Once lost, the GPU is not asked again.
    asked = [name for name, args in fake.calls if FakeHandle(5) in args]
    assert len(asked) == 1


def test_a_gpu_without_a_handle_is_all_null_with_the_reason(tmp_path):
    """In a container without access to a GPU, NVML refuses its handle: NoPermission for that GPU only."""
    fake = hgx_h100_8gpu()
    real_call = fake.call

    def call(function, *args):
        if function == "nvmlDeviceGetHandleByIndex" and args[0] == 2:
            raise Unreadable("NoPermission", "gpu2: not visible")
        return real_call(function, *args)

    fake.call = call
    facts, ctx = collect(fake, tmp_path)
    gpu = facts["gpus"][2]
    assert gpu["name"] is None and gpu["unavailable"]["name"] == "NoPermission"
    assert facts["gpus"][3]["name"] == "NVIDIA H100 80GB HBM3"
    assert ctx.errors == ["gpu2: NoPermission; its fields are null"]


def test_all_optional_not_supported(tmp_path):
    facts, _ = collect(all_optional_not_supported(), tmp_path)
    gpus = facts["gpus"]
    assert len(gpus) == 2
    for gpu in gpus:
        assert gpu["name"] == "NVIDIA H100 80GB HBM3"
        assert gpu["pci_bus_id"] and gpu["uuid"]
        assert gpu["nvlinks"] == []
        for name in set(GPU_FIELDS) - IDENTITY - {"nvlinks", "numa_node"}:
            assert gpu[name] is None and gpu["unavailable"][name] == "NotSupported", name
        # NVML has no NUMA node; the sysfs fallback (an empty tree here) has none either.
        assert gpu["unavailable"]["numa_node"] == "NotFound"
    assert facts["topology"] == [{"gpu_a": 0, "gpu_b": 1, "link": None, "unavailable": {"link": "NotSupported"}}]


def test_nvml_not_loadable_is_a_fact_not_an_error(tmp_path):
    facts, ctx = collect(nvml_unavailable("libnvidia-ml.so.1 not found", "LibraryNotFound"), tmp_path)
    assert facts == {
        "nvidia": {"nvml_available": False, "nvml_error": "libnvidia-ml.so.1 not found", "driver_version": None,
                   "cuda_driver_version": None, "nvml_version": None,
                   "unavailable": {"driver_version": "LibraryNotFound", "cuda_driver_version": "LibraryNotFound",
                                   "nvml_version": "LibraryNotFound"}},
        "gpus": [], "topology": [],
    }
    assert ctx.errors == []


def test_a_hung_call_times_out_and_the_rest_fail_fast(tmp_path):
    fake = hgx_h100_8gpu().hang("nvmlDeviceGetPowerUsage", gpu=2)
    try:
        started = time.monotonic()
        facts, ctx = collect(fake, tmp_path, call_timeout=0.2)
        elapsed = time.monotonic() - started
    finally:
        fake.release()
    assert elapsed < 2.0
    gpus = facts["gpus"]
    assert gpus[1]["power_draw_w"] == 69.52
    assert gpus[2]["temperature_gpu_c"] == 30  # read before the hang
    assert gpus[2]["power_draw_w"] is None and gpus[2]["unavailable"]["power_draw_w"] == "Timeout"
    assert gpus[2]["unavailable"]["power_limit_w"] == "Timeout"
    assert all(gpus[7]["unavailable"][name] == "Timeout" for name in set(GPU_FIELDS) - {"index"} - set(SUB_OBJECTS))
    # The NVML lock is held: nothing was asked after the hung call, not even nvmlShutdown.
    assert fake.calls[-1] == ("nvmlDeviceGetPowerUsage", (FakeHandle(2),))
    assert not fake.shut_down
    links = {(p["gpu_a"], p["gpu_b"]): p for p in facts["topology"]}
    assert links[(0, 1)]["link"] == "NV18"  # both GPUs' links were read before the hang
    assert links[(0, 2)]["unavailable"] == {"link": "Timeout"}
    assert len(ctx.errors) == 1
    assert "Timeout" in ctx.errors[0] and "nvmlDeviceGetPowerUsage" in ctx.errors[0]


def test_a_hung_init_reads_as_nvml_unavailable(tmp_path):
    fake = hgx_h100_8gpu()
    release = threading.Event()
    fake.init = lambda: release.wait(60)
    try:
        started = time.monotonic()
        facts, _ = collect(fake, tmp_path, init_timeout=0.2)
        assert time.monotonic() - started < 2.0
    finally:
        release.set()
    assert facts["nvidia"]["nvml_available"] is False
    assert "no answer within 0.2s" in facts["nvidia"]["nvml_error"]
    assert facts["nvidia"]["unavailable"]["driver_version"] == "Timeout"
    assert facts["gpus"] == []


def test_overrides_change_one_value(tmp_path):
    fake = hgx_h100_8gpu({"nvmlDeviceGetEnforcedPowerLimit": 500000})
    fake.set("nvmlDeviceGetPowerUsage", Unreadable("NoPermission"), gpu=4)
    fake.set("nvmlSystemGetDriverVersion", "535.161.08")
    facts, _ = collect(fake, tmp_path)
    assert {g["power_limit_w"] for g in facts["gpus"]} == {500.0}
    assert facts["gpus"][4]["power_draw_w"] is None
    assert facts["gpus"][4]["unavailable"]["power_draw_w"] == "NoPermission"
    assert facts["nvidia"]["driver_version"] == "535.161.08"


def test_thresholds_fall_back_to_the_legacy_call(tmp_path):
    fake = hgx_h100_8gpu().set("nvmlDeviceGetFieldValues", Unreadable("NotSupported"), gpu=0)
    fake.set("nvmlDeviceGetMarginTemperature", Unreadable("NotSupported"), gpu=1)
    fake.set_field(FI_SHUTDOWN_TLIMIT, 93, gpu=2)  # a driver that reports the threshold itself
    fake.set("nvmlDeviceGetMarginTemperature", Unreadable("NotSupported"), gpu=2)
    fake.set_field(FI_GPU_MAX_TLIMIT, Unreadable("NotSupported"), gpu=3)
    fake.set("nvmlDeviceGetTemperatureThreshold", Unreadable("NotSupported"), gpu=3)
    facts, _ = collect(fake, tmp_path)
    gpus = facts["gpus"]
    thresholds = ("temperature_shutdown_c", "temperature_slowdown_c", "temperature_gpu_max_c",
                  "temperature_memory_max_c")
    assert [gpus[0][t] for t in thresholds] == [92, 89, 87, 95]
    assert gpus[0]["unavailable"]["temperature_memory_c"] == "NotSupported"
    assert [gpus[1][t] for t in thresholds] == [92, 89, 87, 95]
    assert gpus[2]["temperature_shutdown_c"] == 93
    assert gpus[3]["temperature_shutdown_c"] == 92
    assert gpus[3]["temperature_gpu_max_c"] is None
    assert gpus[3]["unavailable"]["temperature_gpu_max_c"] == "NotSupported"


def test_fabric_states(tmp_path):
    fake = hgx_h100_8gpu()
    fake.set("nvmlDeviceGetGpuFabricInfoV", SimpleNamespace(state=2, status=0, cliqueId=0), gpu=0)
    fake.set("nvmlDeviceGetGpuFabricInfoV", SimpleNamespace(state=3, status=3, cliqueId=4), gpu=1)
    fake.set("nvmlDeviceGetGpuFabricInfoV", SimpleNamespace(state=0, status=0, cliqueId=0), gpu=2)
    facts, _ = collect(fake, tmp_path)
    fabric = [g["fabric"] for g in facts["gpus"][:3]]
    # An in-progress registration's status means nothing yet (nvml.h): null, as nvidia-smi's N/A.
    assert fabric[0] == {"state": "in_progress", "status": None, "clique_id": None, "health": None,
                         "unavailable": {"status": "NotReady", "clique_id": "NotReady", "health": "FunctionNotFound"}}
    assert fabric[1] == {"state": "completed", "status": "NotSupported", "clique_id": 4, "health": None,
                         "unavailable": {"health": "FunctionNotFound"}}
    assert fabric[2] == {"state": "not_supported", "status": None, "clique_id": None, "health": None,
                         "unavailable": {"status": "NotSupported", "clique_id": "NotSupported",
                                         "health": "NotSupported"}}


def test_fabric_health_names_each_fault_of_the_mask(tmp_path):
    """nvmlGpuFabricInfo_v2's healthMask (nvml.h NVML_GPU_FABRIC_HEALTH_MASK_*): 0x1AA is all clear; a 2-bit
    field of 1 is a fault, the incorrect-configuration nibble at bit 8 names one; 0 means no health reported."""
    fake = hgx_h100_8gpu()
    for gpu, mask in ((0, 0x1AA & ~0x30 | 0x10), (1, 0x1AA & ~0xF03 | 0x401), (2, 0)):
        fake.set("nvmlDeviceGetGpuFabricInfoV", SimpleNamespace(state=3, status=0, cliqueId=0, healthMask=mask),
                 gpu=gpu)
    facts, _ = collect(fake, tmp_path)
    health = [(g["fabric"]["health"], g["fabric"]["unavailable"].get("health")) for g in facts["gpus"][:4]]
    assert health == [(["route_unhealthy"], None),
                      (["degraded_bandwidth", "incorrect_configuration_no_partition"], None),
                      (None, "NotSupported"), ([], None)]


def test_odd_answers_become_reasons(tmp_path):
    fake = hgx_h100_8gpu()
    fake.set("nvmlDeviceGetPerformanceState", 32, gpu=0)  # NVML_PSTATE_UNKNOWN
    fake.set("nvmlDeviceGetComputeMode", 9, gpu=0)
    fake.set("nvmlDeviceGetNumaNodeId", -1, gpu=1)
    facts, _ = collect(fake, tmp_path)
    gpu = facts["gpus"][0]
    assert gpu["unavailable"]["pstate"] == "Unknown"
    assert gpu["unavailable"]["compute_mode"] == "Unknown"
    assert facts["gpus"][1]["unavailable"]["numa_node"] == "NoAffinity"
