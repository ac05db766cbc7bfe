"""The facts in `nvidia-smi -q` output, whichever form it takes (XML or text).

`nvidia-smi -q -x` and `nvidia-smi -q` print the same NVML readings under
different names, and both renamed things over the years; this table is the one
place that knows the names. Each row gives a facts field, how to read its
value, and where it sits in the XML and in the text, older names after newer:

- DTD v11 / drivers before 535: `clocks_throttle_reasons` ("Clocks Throttle
  Reasons"), `power_readings` with `power_draw` and `enforced_power_limit`, ECC
  counters as `single_bit`/`double_bit` totals;
- DTD v12: `clocks_event_reasons`, `gpu_power_readings` with
  `current_power_limit`, SRAM/DRAM ECC counters;
- DTD v13 / drivers 560+ and the 590+ text: `average_power_draw` ("Average
  Power Draw") instead of `power_draw`, SRAM uncorrectable split in parity and
  SEC-DED. Where the average is N/A (Turing and older GeForce) the
  instantaneous reading is the draw, as NVML's power usage is then;
- text of drivers 610+: `Driver Version` and `CUDA Version` carry a
  "[Deprecated; ...]" note and `KMD Version` / `CUDA UMD Version` lines follow
  (read first; either way the version is kept as a plain dotted number), and
  the current, requested and default power limits sit in a `GPU Ceiling
  Power Limit` block.

Values read the way the NVML probe stores them: W, MHz, MiB, °C; modes as
booleans; clocks event reasons by NVML's names (`hw_slowdown`, ...); fabric
state and status as lower-case words. nvidia-smi's "N/A" is `NotSupported`
(what NVML answered), a whole section printed as N/A (`remapped_rows` on older
drivers) answers for each of its fields, and a field the capture does not show
stays for the merge to mark `NotInSource`.

Temperature thresholds are absolute °C. Where nvidia-smi prints a T.Limit
offset ("GPU Shutdown T.Limit Temp: -8 C", Ada and Hopper on newer drivers)
the threshold is derived as the probe derives it: current temperature plus the
T.Limit headroom ("GPU T.Limit Temp") minus the offset. The memory offset is
on the GPU's T.Limit scale and says nothing about a memory temperature, so
`temperature_memory_max_c` is `NotInSource` then. Not in `-q` at all:
`numa_node` (see `topo -m`), `nvlinks` (see `nvlink -s`), `energy_consumption_j`.

A GPU's `index` is its place in a capture of the whole node. A capture of
some of the node's GPUs (`nvidia-smi -q -i N`: "Attached GPUs" counts more
GPUs than it shows) does not print the index: the Minor Number (/dev/nvidiaN)
is not it (A100 nodes number 2,3,0,1,...), so `index` is null, `NotInSource`,
and the GPU is known by its PCI bus id until a capture of the whole node
(`-q`, `topo -m`, `nvlink -s`) is merged with it.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Callable

from readycheck.facts import NOT_IN_SOURCE, NOT_SUPPORTED, UNPARSEABLE, Record, Unreadable
from readycheck.facts.decode import CLOCK_EVENT_REASONS, normal_bus_id, threshold_c
from readycheck.importers.common import Capture, Node, flag, quantity, reading, snake

XML, TEXT = 0, 1  # the column of the path tables each form reads
VERSION = re.compile(r"(\d+(?:\.\d+)+)(?:\s*\[[^\]]*\])?")  # a note in brackets after it is dropped
SECTION_ID = "@id"  # the bus id a GPU section is headed with (`<gpu id="...">`, `GPU 00000000:0C:00.0`)


def _device_id(raw: str | None) -> str:
    """`233010DE` (XML) or `0x233010DE` (text) → `0x233010DE`, as the probe writes it."""
    text = reading(raw)
    try:
        return f"0x{int(text, 16):08X}"
    except ValueError:
        raise Unreadable(UNPARSEABLE, f"PCI device id {text!r}") from None


def _bus_id(raw: str | None) -> str:
    return normal_bus_id(reading(raw))


def _version(raw: str | None) -> str:
    """`610.57.04 [Deprecated; will be removed in CUDA 14.0. Use KMD Version instead]` → `610.57.04`."""
    text = reading(raw)
    match = VERSION.fullmatch(text)
    if not match:
        raise Unreadable(UNPARSEABLE, f"version {text!r} is not a dotted number")
    return match.group(1)


def _first_readable(reader: Reader, raws: list[str | None]) -> Any:
    """The first of `raws` that `reader` can read; where none can, the first one's reason."""
    first: Unreadable | None = None
    for raw in raws:
        try:
            return reader(raw)
        except Unreadable as exc:
            first = first or exc
    raise first or Unreadable(NOT_IN_SOURCE)


