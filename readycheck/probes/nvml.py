"""NVML probe: the driver stack, every GPU, and how each pair of GPUs is connected.

Returns `{"nvidia": {...}, "gpus": [...], "topology": [...]}` (facts v1). When
NVML cannot be loaded that is a fact, not a failure: `nvml_available` is false,
`nvml_error` says why, and there are no GPUs. Every field of every GPU is
present; a value NVML would not give is null with its reason (`NotSupported`,
`FunctionNotFound`, `GpuIsLost`, `Timeout`, ...) in `unavailable`.

Readings a snapshot's user should know:

- Units: NVML's mW and mJ become W and J; memory is MiB; clocks MHz.
- Two-state modes (`persistence_mode`, `ecc_mode_*`, `mig_mode_*`) are booleans.
- `ecc_errors`, `retired_pages`, `remapped_rows` are always objects; a counter
  that could not be read is null with its reason in that object's `unavailable`.
- Temperature thresholds are absolute °C. The `NVML_FI_DEV_TEMPERATURE_*_TLIMIT`
  field values are preferred (`nvmlDeviceGetTemperatureThreshold` is deprecated
  on Ada and later), but drivers report them as a signed offset from the GPU's
  T.Limit (nvidia-smi: "GPU Shutdown T.Limit Temp: -8 C"), not a temperature.
  T.Limit is the current GPU temperature plus `nvmlDeviceGetMarginTemperature`,
  so threshold = current + margin - offset. A field value of 40 or more cannot
  be an offset and is taken as absolute. The memory offset is on the GPU's
  T.Limit scale and says nothing about memory temperature, so the memory
  threshold, and any threshold whose field or margin is missing, comes from
  `nvmlDeviceGetTemperatureThreshold`. The margin itself is kept as
  `temperature_gpu_tlimit_c` (headroom: a low value is the alarm).
- `nvlinks` is `[]` for a GPU without NVLink (every link index answers
  NotSupported or InvalidArgument, NVML's way of saying "no such link"), and
  null with the reason when the link state could not be read otherwise (lost
  GPU, timeout): a partial list would under-count links. A MIG-enabled GPU
  answers every NVLink query NotSupported: null with the reason `MigMode`. `version` is the
  NVLink major version (4 on H100), decoded from `nvmlNvlinkVersion_t`.
- `fabric` is null with the reason where the driver lacks the call
  (`FunctionNotFound`; the `V` form needs R550+) or the GPU has no fabric
  (`NotSupported`). `fabric.health` lists the faults of the `V` form's health
  mask (`route_unhealthy`, ...; [] healthy); null with `NotSupported` where the
  driver reports no health (mask 0), `FunctionNotFound` with only the v1 call.
- `topology` `link` follows `nvidia-smi topo -m`: `NV<n>` with n the active
  links from a whose remote is b; through NVSwitch (no direct links), n is the
  smaller of the two GPUs' active links to a switch, so an HGX H100 shows NV18
  for every pair as nvidia-smi does. Without NVLink the PCIe path from
  `nvmlDeviceGetTopologyCommonAncestor` gives PIX, PXB, PHB, NODE or SYS.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Callable

from readycheck.facts import (
    FUNCTION_NOT_FOUND,
    GPU_IS_LOST,
    MIG_MODE,
    NO_AFFINITY,
    NO_PERMISSION,
    NOT_COLLECTED,
    NOT_FOUND,
    NOT_SUPPORTED,
    TIMEOUT,
    Record,
    Unreadable,
)
from readycheck.facts.decode import NVLINK_VERSIONS, clock_event_reasons, fabric_health, normal_bus_id, threshold_c
from readycheck.facts.fields import NVIDIA_VALUE_FIELDS
from readycheck.probes import ProbeContext
from readycheck.probes.nvml_backend import (
    CALL_TIMEOUT_S,
    INIT_TIMEOUT_S,
    GuardedNvml,
    NvmlUnavailable,
    PynvmlBackend,
    nvml_error_word,
)

MIB = 1024 * 1024
# Links per GPU on every NVLink GPU so far (H100, H200, B200: 18). Newer
# headers define NVML_NVLINK_MAX_LINKS larger; drivers answer InvalidArgument
# for indices the GPU lacks, which the link loop skips.
NVLINK_MAX_LINKS = 18
INVALID_ARGUMENT = "InvalidArgument"
UNKNOWN = "Unknown"

# Versioned NVML functions, newest first (GuardedNvml.call_first).
PCI_INFO_FUNCTIONS = ("nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo")
TEMPERATURE_FUNCTIONS = ("nvmlDeviceGetTemperatureV", "nvmlDeviceGetTemperature")
CLOCK_EVENT_FUNCTIONS = ("nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons")
FABRIC_FUNCTIONS = ("nvmlDeviceGetGpuFabricInfoV", "nvmlDeviceGetGpuFabricInfo")
CUDA_VERSION_FUNCTIONS = ("nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion")

NVML_TEMPERATURE_GPU = 0
NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_FEATURE_ENABLED = 1
NVML_TOTAL_POWER_SAMPLES = 0  # nvmlSamplingType_t

# nvmlDeviceGetFieldValues ids.
FI_MEMORY_TEMP = 82
FI_SHUTDOWN_TLIMIT = 193
FI_SLOWDOWN_TLIMIT = 194
FI_MEM_MAX_TLIMIT = 195
FI_GPU_MAX_TLIMIT = 196
THERMAL_FIELDS = (FI_MEMORY_TEMP, FI_SHUTDOWN_TLIMIT, FI_SLOWDOWN_TLIMIT, FI_MEM_MAX_TLIMIT, FI_GPU_MAX_TLIMIT)
# (snapshot field, TLIMIT field id, nvmlTemperatureThresholds_t, offset is on the GPU's T.Limit scale)
THRESHOLDS = (
    ("temperature_shutdown_c", FI_SHUTDOWN_TLIMIT, 0, True),
    ("temperature_slowdown_c", FI_SLOWDOWN_TLIMIT, 1, True),
    ("temperature_gpu_max_c", FI_GPU_MAX_TLIMIT, 3, True),
    ("temperature_memory_max_c", FI_MEM_MAX_TLIMIT, 2, False),
)

COMPUTE_MODES = {0: "Default", 1: "Exclusive_Thread", 2: "Prohibited", 3: "Exclusive_Process"}
NVML_PSTATE_MAX = 15

# nvmlMemoryErrorType_t x nvmlEccCounterType_t
ECC_COUNTERS = (
    ("volatile_corrected", 0, 0),
    ("volatile_uncorrected", 1, 0),
    ("aggregate_corrected", 0, 1),
    ("aggregate_uncorrected", 1, 1),
)
RETIREMENT_CAUSE_SINGLE_BIT = 0
RETIREMENT_CAUSE_DOUBLE_BIT = 1

NVLINK_DEVICE_TYPES = {0: "gpu", 1: "ibmnpu", 2: "switch"}
NVLINK_ERROR_REPLAY = 0
NVLINK_ERROR_RECOVERY = 1
NVLINK_ERROR_CRC_FLIT = 2

FABRIC_STATES = {0: "not_supported", 1: "not_started", 2: "in_progress", 3: "completed"}
FABRIC_STATE_COMPLETED = 3
FABRIC_STATE_NOT_SUPPORTED = 0

# nvmlGpuTopologyLevel_t -> nvidia-smi topo -m word
TOPOLOGY_WORDS = {0: "PIX", 10: "PIX", 20: "PXB", 30: "PHB", 40: "NODE", 50: "SYS"}

class _Gpu:
    """One GPU's NVML handle. After GpuIsLost, or with no handle, every call fails at once with that reason."""

    def __init__(self, nvml: GuardedNvml, index: int, handle: Any = None, broken: str | None = None):
        self.nvml = nvml
        self.index = index
        self.handle = handle
        self.broken = broken

    def _guard(self, run: Callable[..., Any], *args: Any) -> Any:
        if self.broken is not None:
            raise Unreadable(self.broken, f"gpu{self.index}: {self.broken}")
        try:
            return run(*args)
        except Unreadable as exc:
            if exc.reason == GPU_IS_LOST:
                self.broken = GPU_IS_LOST
            raise

    def call(self, function: str, *args: Any) -> Any:
        return self._guard(self.nvml.call, function, self.handle, *args)

    def call_first(self, functions: Sequence[str], *args: Any) -> Any:
        return self._guard(self.nvml.call_first, functions, self.handle, *args)


