"""Complete facts-v1 snapshots for check tests: a healthy node, changed one field at a time.

Values follow a real 8x H100 SXM capture
(tests/data/captures/nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt, Apache-2.0,
from leptonai/gpud): part number, VBIOS, memory, power limits, clocks, PCIe; the
healthy node has its driver moved to 550.54.15 and its HW slowdown cleared.
"""

from __future__ import annotations

import copy
from typing import Any

H100_PCI_BUSES = ("19", "3b", "4c", "5d", "9b", "bb", "cb", "db")


def h100_gpu(index: int) -> dict[str, Any]:
    bus = H100_PCI_BUSES[index]
    return {
        "index": index,
        "name": "NVIDIA H100 80GB HBM3",
        "uuid": f"GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8a{index}",
        "serial": f"165012403159{index}",
        "board_part_number": "692-2G520-0200-000",
        "pci_bus_id": f"00000000:{bus.upper()}:00.0",
        "pci_device_id": "0x233010DE",
        "vbios_version": "96.00.74.00.0D",
        "inforom_version": "G520.0200.00.05",
        "memory_total_mib": 81559,
        "numa_node": 0 if index < 4 else 1,
        "persistence_mode": True,
        "ecc_mode_current": True,
        "ecc_mode_pending": True,
        "mig_mode_current": False,
        "compute_mode": "Default",
        "temperature_gpu_c": 31,
        "temperature_memory_c": 39,
        "temperature_slowdown_c": 89,
        "temperature_shutdown_c": 92,
        "temperature_gpu_max_c": 87,
        "temperature_memory_max_c": 95,
        "fan_speed_pct": None,
        "power_draw_w": 68.5,
        "power_limit_w": 700.0,
        "power_limit_default_w": 700.0,
        "power_limit_min_w": 200.0,
        "power_limit_max_w": 700.0,
        "energy_consumption_j": 123456789.0,
        "clocks_sm_mhz": 345,
        "clocks_mem_mhz": 2619,
        "clocks_max_sm_mhz": 1980,
        "clocks_max_mem_mhz": 2619,
        "pstate": "P0",
        "clocks_event_reasons": ["gpu_idle"],
        "pcie_link_gen_current": 5,
        "pcie_link_gen_max": 5,
        "pcie_link_gen_gpu_max": 5,
        "pcie_link_width_current": 16,
        "pcie_link_width_max": 16,
        "pcie_replay_counter": 0,
        "ecc_errors": {"volatile_corrected": 0, "volatile_uncorrected": 0,
                       "aggregate_corrected": 0, "aggregate_uncorrected": 0},
        "retired_pages": None,  # Hopper repairs memory by row remapping; NVML says NotSupported
        "remapped_rows": {"correctable": 0, "uncorrectable": 0, "pending": False, "failure": False},
        "nvlinks": [{"link": n, "active": True, "version": 4, "remote_pci_bus_id": "00000000:00:00.0",
                     "remote_device_type": "switch", "crc_errors": 0, "replay_errors": 0,
                     "recovery_errors": 0} for n in range(18)],
        "fabric": {"state": "completed", "status": "success", "clique_id": 32766},
        "unavailable": {"fan_speed_pct": "NotSupported", "retired_pages": "NotSupported"},
    }


def nvme_drive(index: int) -> dict[str, Any]:
    """One of a DGX H100's eight 3.84 TB U.2 data drives (PM9A3, PCIe Gen4 x4), as the storage probe reads it."""
    return {"name": f"nvme{index}n1", "model": "SAMSUNG MZQL23T8HCLS-00A07", "serial": f"S64HNE0T50{index:04d}",
            "size_bytes": 3840755982336, "rotational": False, "transport": "nvme", "pcie_link_gen_current": 4,
            "pcie_link_width_current": 4, "pcie_link_gen_max": 4, "pcie_link_width_max": 4,
            "numa_node": 0 if index < 4 else 1, "unavailable": {}}