Reader = Callable[[Any], Any]
CELSIUS: Reader = functools.partial(quantity, unit="C")
WATTS: Reader = functools.partial(quantity, unit="W")
MHZ: Reader = functools.partial(quantity, unit="MHz")
MIB: Reader = functools.partial(quantity, unit="MiB")
PERCENT: Reader = functools.partial(quantity, unit="%")
WIDTH: Reader = functools.partial(quantity, unit="x")

LINK = "pci/pci_gpu_link_info", "PCI/GPU Link Info"
XML_POWER = ("gpu_power_readings", "power_readings")
TEXT_POWER = ("GPU Power Readings", "Power Readings")
TEXT_CEILING = "GPU Power Readings/GPU Ceiling Power Limit"  # drivers 610+
# Read from the first of their paths that holds a value (an N/A average power draw gives way to the
# instantaneous one); every other field from the first of its paths the capture has.
FIRST_READABLE = frozenset({"power_draw_w"})

# (facts field, reader, XML paths, text paths): the first path the capture has is read.
FIELDS: tuple[tuple[str, Reader, tuple[str, ...], tuple[str, ...]], ...] = (
    ("name", reading, ("product_name",), ("Product Name",)),
    ("uuid", reading, ("uuid",), ("GPU UUID",)),
    ("serial", reading, ("serial",), ("Serial Number",)),
    ("board_part_number", reading, ("board_part_number",), ("Board Part Number",)),
    ("pci_bus_id", _bus_id, ("pci/pci_bus_id", SECTION_ID), ("PCI/Bus Id", SECTION_ID)),
    ("pci_device_id", _device_id, ("pci/pci_device_id",), ("PCI/Device Id",)),
    ("vbios_version", reading, ("vbios_version",), ("VBIOS Version",)),
    ("inforom_version", reading, ("inforom_version/img_version",), ("Inforom Version/Image Version",)),
    ("memory_total_mib", MIB, ("fb_memory_usage/total",), ("FB Memory Usage/Total",)),
    ("persistence_mode", flag, ("persistence_mode",), ("Persistence Mode",)),
    ("ecc_mode_current", flag, ("ecc_mode/current_ecc",), ("ECC Mode/Current", "Ecc Mode/Current")),
    ("ecc_mode_pending", flag, ("ecc_mode/pending_ecc",), ("ECC Mode/Pending", "Ecc Mode/Pending")),
    ("mig_mode_current", flag, ("mig_mode/current_mig",), ("MIG Mode/Current",)),
    ("mig_mode_pending", flag, ("mig_mode/pending_mig",), ("MIG Mode/Pending",)),
    ("compute_mode", reading, ("compute_mode",), ("Compute Mode",)),
    ("temperature_gpu_c", CELSIUS, ("temperature/gpu_temp",), ("Temperature/GPU Current Temp",)),
    ("temperature_memory_c", CELSIUS, ("temperature/memory_temp",), ("Temperature/Memory Current Temp",)),
    ("temperature_gpu_tlimit_c", CELSIUS, ("temperature/gpu_temp_tlimit",), ("Temperature/GPU T.Limit Temp",)),
    ("fan_speed_pct", PERCENT, ("fan_speed",), ("Fan Speed",)),
    ("power_draw_w", WATTS,
     tuple(f"{s}/{f}" for s in XML_POWER for f in ("power_draw", "average_power_draw", "instant_power_draw")),
     tuple(f"{s}/{f}" for s in TEXT_POWER
           for f in ("Power Draw", "Average Power Draw", "Instantaneous Power Draw"))),
    ("power_limit_w", WATTS, ("gpu_power_readings/current_power_limit", "power_readings/enforced_power_limit"),
     ("GPU Power Readings/Current Power Limit", f"{TEXT_CEILING}/Current Power Limit",
      "Power Readings/Enforced Power Limit")),
    *((f"power_limit_{kind}_w", WATTS, tuple(f"{s}/{kind}_power_limit" for s in XML_POWER),
       tuple(f"{s}/{kind.title()} Power Limit" for s in (*TEXT_POWER, TEXT_CEILING)))
      for kind in ("default", "min", "max")),
    ("clocks_sm_mhz", MHZ, ("clocks/sm_clock",), ("Clocks/SM",)),
    ("clocks_mem_mhz", MHZ, ("clocks/mem_clock",), ("Clocks/Memory",)),
    ("clocks_max_sm_mhz", MHZ, ("max_clocks/sm_clock",), ("Max Clocks/SM",)),
    ("clocks_max_mem_mhz", MHZ, ("max_clocks/mem_clock",), ("Max Clocks/Memory",)),
    ("pstate", reading, ("performance_state",), ("Performance State",)),
    ("pcie_link_gen_current", quantity, (f"{LINK[XML]}/pcie_gen/current_link_gen",),
     (f"{LINK[TEXT]}/PCIe Generation/Current",)),
    ("pcie_link_gen_max", quantity, (f"{LINK[XML]}/pcie_gen/max_link_gen",), (f"{LINK[TEXT]}/PCIe Generation/Max",)),
    ("pcie_link_gen_gpu_max", quantity, (f"{LINK[XML]}/pcie_gen/max_device_link_gen",),
     (f"{LINK[TEXT]}/PCIe Generation/Device Max",)),
    ("pcie_link_width_current", WIDTH, (f"{LINK[XML]}/link_widths/current_link_width",),
     (f"{LINK[TEXT]}/Link Width/Current",)),
    ("pcie_link_width_max", WIDTH, (f"{LINK[XML]}/link_widths/max_link_width",), (f"{LINK[TEXT]}/Link Width/Max",)),
    ("pcie_replay_counter", quantity, ("pci/replay_counter",), ("PCI/Replays Since Reset",)),
)