def probe(ctx: ProbeContext, *, call_timeout: float = CALL_TIMEOUT_S,
          init_timeout: float = INIT_TIMEOUT_S) -> dict[str, Any]:
    """Read NVML; `call_timeout` bounds each NVML call, `init_timeout` nvmlInit (see GuardedNvml)."""
    backend = ctx.nvml_backend() if ctx.nvml_backend is not None else PynvmlBackend()
    nvml = GuardedNvml(backend, timeout=call_timeout, init_timeout=init_timeout)
    try:
        nvml.init()
    except NvmlUnavailable as exc:
        nvml.close()
        nvidia = Record(nvml_available=False, nvml_error=str(exc))
        for name in NVIDIA_VALUE_FIELDS:
            nvidia.missing(name, exc.reason)
        return {"nvidia": nvidia.as_dict(), "gpus": [], "topology": []}
    try:
        facts, gpus, errors = nvml.watched(_collect_alone, ctx, nvml)
        ctx.errors.extend(errors)
    finally:
        try:
            nvml.shutdown()
        except Unreadable as exc:
            ctx.error(f"nvmlShutdown: {exc}")
    for gpu in gpus:
        if gpu.broken not in (None, TIMEOUT):  # a hang is reported once, below
            ctx.error(f"gpu{gpu.index}: {gpu.broken}; its fields are null")
    if nvml.hung is not None:
        ctx.error(f"{TIMEOUT}: NVML gave no answer to {nvml.hung} within {call_timeout:g}s; "
                  "every NVML value after it is null with reason Timeout")
    return facts