def hgx_h100(gpus: int = 8) -> dict[str, Any]:
    """A healthy 8x H100 SXM HGX node with 8 NDR InfiniBand ports, as `readycheck collect` writes it."""
    return {
        "schema": "readycheck.facts/1",
        "collected_at": "2026-11-27T12:00:00Z",
        "readycheck_version": "0.1.0",
        "source": "live",
        "host": {
            "hostname": "gpu-b07-03", "os": "Ubuntu 22.04.4 LTS", "kernel": "5.15.0-105-generic",
            "arch": "x86_64", "cpu_model": "Intel(R) Xeon(R) Platinum 8480+", "cpu_sockets": 2,
            "cpu_cores": 112, "cpu_threads": 224, "memory_total_mib": 2097152, "numa_nodes": 2,
            "inlet_temperature_c": 22.0,
            "dmi": {"sys_vendor": "NVIDIA", "product_name": "DGXH100", "product_serial": "1562423000123",
                    "board_serial": "1572523000456", "bios_version": "1.1.3", "unavailable": {}},
            "psus": [], "block_devices": [nvme_drive(n) for n in range(8)],
            "filesystems": [{"mountpoint": "/raid", "device": "/dev/md0", "fstype": "ext4",
                             "size_bytes": 30725970755584, "free_bytes": 29186532827136, "unavailable": {}}],
            "unavailable": {"psus": "NotFound"},
        },
        "nvidia": {
            "nvml_available": True, "nvml_error": None, "driver_version": "550.54.15",
            "cuda_driver_version": "12.4", "nvml_version": "12.550.54.15",
            "kernel_modules": {"nvidia": "550.54.15", "nvidia_uvm": "550.54.15", "nvidia_modeset": "550.54.15",
                               "nvidia_peermem": "550.54.15", "nvidia_fs": None, "gdrdrv": None},
            "fabricmanager": {"installed": True, "active": True, "version": "550.54.15"},
            "persistenced": {"active": True},
            "unavailable": {},
        },
        "gpus": [h100_gpu(i) for i in range(gpus)],
        "topology": [{"gpu_a": a, "gpu_b": b, "link": "NV18"} for a in range(gpus) for b in range(a + 1, gpus)],
        "infiniband": [{
            "device": f"mlx5_{n}", "port": 1, "state": "ACTIVE", "phys_state": "LinkUp", "rate_gbps": 400,
            "link_layer": "InfiniBand", "fw_version": "28.39.1002", "board_id": "MT_0000000838",
            "pci_bus_id": f"0000:{H100_PCI_BUSES[n]}:00.0".replace(":19:", ":18:"), "numa_node": 0 if n < 4 else 1,
            "netdev": None, "counters": {"symbol_error": 0, "link_downed": 0, "link_error_recovery": 0,
                                         "port_rcv_errors": 0},
            "unavailable": {"netdev": "NotFound"},
        } for n in range(8)],
        "network_interfaces": [{"name": "eno1", "up": True, "speed_mbps": 25000, "mtu": 1500, "driver": "mlx5_core",
                                "pci_bus_id": "0000:c1:00.0", "numa_node": 1, "unavailable": {}}],
        "xid_events": [],
        "load": None,
        "probe_errors": [],
    }


def with_gpu(snapshot: dict[str, Any], index: int, reason: str = "NotSupported", **changes: Any) -> dict[str, Any]:
    """A copy of `snapshot` with fields of one GPU changed; a None value also records `reason`."""
    changed = copy.deepcopy(snapshot)
    gpu = changed["gpus"][index]
    for field, value in changes.items():
        gpu[field] = value
        if value is None:
            gpu["unavailable"][field] = reason
    return changed