# (facts field, absolute threshold, T.Limit offset, offset on the GPU's T.Limit scale), XML then text.
THRESHOLDS = (
    ("temperature_shutdown_c", ("temperature/gpu_temp_max_threshold", "Temperature/GPU Shutdown Temp"),
     ("temperature/gpu_temp_max_tlimit_threshold", "Temperature/GPU Shutdown T.Limit Temp"), True),
    ("temperature_slowdown_c", ("temperature/gpu_temp_slow_threshold", "Temperature/GPU Slowdown Temp"),
     ("temperature/gpu_temp_slow_tlimit_threshold", "Temperature/GPU Slowdown T.Limit Temp"), True),
    ("temperature_gpu_max_c", ("temperature/gpu_temp_max_gpu_threshold", "Temperature/GPU Max Operating Temp"),
     ("temperature/gpu_temp_max_gpu_tlimit_threshold", "Temperature/GPU Max Operating T.Limit Temp"), True),
    ("temperature_memory_max_c", ("temperature/gpu_temp_max_mem_threshold", "Temperature/Memory Max Operating Temp"),
     ("temperature/gpu_temp_max_mem_tlimit_threshold", "Temperature/Memory Max Operating T.Limit Temp"), False),
)

# Clocks event reasons: the section (XML, text), and the names nvidia-smi uses where NVML's differ.
REASON_SECTIONS = (("clocks_event_reasons", "clocks_throttle_reasons"),
                   ("Clocks Event Reasons", "Clocks Throttle Reasons"))
REASON_NAMES = {"idle": "gpu_idle", "display_clocks_setting": "display_clock_setting"}
REASON_ORDER = {name: i for i, (_, name) in enumerate(CLOCK_EVENT_REASONS)}

# ECC totals as NVML counts them (all memory locations), each a sum of the capture's counters;
# the first set of addends the capture has all of is used. {scope} is volatile or aggregate.
ECC_SUMS = {
    "corrected": (
        (("{scope}/sram_correctable", "{scope}/dram_correctable"),
         ("{Scope}/SRAM Correctable", "{Scope}/DRAM Correctable")),
        (("{scope}/single_bit/total",), ("{Scope}/Single Bit/Total",)),
    ),
    "uncorrected": (
        (("{scope}/sram_uncorrectable", "{scope}/dram_uncorrectable"),
         ("{Scope}/SRAM Uncorrectable", "{Scope}/DRAM Uncorrectable")),
        (("{scope}/sram_uncorrectable_parity", "{scope}/sram_uncorrectable_secded", "{scope}/dram_uncorrectable"),
         ("{Scope}/SRAM Uncorrectable Parity", "{Scope}/SRAM Uncorrectable SEC-DED", "{Scope}/DRAM Uncorrectable")),
        (("{scope}/double_bit/total",), ("{Scope}/Double Bit/Total",)),
    ),
}
ECC_SECTION = ("ecc_errors", "ECC Errors")