@contextlib.contextmanager
def session(ctx: ProbeContext, call_timeout: float = CALL_TIMEOUT_S) -> Iterator[list[_Gpu]]:
    """NVML opened for repeated reads (the load phase's sampler): the GPUs, shut down afterwards.

    Raises `NvmlUnavailable` when NVML cannot be loaded."""
    backend = ctx.nvml_backend() if ctx.nvml_backend is not None else PynvmlBackend()
    nvml = GuardedNvml(backend, timeout=call_timeout)
    try:
        nvml.init()
    except NvmlUnavailable:
        nvml.close()
        raise
    try:
        yield _open_gpus(ctx, nvml)
    finally:
        try:
            nvml.shutdown()
        except Unreadable as exc:
            ctx.error(f"nvmlShutdown: {exc}")


def sample(gpu: _Gpu) -> dict[str, Any]:
    """What the load phase reads from one GPU every interval (facts v1 `load.samples[]`, less `t`); the PCIe
    link's generation and width too, which the driver may lower while the GPU is idle."""
    s = Record(gpu=gpu.index)
    s.read("power_draw_w", _per_thousand, gpu, "nvmlDeviceGetPowerUsage")
    s.read("temperature_gpu_c", gpu.call_first, TEMPERATURE_FUNCTIONS, NVML_TEMPERATURE_GPU)
    s.read("temperature_memory_c", lambda: _field(gpu.call("nvmlDeviceGetFieldValues", [FI_MEMORY_TEMP]),
                                                   FI_MEMORY_TEMP))
    s.read("clocks_sm_mhz", gpu.call, "nvmlDeviceGetClockInfo", NVML_CLOCK_SM)
    s.read("clocks_event_reasons", lambda: clock_event_reasons(gpu.call_first(CLOCK_EVENT_FUNCTIONS)))
    s.read("pcie_link_gen_current", gpu.call, "nvmlDeviceGetCurrPcieLinkGeneration")
    s.read("pcie_link_width_current", gpu.call, "nvmlDeviceGetCurrPcieLinkWidth")
    return s.as_dict()