def with_all_gpus(snapshot: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = snapshot
    for index in range(len(snapshot["gpus"])):
        changed = with_gpu(changed, index, **changes)
    return changed


def _pcie_platform(snapshot: dict[str, Any], *, name: str, memory_mib: int, power_w: float, gen: int,
                   ecc: bool) -> dict[str, Any]:
    """A PCIe-card node: no NVLink, no NVSwitch fabric, no Fabric Manager, pairs over the host bridge; GDDR
    memory without a temperature sensor ("Memory Current Temp: N/A" on a real L40S)."""
    for gpu in snapshot["gpus"]:
        gpu.update(name=name, memory_total_mib=memory_mib, power_limit_w=power_w, power_limit_default_w=power_w,
                   power_limit_max_w=power_w, pcie_link_gen_current=gen, pcie_link_gen_max=gen,
                   pcie_link_gen_gpu_max=gen, nvlinks=None, fabric=None, temperature_memory_c=None,
                   temperature_memory_max_c=None)
        gpu["unavailable"].update(nvlinks="NotSupported", fabric="NotSupported", temperature_memory_c="NotSupported",
                                  temperature_memory_max_c="NotSupported")
        if not ecc:
            gpu.update(ecc_mode_current=None, ecc_mode_pending=None, ecc_errors=None, remapped_rows=None)
            gpu["unavailable"].update(ecc_mode_current="NotSupported", ecc_mode_pending="NotSupported",
                                      ecc_errors="NotSupported", remapped_rows="NotSupported")
    snapshot["topology"] = [dict(t, link="SYS") for t in snapshot["topology"]]
    snapshot["nvidia"]["fabricmanager"] = {"installed": False, "active": False, "version": None}
    snapshot["nvidia"]["kernel_modules"]["nvidia_peermem"] = None
    snapshot["infiniband"] = []
    return snapshot


def _nvlink_version(snapshot: dict[str, Any], version: int) -> None:
    """Every NVLink of every GPU at NVLink `version` (3 on A100, 5 on B200; the H100 base has 4)."""
    for gpu in snapshot["gpus"]:
        for link in gpu["nvlinks"]:
            link["version"] = version


def platform(pack: str) -> dict[str, Any]:
    """A healthy node of the platform each built-in pack describes."""
    if pack in ("base", "hgx-h100"):
        return hgx_h100()
    if pack in ("hgx-h200", "hgx-h20", "hgx-b200"):
        name, memory, power = {"hgx-h200": ("NVIDIA H200", 143771, 700.0),
                               "hgx-h20": ("NVIDIA H20", 97871, 400.0),
                               "hgx-b200": ("NVIDIA B200", 183359, 1000.0)}[pack]
        snapshot = with_all_gpus(hgx_h100(), name=name, memory_total_mib=memory, power_limit_w=power,
                                 power_limit_default_w=power, power_limit_max_w=power)
        if pack == "hgx-b200":
            _nvlink_version(snapshot, 5)
            version = "580.95.05"
            snapshot["nvidia"].update(driver_version=version, cuda_driver_version="13.0")
            snapshot["nvidia"]["fabricmanager"]["version"] = version
            snapshot["nvidia"]["kernel_modules"].update(nvidia=version, nvidia_uvm=version, nvidia_modeset=version,
                                                        nvidia_peermem=version)
        return snapshot
    if pack == "dgx-a100":
        snapshot = with_all_gpus(hgx_h100(), name="NVIDIA A100-SXM4-80GB", memory_total_mib=81920,
                                 power_limit_w=400.0, power_limit_default_w=400.0, power_limit_max_w=400.0,
                                 pcie_link_gen_current=4, pcie_link_gen_max=4, pcie_link_gen_gpu_max=4,
                                 temperature_gpu_max_c=85)
        for gpu in snapshot["gpus"]:
            gpu["nvlinks"] = gpu["nvlinks"][:12]
        _nvlink_version(snapshot, 3)
        for port in snapshot["infiniband"]:
            port["rate_gbps"] = 200  # HDR
        snapshot["topology"] = [dict(t, link="NV12") for t in snapshot["topology"]]
        return snapshot
    if pack == "l40s":
        return _pcie_platform(hgx_h100(), name="NVIDIA L40S", memory_mib=46068, power_w=350.0, gen=4, ecc=True)
    if pack == "rtx4090-workstation":
        return _pcie_platform(hgx_h100(gpus=4), name="NVIDIA GeForce RTX 4090", memory_mib=24564, power_w=450.0,
                              gen=4, ecc=False)
    raise KeyError(pack)


def under_load(snapshot: dict[str, Any], seconds: float = 300.0, samples: int = 10) -> dict[str, Any]:
    """`snapshot` after a healthy load phase of `seconds`: each GPU sampled `samples` times near its power
    limit, warm, at 90 % of its maximum SM clock, power-capped, its PCIe link at its maximum; its error
    counters read at the start and the end, unchanged (`load.counters`, as readycheck/load/runner.py writes)."""
    loaded = copy.deepcopy(snapshot)
    gpus = loaded["gpus"]
    step = seconds / samples
    loaded["load"] = {
        "backend": "builtin", "seconds": seconds, "interval_s": step, "elapsed_s": seconds, "status": "completed",
        "samples": [{"t": round(n * step, 3), "gpu": gpu["index"], "power_draw_w": 0.98 * gpu["power_limit_w"],
                     "temperature_gpu_c": 70, "temperature_memory_c": 72,
                     "clocks_sm_mhz": round(0.9 * gpu["clocks_max_sm_mhz"]), "clocks_event_reasons": ["sw_power_cap"],
                     "pcie_link_gen_current": gpu["pcie_link_gen_max"],
                     "pcie_link_width_current": gpu["pcie_link_width_max"], "unavailable": {}}
                    for n in range(samples) for gpu in gpus],
        "counters": {when: [{"t": t, "gpu": gpu["index"], "pcie_replay_counter": gpu["pcie_replay_counter"],
                             "nvlinks": None if gpu["nvlinks"] is None else [
                                 {"link": link["link"], **{name: link[name] for name in
                                                           ("crc_errors", "replay_errors", "recovery_errors")},
                                  "unavailable": {}} for link in gpu["nvlinks"]],
                             "unavailable": {} if gpu["nvlinks"] is not None else {"nvlinks": "NotSupported"}}
                            for gpu in gpus]
                     for when, t in (("start", 0.0), ("end", seconds))},
        "chassis": [], "chassis_unavailable": "NotFound: ipmitool", "errors": [],
    }
    return loaded


def judged_node(snapshot: dict[str, Any], pack, **options: Any):
    """One node judged as `readycheck check` judges it (node checks, fleet checks, the engine's decision)."""
    from readycheck.run import judge_snapshots

    return judge_snapshots([snapshot], pack, None, **options).nodes[0]


_PACKS = {}


def run_check(check_id: str, snapshot: dict[str, Any], pack: str = "hgx-h100", **settings: Any) -> list:
    """One node check as the engine runs it, its settings resolved through a rule pack: the built-in
    `pack`, extended by a pack file holding `settings` when there are any (so they pass the loader's
    validation, as a site pack's would)."""
    import json
    import tempfile
    from pathlib import Path

    from readycheck import rulepack
    from readycheck.engine import run_check as engine_run_check

    table = rulepack.load(pack).checks[check_id]
    for name in [name for name, value in settings.items() if value is None]:
        if table.get(name) is not None:
            raise ValueError(f"{pack} sets {check_id} {name}: a pack cannot unset it; test with another pack")
        del settings[name]  # already unset in the pack
    key = (pack, check_id, json.dumps(settings, sort_keys=True))
    if key not in _PACKS:
        if settings:
            lines = [f'extends = "{pack}"', f'[checks."{check_id}"]']
            lines += [f"{name} = {str(value).lower() if isinstance(value, bool) else json.dumps(value)}"
                      for name, value in settings.items()]
            path = Path(tempfile.mkdtemp(prefix="readycheck-pack-")) / "test.toml"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _PACKS[key] = rulepack.load(str(path))
        else:
            _PACKS[key] = rulepack.load(pack)
    resolved = _PACKS[key]
    from readycheck.checks.lib.expects import declared

    return engine_run_check(check_id, snapshot, resolved.checks[check_id], snapshot["host"].get("hostname") or "",
                            {"platform": resolved.platform, "features": declared(resolved.checks)})
