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
            "pcie_link_gen_port_max": 4, "pcie_link_width_port_max": 4, "numa_node": 0 if index < 4 else 1,
            "unavailable": {}}


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


def _bridged_pairs(snapshot: dict[str, Any], links: int) -> dict[str, Any]:
    """NVL cards: GPU 2k and 2k+1 joined by a bridge of `links` NVLinks (the fixture's own count: no pack
    judges it), no NVSwitch; every other pair over PCIe."""
    gpus = snapshot["gpus"]
    for gpu in gpus:
        partner = gpus[gpu["index"] ^ 1]
        gpu["nvlinks"] = [{"link": n, "active": True, "version": 4, "remote_pci_bus_id": partner["pci_bus_id"],
                           "remote_device_type": "gpu", "crc_errors": 0, "replay_errors": 0, "recovery_errors": 0}
                          for n in range(links)]
        gpu["unavailable"].pop("nvlinks", None)
    snapshot["topology"] = [dict(t, link=f"NV{links}" if t["gpu_a"] ^ 1 == t["gpu_b"] else "SYS")
                            for t in snapshot["topology"]]
    return snapshot


def _hgx(name: str, memory: int, power: float, product: str, **changes: Any) -> dict[str, Any]:
    snapshot = with_all_gpus(hgx_h100(), name=name, memory_total_mib=memory, power_limit_w=power,
                             power_limit_default_w=power, power_limit_max_w=power, **changes)
    snapshot["host"]["dmi"]["product_name"] = product
    return snapshot


def platform(pack: str) -> dict[str, Any]:
    """A healthy node of the platform each built-in pack describes (DMI names a DGX for the dgx-* packs, an
    OEM server for the hgx-* ones)."""
    if pack in ("base", "dgx-h100"):
        return hgx_h100()
    if pack == "hgx-h100":
        return _hgx("NVIDIA H100 80GB HBM3", 81559, 700.0, "SYS-821GE-TNHR")
    if pack in ("hgx-h200", "dgx-h200", "hgx-h20", "hgx-b200", "dgx-b200", "hgx-h800"):
        name, memory, power = {"hgx-h200": ("NVIDIA H200", 143771, 700.0), "dgx-h200": ("NVIDIA H200", 143771, 700.0),
                               "hgx-h20": ("NVIDIA H20", 97871, 400.0), "hgx-b200": ("NVIDIA B200", 183359, 1000.0),
                               "dgx-b200": ("NVIDIA B200", 183359, 1000.0),
                               "hgx-h800": ("NVIDIA H800", 81559, 700.0)}[pack]
        product = {"dgx-h200": "DGXH200", "dgx-b200": "DGXB200"}.get(pack, "SYS-821GE-TNHR")
        snapshot = _hgx(name, memory, power, product)
        if pack == "hgx-h800":
            for gpu in snapshot["gpus"]:
                gpu["nvlinks"] = gpu["nvlinks"][:8]
            snapshot["topology"] = [dict(t, link="NV8") for t in snapshot["topology"]]
        if pack in ("hgx-b200", "dgx-b200"):
            _nvlink_version(snapshot, 5)
            version = "580.95.05"
            snapshot["nvidia"].update(driver_version=version, cuda_driver_version="13.0")
            snapshot["nvidia"]["fabricmanager"]["version"] = version
            snapshot["nvidia"]["kernel_modules"].update(nvidia=version, nvidia_uvm=version, nvidia_modeset=version,
                                                        nvidia_peermem=version)
        return snapshot
    if pack in ("hgx-a100", "dgx-a100"):
        snapshot = _hgx("NVIDIA A100-SXM4-80GB", 81920, 400.0, "DGXA100 920-23687-2531-001" if pack == "dgx-a100"
                        else "AS-4124GO-NART", pcie_link_gen_current=4, pcie_link_gen_max=4, pcie_link_gen_gpu_max=4,
                        temperature_gpu_max_c=85)
        for gpu in snapshot["gpus"]:
            gpu["nvlinks"] = gpu["nvlinks"][:12]
        _nvlink_version(snapshot, 3)
        for port in snapshot["infiniband"]:
            port["rate_gbps"] = 200  # HDR
        snapshot["topology"] = [dict(t, link="NV12") for t in snapshot["topology"]]
        return snapshot
    if pack in ("h100-nvl", "h200-nvl"):
        name, memory, power = {"h100-nvl": ("NVIDIA H100 NVL", 95830, 310.0),
                               "h200-nvl": ("NVIDIA H200 NVL", 143771, 600.0)}[pack]
        snapshot = _pcie_platform(hgx_h100(gpus=4), name=name, memory_mib=memory, power_w=power, gen=5, ecc=True)
        for gpu in snapshot["gpus"]:  # HBM with a sensor: Memory Current Temp 40 C in the real capture
            #                            tests/data/captures/nvidia-smi-q_2xH100-NVL_driver550.54.14_minor-4-5.txt
            gpu.update(temperature_memory_c=40, temperature_memory_max_c=95)
            for field in ("temperature_memory_c", "temperature_memory_max_c"):
                gpu["unavailable"].pop(field)
        return _bridged_pairs(snapshot, links=12)
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


def run_check(check_id: str, snapshot: dict[str, Any], pack: str = "hgx-h100", platform: dict | None = None, *,
              order: Any = None, site: Any = None, **settings: Any) -> list:
    """One node check as the engine runs it, its settings resolved through a rule pack: the built-in
    `pack`, extended by a pack file holding `settings` (and `platform`, the pack's [platform] table) when
    there are any (so they pass the loader's validation, as a site pack's would)."""
    import json
    import tempfile
    from pathlib import Path

    from readycheck import rulepack
    from readycheck.checks.lib.expects import declared
    from readycheck.engine import run_check as engine_run_check

    table = rulepack.load(pack).checks[check_id]
    for name in [name for name, value in settings.items() if value is None]:
        if table.get(name) is not None:
            raise ValueError(f"{pack} sets {check_id} {name}: a pack cannot unset it; test with another pack")
        del settings[name]  # already unset in the pack
    key = (pack, check_id, json.dumps(settings, sort_keys=True), json.dumps(platform, sort_keys=True))
    if key not in _PACKS:
        if settings or platform:
            def toml(value):
                return str(value).lower() if isinstance(value, bool) else json.dumps(value)

            lines = [f'extends = "{pack}"']
            lines += ["[platform]", *(f"{name} = {toml(value)}" for name, value in (platform or {}).items())]
            lines += [f'[checks."{check_id}"]', *(f"{name} = {toml(value)}" for name, value in settings.items())]
            path = Path(tempfile.mkdtemp(prefix="readycheck-pack-")) / "test.toml"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            _PACKS[key] = rulepack.load(str(path))
        else:
            _PACKS[key] = rulepack.load(pack)
    resolved = _PACKS[key]
    return engine_run_check(check_id, snapshot, resolved.checks[check_id], snapshot["host"].get("hostname") or "",
                            {"platform": resolved.platform if platform is None else platform,
                             "features": declared(resolved.checks), "order": order, "site": site})