def power_samples(gpu: _Gpu, since_us: int) -> list[tuple[int, float]]:
    """The GPU's total-power samples newer than `since_us` from the driver's buffer, as (CPU timestamp in
    µs, watts): nvmlDeviceGetSamples(NVML_TOTAL_POWER_SAMPLES). NVML documents the timestamps (µs) but
    not the unit of the values; milliwatts, as nvmlDeviceGetPowerUsage returns, is inferred. No new
    sample (NVML_ERROR_NOT_FOUND) is an empty list."""
    try:
        found = gpu.call("nvmlDeviceGetSamples", NVML_TOTAL_POWER_SAMPLES, since_us)
    except Unreadable as exc:
        if exc.reason == NOT_FOUND:
            return []
        raise
    return [(stamp, value / 1000) for stamp, value in found if stamp > since_us]


def _collect_alone(ctx: ProbeContext, nvml: GuardedNvml) -> tuple[dict[str, Any], list[_Gpu], list[str]]:
    """`_collect` with a context of its own, whose messages it returns: a watched reading runs a second
    time after a hang (GuardedNvml.watched), and each run must report only once."""
    own = copy.copy(ctx)
    own.errors = []
    facts, gpus = _collect(own, nvml)
    return facts, gpus, own.errors


def counters(gpu: _Gpu) -> dict[str, Any]:
    """The error counters the load phase reads from one GPU at its start and its end (facts `load.counters`,
    less `t`): the PCIe replay counter and each NVLink's CRC, replay and recovery counts. Both count since
    the driver loaded, so the difference is what the load phase added."""
    c = Record(gpu=gpu.index)
    c.read("pcie_replay_counter", gpu.call, "nvmlDeviceGetPcieReplayCounter")
    c.read("nvlinks", _nvlink_errors, gpu)
    return c.as_dict()


def _collect(ctx: ProbeContext, nvml: GuardedNvml) -> tuple[dict[str, Any], list[_Gpu]]:
    nvidia = Record(nvml_available=True, nvml_error=None)
    nvidia.read("driver_version", nvml.call, "nvmlSystemGetDriverVersion")
    nvidia.read("cuda_driver_version", _cuda_version, nvml)
    nvidia.read("nvml_version", nvml.call, "nvmlSystemGetNVMLVersion")
    gpus = _open_gpus(ctx, nvml)
    facts = [_read_gpu(ctx, gpu) for gpu in gpus]
    return {"nvidia": nvidia.as_dict(), "gpus": facts, "topology": _topology(gpus, facts)}, gpus


def _cuda_version(nvml: GuardedNvml) -> str:
    version = nvml.call_first(CUDA_VERSION_FUNCTIONS)
    return f"{version // 1000}.{version % 1000 // 10}"


def _open_gpus(ctx: ProbeContext, nvml: GuardedNvml) -> list[_Gpu]:
    try:
        count = nvml.call("nvmlDeviceGetCount")
    except Unreadable as exc:
        ctx.error(f"nvmlDeviceGetCount: {exc.reason}: {exc}")
        return []
    gpus = []
    for index in range(count):
        try:
            gpus.append(_Gpu(nvml, index, nvml.call("nvmlDeviceGetHandleByIndex", index)))
        except Unreadable as exc:
            gpus.append(_Gpu(nvml, index, broken=exc.reason))
    return gpus