# (group, field, reader, XML paths, text paths)
GROUPS = (
    ("retired_pages", "single_bit", quantity, ("retired_pages/multiple_single_bit_retirement/retired_count",),
     ("Retired Pages/Single Bit ECC",)),
    ("retired_pages", "double_bit", quantity, ("retired_pages/double_bit_retirement/retired_count",),
     ("Retired Pages/Double Bit ECC",)),
    ("retired_pages", "pending", flag, ("retired_pages/pending_retirement", "retired_pages/pending_blacklist"),
     ("Retired Pages/Pending Page Blacklist",)),
    ("remapped_rows", "correctable", quantity, ("remapped_rows/remapped_row_corr",),
     ("Remapped Rows/Correctable Error",)),
    ("remapped_rows", "uncorrectable", quantity, ("remapped_rows/remapped_row_unc",),
     ("Remapped Rows/Uncorrectable Error",)),
    ("remapped_rows", "pending", flag, ("remapped_rows/remapped_row_pending",), ("Remapped Rows/Pending",)),
    ("remapped_rows", "failure", flag, ("remapped_rows/remapped_row_failure",),
     ("Remapped Rows/Remapping Failure Occurred",)),
)

FABRIC = (("fabric/state", "fabric/status", "fabric/cliqueId"), ("Fabric/State", "Fabric/Status", "Fabric/CliqueId"))


# The header's versions (facts field, XML paths, text paths), 610+ names first.
HEADER = (
    ("driver_version", ("driver_version",), ("KMD Version", "Driver Version")),
    ("cuda_driver_version", ("cuda_version",), ("CUDA UMD Version", "CUDA Version")),
)


def header(capture: Capture, top: Node, column: int) -> None:
    """Driver and CUDA version from the log's header; nvidia-smi answered, so NVML was there."""
    nvidia = Record(nvml_available=True, nvml_error=None)
    for name, *paths in HEADER:
        nvidia.read(name, _version, top.get(*paths[column]))
    capture.nvidia = nvidia
    try:
        capture.timestamp = reading(top.get(("timestamp", "Timestamp")[column]))
    except Unreadable:
        capture.timestamp = None


def read_gpus(capture: Capture, top: Node, gpus: list[Node], column: int) -> None:
    """Every GPU section, and the node's GPU count from the header ("Attached GPUs", kept as
    `attached_gpus`: gpu.count judges the node by it, also when the capture shows fewer).

    A capture of the whole node lists its GPUs in NVML's order, so the n-th is index n. One that
    shows fewer (`nvidia-smi -q -i 3`) prints no index: each GPU's is null, `NotInSource`, and the
    merge gives it the index another capture of the node shows for its UUID or bus id."""
    try:
        attached = quantity(top.get(("attached_gpus", "Attached GPUs")[column]))
    except Unreadable:
        attached = None  # a trimmed capture: taken as the whole node, as it shows no other count
    else:
        if capture.nvidia is not None:
            capture.nvidia.set("attached_gpus", attached)
    whole = attached is None or attached == len(gpus)
    capture.gpus = [read_gpu(index if whole else None, gpu, column) for index, gpu in enumerate(gpus)]


def read_gpu(index: int | None, gpu: Node, column: int) -> Record:
    """One GPU's facts from its `<gpu>` element or `GPU 0000...` section (`index` None: not in the capture)."""
    record = Record(index=index)
    if index is None:
        record.missing("index", NOT_IN_SOURCE)
    for name, reader, *paths in FIELDS:
        _read(record, name, reader, gpu, paths[column])
    _thresholds(record, gpu, column)
    record.read("clocks_event_reasons", _reasons, gpu, REASON_SECTIONS[column])
    _ecc(record, gpu, column)
    groups: dict[str, Record] = {}
    for group, name, reader, *paths in GROUPS:
        _read(groups.setdefault(group, Record()), name, reader, gpu, paths[column])
    for group, values in groups.items():
        record.set_group(group, values)
    _fabric(record, gpu, FABRIC[column])
    return record


