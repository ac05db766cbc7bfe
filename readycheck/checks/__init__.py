"""Checks: pure functions of (facts, settings) that yield findings.

Each check is one module here (yamllint's rules are the model) with:

- a module docstring: the check's user documentation (`readycheck checks ID`);
- `ID`: the stable id `area.name`, a contract with users and scripts;
- `SETTINGS`: name -> `Setting` (type, default, one line of doc); a rule pack
  may set exactly these, plus `enabled`, `required` and `severity`;
- `check(facts, settings)`: a generator of `Finding`s. It never reads the
  machine, the clock or the network;
- optionally `validate(settings)`: raises ValueError (naming the key) for settings
  that pass their types but break the check's own rules; the pack loader calls it,
  so a pack's mistake stops the run at load (exit 2), not as an odd finding later;
- optionally `documentation_extra()`: more documentation generated from the data the
  check judges by (health.xid prints NVIDIA's Xid catalogue), after the settings.

The registry below is explicit so the list of checks is greppable and a typo
in a rule pack is caught by name.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType

from readycheck.settings import Setting as Setting  # the type every check declares its SETTINGS with

REGISTRY: dict[str, str] = {
    "nvml.available": "nvml_available",
    "gpu.count": "gpu_count",
    "gpu.model": "gpu_model",
    "gpu.memory": "gpu_memory",
    "gpu.ecc_mode": "gpu_ecc_mode",
    "gpu.mig_mode": "gpu_mig_mode",
    "gpu.vbios_uniform": "gpu_vbios_uniform",
    "driver.version": "driver_version",
    "driver.cuda": "driver_cuda",
    "driver.fabricmanager": "driver_fabricmanager",
    "driver.persistence": "driver_persistence",
    "driver.modules": "driver_modules",
    "health.ecc_errors": "health_ecc_errors",
    "health.remapped_rows": "health_remapped_rows",
    "health.retired_pages": "health_retired_pages",
    "health.xid": "health_xid",
    "thermal.throttle": "thermal_throttle",
    "thermal.margin": "thermal_margin",
    "power.limit": "power_limit",
    "pcie.link": "pcie_link",
    "pcie.replays": "pcie_replays",
    "thermal.inlet": "thermal_inlet",
    "power.psu_redundancy": "power_psu_redundancy",
    "bmc.tls": "bmc_tls",
    "power.rack_budget": "power_rack_budget",
    "cooling.rack_heat": "cooling_rack_heat",
    "fleet.drift": "fleet_drift",
    "nvlink.links": "nvlink_links",
    "nvlink.errors": "nvlink_errors",
    "nvlink.fabric": "nvlink_fabric",
    "topology.gpu_pairs": "topology_gpu_pairs",
    "topology.nic_affinity": "topology_nic_affinity",
    "ib.ports": "ib_ports",
    "ib.firmware": "ib_firmware",
    "ib.errors": "ib_errors",
    "net.interfaces": "net_interfaces",
    "load.power_reached": "load_power_reached",
    "load.throttle": "load_throttle",
    "load.thermal_margin": "load_thermal_margin",
    "load.clocks": "load_clocks",
    "load.node_power": "load_node_power",
    "perf.pcie_bandwidth": "perf_pcie_bandwidth",
    "perf.memory_bandwidth": "perf_memory_bandwidth",
    "perf.gemm": "perf_gemm",
    "perf.nvlink_bandwidth": "perf_nvlink_bandwidth",
    "perf.nccl": "perf_nccl",
    "perf.ib_bandwidth": "perf_ib_bandwidth",
    "host.memory": "host_memory",
    "host.cpu": "host_cpu",
    "host.storage": "host_storage",
    "host.storage_throughput": "host_storage_throughput",
    "inventory.match": "inventory_match",
}

# Keys every check's table accepts besides its own settings.
COMMON_KEYS = {
    "enabled": "run this check (default true)",
    "required": "an `unknown` result makes the node not ready (default true)",
    "severity": "what a violation becomes: \"fail\" (default) or \"warn\"",
}


@functools.cache
def load(check_id: str) -> ModuleType:
    """Import one check module by id (once: the engine asks for each check of every node);
    raises KeyError for an id that does not exist."""
    return importlib.import_module(f"readycheck.checks.{REGISTRY[check_id]}")


def all_ids() -> list[str]:
    return list(REGISTRY)


def load_all() -> None:
    """Import every check module now (a scan does it while its probes run, rather than after them)."""
    for check_id in REGISTRY:
        load(check_id)


def documentation(check_id: str) -> str:
    """A check's user documentation: its module docstring, then the rule-pack table it accepts,
    generated from its SETTINGS (and the keys every check accepts), so the two cannot drift."""
    module = load(check_id)
    lines = [(module.__doc__ or "").strip(), "", f'Rule pack table [checks."{check_id}"]:']
    lines += [f"  {name:28} {doc}" for name, doc in COMMON_KEYS.items()]
    for name, setting in module.SETTINGS.items():
        default = "unset" if setting.default is None else repr(setting.default)
        lines.append(f"  {name + ' (' + setting.kind + ')':28} {setting.doc} (default {default})")
    if not module.SETTINGS:
        lines.append("  (no settings of its own)")
    extra = getattr(module, "documentation_extra", None)
    if extra is not None:
        lines += ["", extra()]
    return "\n".join(lines) + "\n"


def summary(module: ModuleType) -> str:
    """The first line of a check's documentation."""
    return (module.__doc__ or "").strip().splitlines()[0]
