"""The names of the facts: which fields each object of a snapshot holds, in the order probes write them.

Probes fill these objects, importers fill the same ones from captures, the schema requires them and
docs/facts.md explains each. A field is renamed only with a new schema version.
"""

from __future__ import annotations

SCHEMA_ID = "readycheck.facts/1"

HOST_FIELDS = (
    "hostname", "os", "kernel", "arch", "cpu_model", "cpu_sockets", "cpu_cores", "cpu_threads",
    "memory_total_mib", "numa_nodes", "inlet_temperature_c",
)
# Beyond facts v1: the node's power and cooling as its BMC reports them (Redfish, else ipmitool and hwmon),
# each with where it came from. Lists: `psu_redundancy`, `fans` (and v1's `psus`).
BMC_HOST_FIELDS = ("inlet_temperature_source", "chassis_power_w", "chassis_power_limit_w", "chassis_power_source")
BMC_HOST_LISTS = ("psu_redundancy", "fans")
DMI_FIELDS = ("sys_vendor", "product_name", "product_serial", "board_serial", "bios_version")

NVIDIA_FIELDS = ("nvml_available", "nvml_error", "driver_version", "cuda_driver_version", "nvml_version")
# The ones read from the driver (the first two say whether NVML could be asked at all).
NVIDIA_VALUE_FIELDS = NVIDIA_FIELDS[2:]

GPU_FIELDS = (
    "index", "name", "uuid", "serial", "board_part_number", "pci_bus_id", "pci_device_id",
    "vbios_version", "inforom_version", "memory_total_mib", "numa_node",
    "persistence_mode", "ecc_mode_current", "ecc_mode_pending", "mig_mode_current", "mig_mode_pending",
    "compute_mode",
    "temperature_gpu_c", "temperature_memory_c", "temperature_slowdown_c", "temperature_shutdown_c",
    "temperature_gpu_max_c", "temperature_memory_max_c", "temperature_gpu_tlimit_c", "fan_speed_pct",
    "power_draw_w", "power_limit_w", "power_limit_default_w", "power_limit_min_w", "power_limit_max_w",
    "energy_consumption_j",
    "clocks_sm_mhz", "clocks_mem_mhz", "clocks_max_sm_mhz", "clocks_max_mem_mhz", "pstate",
    "clocks_event_reasons",
    "pcie_link_gen_current", "pcie_link_gen_max", "pcie_link_gen_gpu_max", "pcie_link_width_current",
    "pcie_link_width_max", "pcie_replay_counter",
    "ecc_errors", "retired_pages", "remapped_rows", "nvlinks", "fabric",
)
ECC_ERROR_FIELDS = ("volatile_corrected", "volatile_uncorrected", "aggregate_corrected", "aggregate_uncorrected")
RETIRED_PAGE_FIELDS = ("single_bit", "double_bit", "pending")
REMAPPED_ROW_FIELDS = ("correctable", "uncorrectable", "pending", "failure")
NVLINK_FIELDS = ("link", "active", "version", "remote_pci_bus_id", "remote_device_type",
                 "crc_errors", "replay_errors", "recovery_errors")
NVLINK_ERROR_FIELDS = ("crc_errors", "replay_errors", "recovery_errors")
# `health` is optional in the schema (it came after facts 1.0).
FABRIC_FIELDS = ("state", "status", "clique_id", "health")

# infiniband[].counters, from /sys/class/infiniband/<hca>/ports/<n>/counters/.
IB_COUNTERS = ("symbol_error", "link_downed", "link_error_recovery", "port_rcv_errors")