def _read_gpu(ctx: ProbeContext, gpu: _Gpu) -> dict[str, Any]:
    g = Record(index=gpu.index)
    _identity(ctx, g, gpu)
    _modes(g, gpu)
    _thermal(g, gpu)
    _power(g, gpu)
    _clocks(g, gpu)
    _pcie(g, gpu)
    _memory_health(g, gpu)
    if g.read("nvlinks", _nvlinks, gpu) == [] and g.values.get("mig_mode_current"):
        g.missing("nvlinks", MIG_MODE)  # NVML answers no NVLink query on a MIG-enabled GPU ("Nvlink queries are
        #                                 not supported for Devices in MIG mode"): not the same as no NVLink
    g.read("fabric", _fabric, gpu)
    return g.as_dict()


def _identity(ctx: ProbeContext, g: Record, gpu: _Gpu) -> None:
    for name, function in (("name", "nvmlDeviceGetName"), ("uuid", "nvmlDeviceGetUUID"),
                           ("serial", "nvmlDeviceGetSerial"),
                           ("board_part_number", "nvmlDeviceGetBoardPartNumber")):
        g.read(name, gpu.call, function)
    g.read_together(functools.partial(gpu.call_first, PCI_INFO_FUNCTIONS), {
        "pci_bus_id": lambda info: normal_bus_id(info.busId),
        "pci_device_id": lambda info: f"0x{info.pciDeviceId:08X}",
    })
    g.read("vbios_version", gpu.call, "nvmlDeviceGetVbiosVersion")
    g.read("inforom_version", gpu.call, "nvmlDeviceGetInforomImageVersion")
    g.read("memory_total_mib", lambda: gpu.call("nvmlDeviceGetMemoryInfo").total // MIB)
    g.read("numa_node", _numa_node, ctx, gpu, g.values["pci_bus_id"])


def _numa_node(ctx: ProbeContext, gpu: _Gpu, pci_bus_id: str | None) -> int:
    """nvmlDeviceGetNumaNodeId where the driver has it, else the kernel's view in sysfs; -1 means no affinity."""
    try:
        node = gpu.call("nvmlDeviceGetNumaNodeId")
    except Unreadable as exc:
        if pci_bus_id is None or exc.reason == GPU_IS_LOST:
            raise
        node = _sysfs_numa_node(ctx, pci_bus_id)
    if node < 0:
        raise Unreadable(NO_AFFINITY, f"gpu{gpu.index}: no NUMA affinity reported")
    return node


def _sysfs_numa_node(ctx: ProbeContext, pci_bus_id: str) -> int:
    domain, rest = pci_bus_id.split(":", 1)
    path = ctx.path(f"/sys/bus/pci/devices/{int(domain, 16):04x}:{rest.lower()}/numa_node")
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise Unreadable(NOT_FOUND, f"{path} does not exist") from None
    except PermissionError:
        raise Unreadable(NO_PERMISSION, f"{path}: permission denied") from None
    except OSError as exc:
        raise Unreadable("ReadError", f"{path}: {exc.strerror or exc}") from None
    try:
        return int(text.strip())
    except ValueError:
        raise Unreadable("Unparseable", f"{path}: {text.strip()!r} is not a number") from None


def _modes(g: Record, gpu: _Gpu) -> None:
    g.read("persistence_mode", lambda: gpu.call("nvmlDeviceGetPersistenceMode") == NVML_FEATURE_ENABLED)
    g.read_together(functools.partial(gpu.call, "nvmlDeviceGetEccMode"), {
        "ecc_mode_current": lambda modes: modes[0] == NVML_FEATURE_ENABLED,
        "ecc_mode_pending": lambda modes: modes[1] == NVML_FEATURE_ENABLED,
    })
    g.read_together(functools.partial(gpu.call, "nvmlDeviceGetMigMode"), {
        "mig_mode_current": lambda modes: modes[0] == NVML_FEATURE_ENABLED,
        "mig_mode_pending": lambda modes: modes[1] == NVML_FEATURE_ENABLED,
    })
    g.read("compute_mode", _decode, COMPUTE_MODES, gpu.call, "nvmlDeviceGetComputeMode")


def _decode(words: dict[int, str], call: Callable[..., Any], *args: Any) -> str:
    code = call(*args)
    if code not in words:
        raise Unreadable(UNKNOWN, f"{args[0]} returned {code}")
    return words[code]


def _field(values: dict[int, Any], field_id: int) -> Any:
    value = values[field_id]
    if isinstance(value, Unreadable):
        raise value
    return value


def _thermal(g: Record, gpu: _Gpu) -> None:
    current = g.read("temperature_gpu_c", gpu.call_first, TEMPERATURE_FUNCTIONS, NVML_TEMPERATURE_GPU)
    try:
        fields = gpu.call("nvmlDeviceGetFieldValues", list(THERMAL_FIELDS))
    except Unreadable as exc:
        fields = {field_id: exc for field_id in THERMAL_FIELDS}
    g.read("temperature_memory_c", _field, fields, FI_MEMORY_TEMP)
    margin = g.read("temperature_gpu_tlimit_c", gpu.call, "nvmlDeviceGetMarginTemperature")
    tlimit = None if current is None or margin is None else current + margin
    for name, field_id, threshold_type, gpu_scale in THRESHOLDS:
        g.read(name, _threshold, gpu, fields[field_id], tlimit if gpu_scale else None, threshold_type)
    g.read("fan_speed_pct", gpu.call, "nvmlDeviceGetFanSpeed")


def _threshold(gpu: _Gpu, field: Any, tlimit: int | None, threshold_type: int) -> int:
    """An absolute threshold from a TLIMIT field value (see the module docstring), else the legacy call."""
    if not isinstance(field, Unreadable):
        value = threshold_c(field, tlimit)
        if value is not None:
            return value
    return gpu.call("nvmlDeviceGetTemperatureThreshold", threshold_type)


def _per_thousand(gpu: _Gpu, function: str) -> float:
    """mW -> W, mJ -> J."""
    return round(gpu.call(function) / 1000, 3)


def _power(g: Record, gpu: _Gpu) -> None:
    g.read("power_draw_w", _per_thousand, gpu, "nvmlDeviceGetPowerUsage")
    g.read("power_limit_w", _per_thousand, gpu, "nvmlDeviceGetEnforcedPowerLimit")
    g.read("power_limit_default_w", _per_thousand, gpu, "nvmlDeviceGetPowerManagementDefaultLimit")
    g.read_together(functools.partial(gpu.call, "nvmlDeviceGetPowerManagementLimitConstraints"), {
        "power_limit_min_w": lambda limits: round(limits[0] / 1000, 3),
        "power_limit_max_w": lambda limits: round(limits[1] / 1000, 3),
    })
    g.read("energy_consumption_j", _per_thousand, gpu, "nvmlDeviceGetTotalEnergyConsumption")


def _clocks(g: Record, gpu: _Gpu) -> None:
    g.read("clocks_sm_mhz", gpu.call, "nvmlDeviceGetClockInfo", NVML_CLOCK_SM)
    g.read("clocks_mem_mhz", gpu.call, "nvmlDeviceGetClockInfo", NVML_CLOCK_MEM)
    g.read("clocks_max_sm_mhz", gpu.call, "nvmlDeviceGetMaxClockInfo", NVML_CLOCK_SM)
    g.read("clocks_max_mem_mhz", gpu.call, "nvmlDeviceGetMaxClockInfo", NVML_CLOCK_MEM)
    g.read("pstate", _pstate, gpu)
    g.read("clocks_event_reasons", lambda: clock_event_reasons(gpu.call_first(CLOCK_EVENT_FUNCTIONS)))


def _pstate(gpu: _Gpu) -> str:
    pstate = gpu.call("nvmlDeviceGetPerformanceState")
    if not 0 <= pstate <= NVML_PSTATE_MAX:
        raise Unreadable(UNKNOWN, f"gpu{gpu.index}: performance state {pstate}")
    return f"P{pstate}"


def _pcie(g: Record, gpu: _Gpu) -> None:
    for name, function in (
        ("pcie_link_gen_current", "nvmlDeviceGetCurrPcieLinkGeneration"),
        ("pcie_link_gen_max", "nvmlDeviceGetMaxPcieLinkGeneration"),
        ("pcie_link_gen_gpu_max", "nvmlDeviceGetGpuMaxPcieLinkGeneration"),
        ("pcie_link_width_current", "nvmlDeviceGetCurrPcieLinkWidth"),
        ("pcie_link_width_max", "nvmlDeviceGetMaxPcieLinkWidth"),
        ("pcie_replay_counter", "nvmlDeviceGetPcieReplayCounter"),
    ):
        g.read(name, gpu.call, function)


def _memory_health(g: Record, gpu: _Gpu) -> None:
    ecc = Record()
    for name, error_type, counter_type in ECC_COUNTERS:
        ecc.read(name, gpu.call, "nvmlDeviceGetTotalEccErrors", error_type, counter_type)
    g.set_group("ecc_errors", ecc)

    retired = Record()
    retired.read("single_bit", lambda: len(gpu.call("nvmlDeviceGetRetiredPages", RETIREMENT_CAUSE_SINGLE_BIT)))
    retired.read("double_bit", lambda: len(gpu.call("nvmlDeviceGetRetiredPages", RETIREMENT_CAUSE_DOUBLE_BIT)))
    retired.read("pending", lambda: gpu.call("nvmlDeviceGetRetiredPagesPendingStatus") == NVML_FEATURE_ENABLED)
    g.set_group("retired_pages", retired)

    remapped = Record()
    remapped.read_together(functools.partial(gpu.call, "nvmlDeviceGetRemappedRows"), {
        "correctable": lambda rows: rows[0],
        "uncorrectable": lambda rows: rows[1],
        "pending": lambda rows: bool(rows[2]),
        "failure": lambda rows: bool(rows[3]),
    })
    g.set_group("remapped_rows", remapped)


def _link_states(gpu: _Gpu) -> Iterator[tuple[int, int]]:
    """(link, state) for each NVLink the GPU has; NotSupported or InvalidArgument for a link index is
    NVML's way of saying there is no such link."""
    for link in range(NVLINK_MAX_LINKS):
        try:
            yield link, gpu.call("nvmlDeviceGetNvLinkState", link)
        except Unreadable as exc:
            if exc.reason not in (NOT_SUPPORTED, INVALID_ARGUMENT):
                raise


def _read_link_errors(rec: Record, gpu: _Gpu, link: int) -> None:
    for name, counter in (("crc_errors", NVLINK_ERROR_CRC_FLIT), ("replay_errors", NVLINK_ERROR_REPLAY),
                          ("recovery_errors", NVLINK_ERROR_RECOVERY)):
        rec.read(name, gpu.call, "nvmlDeviceGetNvLinkErrorCounter", link, counter)


def _nvlinks(gpu: _Gpu) -> list[dict[str, Any]]:
    links = []
    for link, state in _link_states(gpu):
        rec = Record(link=link, active=state == NVML_FEATURE_ENABLED)
        rec.read("version", _decode, NVLINK_VERSIONS, gpu.call, "nvmlDeviceGetNvLinkVersion", link)
        rec.read("remote_pci_bus_id",
                 lambda link=link: normal_bus_id(gpu.call("nvmlDeviceGetNvLinkRemotePciInfo", link).busId))
        rec.read("remote_device_type", _decode, NVLINK_DEVICE_TYPES, gpu.call,
                 "nvmlDeviceGetNvLinkRemoteDeviceType", link)
        _read_link_errors(rec, gpu, link)
        links.append(rec.as_dict())
    return links


def _nvlink_errors(gpu: _Gpu) -> list[dict[str, Any]]:
    links = []
    for link, _ in _link_states(gpu):
        rec = Record(link=link)
        _read_link_errors(rec, gpu, link)
        links.append(rec.as_dict())
    return links


def _fabric(gpu: _Gpu) -> dict[str, Any]:
    info = gpu.call_first(FABRIC_FUNCTIONS)
    fabric = Record(state=FABRIC_STATES.get(info.state, f"unknown_{info.state}"))
    if info.state == FABRIC_STATE_NOT_SUPPORTED:
        for name in ("status", "clique_id", "health"):
            fabric.missing(name, NOT_SUPPORTED)
        return fabric.as_dict()
    if info.state == FABRIC_STATE_COMPLETED:
        fabric.set("status", "success" if info.status == 0 else nvml_error_word(info.status))
        fabric.set("clique_id", info.cliqueId)
    else:  # nvml.h: the status "must be checked only if" the state is completed; the clique comes with it
        fabric.missing("status", "NotReady")
        fabric.missing("clique_id", "NotReady")
    fabric.read("health", _fabric_health, info)
    return fabric.as_dict()


def _fabric_health(info: Any) -> list[str]:
    mask = getattr(info, "healthMask", None)
    if mask is None:
        raise Unreadable(FUNCTION_NOT_FOUND, "nvmlDeviceGetGpuFabricInfo (v1) carries no health mask")
    if mask == 0:
        raise Unreadable(NOT_SUPPORTED, "the driver reports no fabric health (mask 0)")
    return fabric_health(mask)


def _topology(gpus: list[_Gpu], facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    gpu_bus_ids = {f["pci_bus_id"] for f in facts if f["pci_bus_id"] is not None}
    pairs = []
    for a, b in itertools.combinations(range(len(gpus)), 2):
        pair = Record(gpu_a=a, gpu_b=b)
        links = nvlink_count(facts[a], facts[b], gpu_bus_ids)
        unread = next((f for f in (facts[a], facts[b]) if f["nvlinks"] is None), None)
        if links:
            pair.set("link", f"NV{links}")
        elif unread is not None:  # links not read (MIG mode, a lost GPU): the PCIe path would under-state the pair
            pair.missing("link", unread["unavailable"].get("nvlinks", NOT_COLLECTED))
        else:
            pair.read("link", _pcie_path, gpus[a], gpus[b])
        pairs.append(pair.as_dict())
    return pairs


def nvlink_count(a: dict[str, Any], b: dict[str, Any], gpu_bus_ids: set[str]) -> int:
    """Bonded NVLinks between two GPUs as nvidia-smi counts them: direct links, else via NVSwitch."""
    links_a, links_b = a["nvlinks"] or [], b["nvlinks"] or []
    if b["pci_bus_id"] is not None:
        direct = sum(1 for link in links_a if link["active"] and link["remote_pci_bus_id"] == b["pci_bus_id"])
        if direct:
            return direct
    to_switch_a = _switch_links(links_a, gpu_bus_ids)
    to_switch_b = _switch_links(links_b, gpu_bus_ids)
    return min(to_switch_a, to_switch_b) if to_switch_a and to_switch_b else 0


def _switch_links(links: list[dict[str, Any]], gpu_bus_ids: set[str]) -> int:
    """Active links to an NVSwitch. Without the remote type (old driver) a remote that is none of
    this node's GPUs counts as a switch: IBM NPUs, the only other kind, exist only on POWER9."""
    def to_switch(link: dict[str, Any]) -> bool:
        kind = link["remote_device_type"]
        if kind is not None:
            return kind == "switch"
        return link["remote_pci_bus_id"] is not None and link["remote_pci_bus_id"] not in gpu_bus_ids
    return sum(1 for link in links if link["active"] and to_switch(link))


def _pcie_path(a: _Gpu, b: _Gpu) -> str:
    if b.broken is not None:
        raise Unreadable(b.broken, f"gpu{b.index}: {b.broken}")
    level = a.call("nvmlDeviceGetTopologyCommonAncestor", b.handle)
    if level not in TOPOLOGY_WORDS:
        raise Unreadable(UNKNOWN, f"topology level {level}")
    return TOPOLOGY_WORDS[level]
