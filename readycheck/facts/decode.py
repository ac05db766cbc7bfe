"""Decoders every reader of the machine shares, so a probe and an importer turn the same text into the
same fact: PCI bus ids, InfiniBand rates and state words, clock event bits, temperature thresholds
given as T.Limit offsets, NVLink version enums, NVLink fabric health masks.
"""

from __future__ import annotations

import functools
import re

from readycheck.facts.record import MALFORMED, UNPARSEABLE, Unreadable


def normal_bus_id(bus_id: str) -> str:
    """NVML's `00000000:19:00.0` form (8-digit domain, upper case), also from the legacy 4-digit form
    (`0000:19:00.0`, sysfs and nvidia-smi text) and without the function (`0000:19:00`, Xid lines)."""
    try:
        domain, rest = bus_id.strip().split(":", 1)
        return f"{int(domain, 16):08X}:{rest.upper()}"
    except (ValueError, AttributeError):
        raise Unreadable(UNPARSEABLE, f"PCI bus id {bus_id!r}") from None


def pci_device(bus_id: str | None) -> str | None:
    """The device part of a bus id, without the function: `00000000:18:00`. How a kernel-log line
    (which prints no function) is matched with a GPU; None for none or for text that is not a bus id."""
    if not bus_id:
        return None
    try:
        return normal_bus_id(bus_id).split(".")[0]
    except Unreadable:
        return None


def strip_code(text: str) -> str:
    """`4: ACTIVE` → `ACTIVE`, `5: LinkUp` → `LinkUp` (sysfs and ibstat prefix the numeric code)."""
    return re.sub(r"^\d+:\s*", "", text)


def parse_rate_gbps(text: str) -> int | float:
    """`400 Gb/sec (4X NDR)` → 400, `2.5 Gb/sec (1X SDR)` → 2.5."""
    match = re.match(r"(\d+(?:\.\d+)?)\s*Gb/sec", text)
    if not match:
        raise Unreadable(MALFORMED, f"rate {text[:40]!r} is not '<n> Gb/sec ...'")
    rate = float(match.group(1))
    return int(rate) if rate.is_integer() else rate


# nvmlClocksEventReasons bits and the names facts use for them, in bit order.
CLOCK_EVENT_REASONS = (
    (0x1, "gpu_idle"),
    (0x2, "applications_clocks_setting"),
    (0x4, "sw_power_cap"),
    (0x8, "hw_slowdown"),
    (0x10, "sync_boost"),
    (0x20, "sw_thermal_slowdown"),
    (0x40, "hw_thermal_slowdown"),
    (0x80, "hw_power_brake_slowdown"),
    (0x100, "display_clock_setting"),
)
_KNOWN_REASON_BITS = functools.reduce(lambda acc, item: acc | item[0], CLOCK_EVENT_REASONS, 0)


def clock_event_reasons(mask: int) -> list[str]:
    """Decode an nvmlClocksEventReasons bit mask; a bit this table does not know shows as `unknown_0x...`."""
    names = [name for bit, name in CLOCK_EVENT_REASONS if mask & bit]
    rest = mask & ~_KNOWN_REASON_BITS
    names.extend(f"unknown_0x{1 << bit:x}" for bit in range(rest.bit_length()) if rest >> bit & 1)
    return names


# Below this a temperature threshold is an offset from T.Limit; no GPU threshold is this cold.
ABSOLUTE_THRESHOLD_MIN_C = 40


def threshold_c(value: int | float, tlimit_c: int | float | None) -> int | float | None:
    """An absolute threshold from what NVML's TLIMIT fields and nvidia-smi's "T.Limit Temp" lines give.

    Drivers since R535 report thresholds as a signed offset from the GPU's T.Limit ("GPU Shutdown
    T.Limit Temp: -8 C"), not a temperature; T.Limit is the current temperature plus the margin
    (`nvmlDeviceGetMarginTemperature`), so the threshold is T.Limit minus the offset. A value of 40
    or more cannot be an offset and is absolute. None when it is an offset and T.Limit is unknown."""
    if value >= ABSOLUTE_THRESHOLD_MIN_C:
        return value
    return None if tlimit_c is None else tlimit_c - value


# nvmlNvlinkVersion_t -> NVLink major version (the enum counts 2.2 and 3.1 as their own values):
# 1=1.0, 2=2.0, 3=2.2, 4=3.0, 5=3.1, 6=4.0, 7=5.0 (nvml.h); 8 is kept for the next generation.
NVLINK_VERSIONS = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 5, 8: 6}


# nvmlGpuFabricInfo_v2 healthMask: 2-bit fields (0 not supported, 1 true, 2 false) at these shifts, and a
# 4-bit incorrect-configuration field at bit 8 (nvml.h NVML_GPU_FABRIC_HEALTH_MASK_*; nvidia-smi -q prints
# them under Fabric, Health). Partition assignment (bit 12) and the Global Fabric Manager's state (bit 14)
# describe a multi-node partition, not this GPU's health, and are left out.
FABRIC_HEALTH_FLAGS = (
    (0, "degraded_bandwidth"),
    (2, "route_recovery"),
    (4, "route_unhealthy"),
    (6, "access_timeout_recovery"),
)
FABRIC_HEALTH_TRUE = 1
FABRIC_INCORRECT_CONFIGURATION_SHIFT = 8
FABRIC_INCORRECT_CONFIGURATIONS = {
    2: "incorrect_sysguid", 3: "incorrect_chassis_sn", 4: "no_partition", 5: "insufficient_nvlinks",
    6: "incompatible_gpu_fw", 7: "invalid_location", 8: "gpu_state_invalid",
}


def fabric_health(mask: int) -> list[str]:
    """The fabric health faults a health mask sets, in nvidia-smi's order; [] for a healthy fabric.

    An incorrect configuration shows as `incorrect_configuration_<what>` (`..._no_partition`); 0 (not
    supported) and 1 (none) are no fault."""
    faults = [name for shift, name in FABRIC_HEALTH_FLAGS if (mask >> shift) & 0x3 == FABRIC_HEALTH_TRUE]
    config = (mask >> FABRIC_INCORRECT_CONFIGURATION_SHIFT) & 0xF
    if config > 1:
        faults.append("incorrect_configuration_" + FABRIC_INCORRECT_CONFIGURATIONS.get(config, f"unknown_{config}"))
    return faults