def _read(record: Record, name: str, reader: Reader, gpu: Node, paths: tuple[str, ...]) -> None:
    if name in FIRST_READABLE:
        record.read(name, _first_readable, reader, [node.value for node in map(gpu.find, paths) if node is not None])
    else:
        record.read(name, reader, gpu.get(*paths))


def _thresholds(record: Record, gpu: Node, column: int) -> None:
    current, headroom = record.values["temperature_gpu_c"], record.values["temperature_gpu_tlimit_c"]
    tlimit = None if current is None or headroom is None else current + headroom
    for name, absolute, offset, gpu_scale in THRESHOLDS:
        if gpu.find(absolute[column]) is not None or gpu.find(offset[column]) is None:
            record.read(name, CELSIUS, gpu.get(absolute[column]))
        else:
            record.read(name, _from_offset, gpu.get(offset[column]), tlimit if gpu_scale else None)


def _from_offset(raw: str | None, tlimit: int | float | None) -> int | float:
    """An absolute threshold from a T.Limit offset: T.Limit minus the offset (see the module docstring)."""
    value = CELSIUS(raw)
    absolute = threshold_c(value, tlimit)
    if absolute is None:
        raise Unreadable(NOT_IN_SOURCE, f"T.Limit offset {value} C and no T.Limit temperature to apply it to")
    return absolute


def _reasons(gpu: Node, sections: tuple[str, ...]) -> list[str]:
    """The active clocks event reasons by NVML's names, in NVML's bit order."""
    section = next(filter(None, map(gpu.find, sections)), None)
    if section is None:
        raise Unreadable(NOT_IN_SOURCE)
    if not section.children:
        reading(section.value)
        raise Unreadable(UNPARSEABLE, f"clocks event reasons {section.value!r}")
    states: dict[str, bool] = {}
    reason = Unreadable(UNPARSEABLE, "no clocks event reason listed")
    for label, raw in _leaves(section):
        name = snake(re.sub(r"^clocks_(?:event|throttle)_reason_", "", label))
        try:
            states[REASON_NAMES.get(name, name)] = flag(raw)
        except Unreadable as exc:
            reason = exc
    if not states:
        raise reason
    return sorted((name for name, on in states.items() if on), key=lambda n: REASON_ORDER.get(n, len(REASON_ORDER)))


def _leaves(node: Node) -> list[tuple[str, str | None]]:
    """(name, value) of every value below `node`, depth first ("HW Thermal Slowdown" sits under "HW Slowdown")."""
    found = []
    for label, child in node.children.items():
        if child.value is not None:
            found.append((label, child.value))
        found.extend(_leaves(child))
    return found


def _ecc(record: Record, gpu: Node, column: int) -> None:
    ecc = Record()
    section = gpu.find(ECC_SECTION[column])
    for scope in ("volatile", "aggregate"):
        for kind, alternatives in ECC_SUMS.items():
            ecc.read(f"{scope}_{kind}", _ecc_sum, section, alternatives, column, scope)
    record.set_group("ecc_errors", ecc)


def _ecc_sum(section: Node | None, alternatives: tuple, column: int, scope: str) -> int:
    if section is None:
        raise Unreadable(NOT_IN_SOURCE)
    for paths in alternatives:
        addends = [path.format(scope=scope, Scope=scope.title()) for path in paths[column]]
        if all(section.find(path) is not None for path in addends):
            return sum(quantity(section.get(path)) for path in addends)
    raise Unreadable(NOT_IN_SOURCE, f"no {scope} ECC counters nvidia-smi is known to print")


def _fabric(record: Record, gpu: Node, paths: tuple[str, str, str]) -> None:
    """`{state, status, clique_id}` in the probe's words; null with the reason where there is no state."""
    state_path, status_path, clique_path = paths
    fabric = Record()
    if fabric.read("state", lambda: snake(reading(gpu.get(state_path)))) is None:
        record.missing("fabric", fabric.unavailable["state"])
        return
    fabric.read("status", _fabric_status, gpu.get(status_path))
    fabric.read("clique_id", quantity, gpu.get(clique_path))
    record.set("fabric", fabric.as_dict())


def _fabric_status(raw: str | None) -> str:
    """`Success` → `success`; an error in words → NVML's error word (`In Use` → `InUse`)."""
    text = reading(raw)
    if text.lower() == "success":
        return "success"
    word = re.sub(r"[^A-Za-z0-9]", "", text.title())
    if not word:
        raise Unreadable(NOT_SUPPORTED, text)
    return word
