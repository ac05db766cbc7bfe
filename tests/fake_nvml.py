"""A fake NVML backend (same interface as `PynvmlBackend`) and the machines tests read through it.

Each GPU is a dict NVML function name -> answer. An answer is a value, an
`Unreadable` (raised afresh on every call), or a callable given the call's
arguments after the handle. A function a GPU has no answer for is NotSupported,
as on a real device; a function the fake has never heard of, or any call that
would change the GPU, fails the test, so a typo or a write in the probe cannot
pass silently.

Scenario builders return a fresh `FakeNvml`; change one value with
`fake.set(function, answer, gpu=None)` (all GPUs, or the system for
`nvmlSystem*`), `fake.set_field(field_id, value)`, or simulate a hung driver
with `fake.hang(function, gpu)` and `fake.release()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any, Callable, NamedTuple

from readycheck.facts import FUNCTION_NOT_FOUND, GPU_IS_LOST, NOT_SUPPORTED, Unreadable
from readycheck.probes.nvml_backend import NvmlUnavailable

MIB = 1024 * 1024
INVALID_ARGUMENT = "InvalidArgument"

# Every NVML function the probe may call. Anything else is a bug in the probe.
KNOWN_FUNCTIONS = frozenset({
    "nvmlSystemGetDriverVersion", "nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion",
    "nvmlSystemGetNVMLVersion",
    "nvmlDeviceGetCount", "nvmlDeviceGetHandleByIndex",
    "nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetSerial", "nvmlDeviceGetBoardPartNumber",
    "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo", "nvmlDeviceGetVbiosVersion",
    "nvmlDeviceGetInforomImageVersion", "nvmlDeviceGetMemoryInfo", "nvmlDeviceGetNumaNodeId",
    "nvmlDeviceGetPersistenceMode", "nvmlDeviceGetEccMode", "nvmlDeviceGetMigMode", "nvmlDeviceGetComputeMode",
    "nvmlDeviceGetTemperatureV", "nvmlDeviceGetTemperature", "nvmlDeviceGetFieldValues",
    "nvmlDeviceGetMarginTemperature", "nvmlDeviceGetTemperatureThreshold", "nvmlDeviceGetFanSpeed",
    "nvmlDeviceGetPowerUsage", "nvmlDeviceGetEnforcedPowerLimit", "nvmlDeviceGetPowerManagementDefaultLimit",
    "nvmlDeviceGetPowerManagementLimitConstraints", "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetClockInfo", "nvmlDeviceGetMaxClockInfo", "nvmlDeviceGetPerformanceState",
    "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons",
    "nvmlDeviceGetCurrPcieLinkGeneration", "nvmlDeviceGetMaxPcieLinkGeneration",
    "nvmlDeviceGetGpuMaxPcieLinkGeneration", "nvmlDeviceGetCurrPcieLinkWidth", "nvmlDeviceGetMaxPcieLinkWidth",
    "nvmlDeviceGetPcieReplayCounter",
    "nvmlDeviceGetTotalEccErrors", "nvmlDeviceGetRetiredPages", "nvmlDeviceGetRetiredPagesPendingStatus",
    "nvmlDeviceGetRemappedRows",
    "nvmlDeviceGetNvLinkState", "nvmlDeviceGetNvLinkVersion", "nvmlDeviceGetNvLinkRemotePciInfo",
    "nvmlDeviceGetNvLinkRemoteDeviceType", "nvmlDeviceGetNvLinkErrorCounter",
    "nvmlDeviceGetGpuFabricInfoV", "nvmlDeviceGetGpuFabricInfo",
    "nvmlDeviceGetTopologyCommonAncestor",
    "nvmlDeviceGetSamples",
})
IDENTITY_FUNCTIONS = frozenset({
    "nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo",
})

# nvmlGpuTopologyLevel_t
TOPOLOGY_SINGLE, TOPOLOGY_HOSTBRIDGE, TOPOLOGY_NODE, TOPOLOGY_SYSTEM = 10, 30, 40, 50
NVLINK_VERSION_3_1, NVLINK_VERSION_4_0 = 5, 6
NVLINK_DEVICE_SWITCH = 2
FABRIC_COMPLETED = 3
# nvmlGpuFabricInfo_v2 healthMask with every condition reported clear (nvml.h NVML_GPU_FABRIC_HEALTH_MASK_*):
# bandwidth, route recovery, route, access timeout each "false" (2), incorrect configuration "none" (1).
FABRIC_HEALTHY = 0x1AA
FI_MEMORY_TEMP, FI_SHUTDOWN_TLIMIT, FI_SLOWDOWN_TLIMIT, FI_MEM_MAX_TLIMIT, FI_GPU_MAX_TLIMIT = 82, 193, 194, 195, 196
THRESHOLD_SHUTDOWN, THRESHOLD_SLOWDOWN, THRESHOLD_MEM_MAX, THRESHOLD_GPU_MAX = 0, 1, 2, 3


class FakeHandle(NamedTuple):
    index: int


def per_arg(answers: Mapping[Any, Any], missing: str = NOT_SUPPORTED) -> Callable[..., Any]:
    """An answer that depends on the arguments: keyed by the single argument, or by the tuple of them."""
    def answer(*args: Any) -> Any:
        key = args[0] if len(args) == 1 else args
        if key not in answers:
            raise Unreadable(missing, f"no answer for {key!r}")
        value = answers[key]
        if isinstance(value, Unreadable):
            raise Unreadable(value.reason, str(value))
        return value
    return answer


def field_values(values: Mapping[int, Any]) -> Callable[[list], dict]:
    """nvmlDeviceGetFieldValues as the adapter returns it: requested id -> value or Unreadable."""
    return lambda ids: {i: values.get(i, Unreadable(NOT_SUPPORTED, f"field {i}")) for i in ids}


class FakeNvml:
    """Implements the `NvmlBackend` interface over per-GPU answer tables."""

    def __init__(self, gpus: list[dict[str, Any]], system: dict[str, Any],
                 topology: Callable[[int, int], int], *, missing: Iterable[str] = (),
                 init_error: NvmlUnavailable | None = None):
        self.gpus = gpus
        self.system = system
        self.topology = topology
        self.missing = set(missing)
        self.lost: set[int] = set()
        self.init_error = init_error
        self.calls: list[tuple[str, tuple]] = []
        self.initialised = False
        self.shut_down = False
        self._released = threading.Event()

    # -- the NvmlBackend interface --

    def init(self) -> None:
        if self.init_error is not None:
            raise self.init_error
        self.initialised = True

    def shutdown(self) -> None:
        self.shut_down = True

    def call(self, function: str, *args: Any) -> Any:
        self.calls.append((function, args))
        if not function.startswith(("nvmlDeviceGet", "nvmlSystemGet")):
            raise AssertionError(f"probe called {function}: readycheck must never change the GPU")
        if function not in KNOWN_FUNCTIONS:
            raise AssertionError(f"fake NVML does not know {function}; add it to KNOWN_FUNCTIONS")
        if function in self.missing:
            raise Unreadable(FUNCTION_NOT_FOUND, f"{function}: not in this driver")
        if function.startswith("nvmlSystemGet"):
            return _answer(self.system, function, args)
        if function == "nvmlDeviceGetCount":
            return len(self.gpus)
        if function == "nvmlDeviceGetHandleByIndex":
            if not 0 <= args[0] < len(self.gpus):
                raise Unreadable(INVALID_ARGUMENT, f"no GPU {args[0]}")
            return FakeHandle(args[0])
        handle, *rest = args
        for h in (handle, *rest):
            if isinstance(h, FakeHandle) and h.index in self.lost:
                raise Unreadable(GPU_IS_LOST, f"gpu{h.index}: GPU is lost")
        if function == "nvmlDeviceGetTopologyCommonAncestor":
            return self.topology(handle.index, rest[0].index)
        return _answer(self.gpus[handle.index], function, tuple(rest))

    # -- changing the machine --

    def set(self, function: str, answer: Any, gpu: int | None = None) -> FakeNvml:
        if function.startswith("nvmlSystemGet"):
            self.system[function] = answer
        else:
            for table in self.gpus if gpu is None else [self.gpus[gpu]]:
                table[function] = answer
        return self

    def set_field(self, field_id: int, value: Any, gpu: int | None = None) -> FakeNvml:
        for table in self.gpus if gpu is None else [self.gpus[gpu]]:
            table["_fields"][field_id] = value
        return self

    def hang(self, function: str, gpu: int | None = None) -> FakeNvml:
        """Make `function` block like a wedged driver until `release()` (or a minute)."""
        def blocked(*args: Any) -> Any:
            self._released.wait(60)
            raise Unreadable(NOT_SUPPORTED, f"{function}: released")
        return self.set(function, blocked, gpu)

    def release(self) -> None:
        self._released.set()

    def called(self, function: str) -> int:
        return sum(1 for name, _ in self.calls if name == function)


def _answer(table: dict[str, Any], function: str, args: tuple) -> Any:
    if function not in table:
        raise Unreadable(NOT_SUPPORTED, f"{function}: not supported on this device")
    value = table[function]
    if isinstance(value, Unreadable):
        raise Unreadable(value.reason, str(value))
    if callable(value):
        return value(*args)
    return value


def _gpu(**answers: Any) -> dict[str, Any]:
    """A GPU table with its field values kept editable (`set_field`)."""
    fields = dict(answers.pop("fields", {}))
    table = {"_fields": fields, "nvmlDeviceGetFieldValues": field_values(fields), **answers}
    return table


def _nvlinks(count: int, version: int, remotes: list[str], device_type: int) -> dict[str, Any]:
    """Answers for `count` active links; indices past `count` are InvalidArgument, as NVML answers."""
    links = range(count)
    return {
        "nvmlDeviceGetNvLinkState": per_arg({link: 1 for link in links}, INVALID_ARGUMENT),
        "nvmlDeviceGetNvLinkVersion": per_arg({link: version for link in links}, INVALID_ARGUMENT),
        "nvmlDeviceGetNvLinkRemotePciInfo": per_arg(
            {link: SimpleNamespace(busId=remotes[link % len(remotes)]) for link in links}, INVALID_ARGUMENT),
        "nvmlDeviceGetNvLinkRemoteDeviceType": per_arg({link: device_type for link in links}, INVALID_ARGUMENT),
        "nvmlDeviceGetNvLinkErrorCounter": lambda link, counter: 0,
    }


def _apply(fake: FakeNvml, overrides: Mapping[str, Any] | None) -> FakeNvml:
    for function, answer in (overrides or {}).items():
        fake.set(function, answer)
    return fake


# -- scenarios --

# From nvidia-smi -q of an 8x H100 80GB HBM3 node (tests' sample, driver 535.161.08):
# (bus, serial, uuid, power draw mW, GPU °C, memory °C, PCIe replays)
H100_NODE = (
    ("00000000:19:00.0", "1650124031592", "GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa", 67740, 29, 39, 67),
    ("00000000:3B:00.0", "1650124008135", "GPU-47daa2ad-a218-6286-252b-af45f0dfaf00", 69520, 29, 38, 63),
    ("00000000:4C:00.0", "1650124047722", "GPU-167d8376-ee13-fca4-938a-a05167c43cdc", 70550, 30, 38, 52),
    ("00000000:5D:00.0", "1650124032506", "GPU-afe9f2ed-9dd0-572c-3cd8-b42b58b3bc99", 71370, 30, 38, 43),
    ("00000000:9B:00.0", "1650124030635", "GPU-2b6f61f9-8b00-3b57-d912-b62792120662", 70330, 31, 38, 49),
    ("00000000:BB:00.0", "1650124048576", "GPU-980ea11b-91dc-db7b-72ac-0685abc43658", 70210, 32, 39, 53),
    ("00000000:CB:00.0", "1650124047010", "GPU-4ef109e9-e925-4834-2b85-0771b4ef696c", 71050, 32, 40, 82),
    ("00000000:DB:00.0", "1650124007084", "GPU-b0fe4996-1f7c-91f6-0ccd-08ae3b7e23c5", 72270, 31, 38, 67),
)
NVSWITCH_BUS_IDS = ["00000000:05:00.0", "00000000:06:00.0", "00000000:07:00.0", "00000000:08:00.0"]
# T.Limit on these boards is the GPU max operating temperature, 87 °C; thresholds as
# the site reference lists them for H100 SXM: shutdown 92, slowdown 89, memory max 95.
H100_TLIMIT_C = 87


def _h100(index: int, bus: str, serial: str, uuid: str, power_mw: int, temp: int, mem_temp: int,
          replays: int) -> dict[str, Any]:
    return _gpu(
        nvmlDeviceGetName="NVIDIA H100 80GB HBM3",
        nvmlDeviceGetUUID=uuid,
        nvmlDeviceGetSerial=serial,
        nvmlDeviceGetBoardPartNumber="692-2G520-0200-000",
        nvmlDeviceGetPciInfo_v3=SimpleNamespace(busId=bus, pciDeviceId=0x233010DE),
        nvmlDeviceGetVbiosVersion="96.00.74.00.0D",
        nvmlDeviceGetInforomImageVersion="G520.0200.00.05",
        nvmlDeviceGetMemoryInfo=SimpleNamespace(total=81559 * MIB, free=81007 * MIB, used=0),
        nvmlDeviceGetNumaNodeId=0 if index < 4 else 1,
        nvmlDeviceGetPersistenceMode=1,
        nvmlDeviceGetEccMode=[1, 1],
        nvmlDeviceGetMigMode=[0, 0],
        nvmlDeviceGetComputeMode=0,
        nvmlDeviceGetTemperatureV=per_arg({0: temp}),
        nvmlDeviceGetTemperature=per_arg({0: temp}),
        fields={FI_MEMORY_TEMP: mem_temp, FI_SHUTDOWN_TLIMIT: -5, FI_SLOWDOWN_TLIMIT: -2,
                FI_MEM_MAX_TLIMIT: 0, FI_GPU_MAX_TLIMIT: 0},
        nvmlDeviceGetMarginTemperature=H100_TLIMIT_C - temp,
        nvmlDeviceGetTemperatureThreshold=per_arg({THRESHOLD_SHUTDOWN: 92, THRESHOLD_SLOWDOWN: 89,
                                                   THRESHOLD_MEM_MAX: 95, THRESHOLD_GPU_MAX: 87}),
        nvmlDeviceGetPowerUsage=power_mw,
        nvmlDeviceGetEnforcedPowerLimit=700000,
        nvmlDeviceGetPowerManagementDefaultLimit=700000,
        nvmlDeviceGetPowerManagementLimitConstraints=[200000, 700000],
        nvmlDeviceGetTotalEnergyConsumption=5_123_456_789 + index,
        nvmlDeviceGetClockInfo=per_arg({1: 86, 2: 2619}),  # idle, as in the capture
        nvmlDeviceGetMaxClockInfo=per_arg({1: 1980, 2: 2619}),
        nvmlDeviceGetPerformanceState=0,
        nvmlDeviceGetCurrentClocksEventReasons=0x1,
        nvmlDeviceGetCurrentClocksThrottleReasons=0x1,
        nvmlDeviceGetCurrPcieLinkGeneration=5,
        nvmlDeviceGetMaxPcieLinkGeneration=5,
        nvmlDeviceGetGpuMaxPcieLinkGeneration=5,
        nvmlDeviceGetCurrPcieLinkWidth=16,
        nvmlDeviceGetMaxPcieLinkWidth=16,
        nvmlDeviceGetPcieReplayCounter=replays,
        nvmlDeviceGetTotalEccErrors=lambda error_type, counter_type: 0,
        # H100 retires no pages, it remaps rows: nvidia-smi shows the retired pages as N/A.
        nvmlDeviceGetRemappedRows=(0, 0, 0, 0),
        **_nvlinks(18, NVLINK_VERSION_4_0, NVSWITCH_BUS_IDS, NVLINK_DEVICE_SWITCH),
        nvmlDeviceGetGpuFabricInfoV=SimpleNamespace(state=FABRIC_COMPLETED, status=0, cliqueId=0,
                                                    healthMask=FABRIC_HEALTHY),
        nvmlDeviceGetGpuFabricInfo=SimpleNamespace(state=FABRIC_COMPLETED, status=0, cliqueId=0),
    )


def _two_socket(per_socket: int, same_switch: int = TOPOLOGY_NODE) -> Callable[[int, int], int]:
    """PCIe paths of a two-socket board: within a socket `same_switch`, across sockets SYS."""
    return lambda a, b: same_switch if a // per_socket == b // per_socket else TOPOLOGY_SYSTEM


def hgx_h100_8gpu(overrides: Mapping[str, Any] | None = None) -> FakeNvml:
    """8x H100 SXM on an HGX board: 18 NVLink 4 links each to four NVSwitches, fabric up."""
    fake = FakeNvml(
        [_h100(i, *row) for i, row in enumerate(H100_NODE)],
        {"nvmlSystemGetDriverVersion": "550.54.15", "nvmlSystemGetCudaDriverVersion_v2": 12040,
         "nvmlSystemGetCudaDriverVersion": 12040, "nvmlSystemGetNVMLVersion": "12.550.54.15"},
        _two_socket(4),
    )
    return _apply(fake, overrides)


def _rtx4090(index: int, bus: str) -> dict[str, Any]:
    temp = 35
    return _gpu(
        nvmlDeviceGetName="NVIDIA GeForce RTX 4090",
        nvmlDeviceGetUUID=f"GPU-4090{index:04d}-0000-0000-0000-000000000000",
        nvmlDeviceGetPciInfo_v3=SimpleNamespace(busId=bus, pciDeviceId=0x268410DE),
        nvmlDeviceGetVbiosVersion="95.02.3C.00.8E",
        nvmlDeviceGetInforomImageVersion="G002.0000.00.03",
        nvmlDeviceGetMemoryInfo=SimpleNamespace(total=24564 * MIB, free=24080 * MIB, used=0),
        nvmlDeviceGetNumaNodeId=0 if index < 2 else 1,
        nvmlDeviceGetPersistenceMode=0,
        # ECC is there but off, and row remapping answers (no ECC counters, no retired pages: N/A), as
        # tests/data/captures/nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt shows.
        nvmlDeviceGetEccMode=[0, 0],
        nvmlDeviceGetRemappedRows=(0, 0, 0, 0),
        nvmlDeviceGetComputeMode=0,
        nvmlDeviceGetTemperatureV=per_arg({0: temp}),
        nvmlDeviceGetTemperature=per_arg({0: temp}),
        fields={FI_SHUTDOWN_TLIMIT: -6, FI_SLOWDOWN_TLIMIT: -3, FI_GPU_MAX_TLIMIT: 0},
        nvmlDeviceGetMarginTemperature=90 - temp,
        nvmlDeviceGetTemperatureThreshold=per_arg({THRESHOLD_SHUTDOWN: 96, THRESHOLD_SLOWDOWN: 93,
                                                   THRESHOLD_GPU_MAX: 90}),
        nvmlDeviceGetFanSpeed=30,
        nvmlDeviceGetPowerUsage=21345,
        nvmlDeviceGetEnforcedPowerLimit=450000,
        nvmlDeviceGetPowerManagementDefaultLimit=450000,
        nvmlDeviceGetPowerManagementLimitConstraints=[150000, 600000],
        nvmlDeviceGetTotalEnergyConsumption=987_654,
        nvmlDeviceGetClockInfo=per_arg({1: 210, 2: 405}),
        nvmlDeviceGetMaxClockInfo=per_arg({1: 3120, 2: 10501}),
        nvmlDeviceGetPerformanceState=8,
        nvmlDeviceGetCurrentClocksEventReasons=0x1,
        nvmlDeviceGetCurrentClocksThrottleReasons=0x1,
        nvmlDeviceGetCurrPcieLinkGeneration=1,
        nvmlDeviceGetMaxPcieLinkGeneration=4,
        nvmlDeviceGetGpuMaxPcieLinkGeneration=4,
        nvmlDeviceGetCurrPcieLinkWidth=16,
        nvmlDeviceGetMaxPcieLinkWidth=16,
        nvmlDeviceGetPcieReplayCounter=0,
    )


def rtx4090_workstation_4gpu(overrides: Mapping[str, Any] | None = None) -> FakeNvml:
    """4x GeForce RTX 4090 on two sockets: no NVLink, ECC off, no fabric; GPUs 0,1 share a host bridge
    on socket 0, GPUs 2,3 a PCIe switch on socket 1."""
    def topology(a: int, b: int) -> int:
        if {a, b} == {0, 1}:
            return TOPOLOGY_HOSTBRIDGE
        if {a, b} == {2, 3}:
            return TOPOLOGY_SINGLE
        return TOPOLOGY_SYSTEM

    buses = ["00000000:01:00.0", "00000000:21:00.0", "00000000:81:00.0", "00000000:A1:00.0"]
    fake = FakeNvml(
        [_rtx4090(i, bus) for i, bus in enumerate(buses)],
        {"nvmlSystemGetDriverVersion": "550.54.15", "nvmlSystemGetCudaDriverVersion_v2": 12040,
         "nvmlSystemGetCudaDriverVersion": 12040, "nvmlSystemGetNVMLVersion": "12.550.54.15"},
        topology,
    )
    return _apply(fake, overrides)


# Functions missing from R450-era drivers (and the bindings of that time).
OLD_DRIVER_MISSING = (
    "nvmlSystemGetCudaDriverVersion_v2", "nvmlDeviceGetGpuFabricInfoV", "nvmlDeviceGetGpuFabricInfo",
    "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetGpuMaxPcieLinkGeneration",
    "nvmlDeviceGetRemappedRows", "nvmlDeviceGetNumaNodeId", "nvmlDeviceGetMarginTemperature",
    "nvmlDeviceGetTemperatureV", "nvmlDeviceGetNvLinkRemoteDeviceType", "nvmlDeviceGetPciInfo_v3",
)
A100_NVSWITCH_BUS_IDS = [f"00000000:{bus:02X}:00.0" for bus in range(0x0C, 0x12)]


def old_driver(overrides: Mapping[str, Any] | None = None) -> FakeNvml:
    """8x A100 SXM4 40GB on driver 450.80.02: 12 NVLink 3 links each to six NVSwitches, and none of
    the NVML calls added since (fabric info, CUDA version v2, clocks event reasons, ...)."""
    fake = hgx_h100_8gpu()
    fake.missing.update(OLD_DRIVER_MISSING)
    fake.system.update({"nvmlSystemGetDriverVersion": "450.80.02", "nvmlSystemGetCudaDriverVersion": 11000,
                        "nvmlSystemGetNVMLVersion": "11.450.80.02"})
    for index, table in enumerate(fake.gpus):
        bus = H100_NODE[index][0]
        table.update(
            nvmlDeviceGetName="NVIDIA A100-SXM4-40GB",
            nvmlDeviceGetPciInfo=SimpleNamespace(busId=bus, pciDeviceId=0x20B010DE),
            nvmlDeviceGetMemoryInfo=SimpleNamespace(total=40536 * MIB, free=40536 * MIB, used=0),
            nvmlDeviceGetEnforcedPowerLimit=400000,
            nvmlDeviceGetPowerManagementDefaultLimit=400000,
            nvmlDeviceGetPowerManagementLimitConstraints=[100000, 400000],
            nvmlDeviceGetCurrentClocksThrottleReasons=0x4 | 0x8,
            nvmlDeviceGetMaxPcieLinkGeneration=4,
            nvmlDeviceGetCurrPcieLinkGeneration=4,
            nvmlDeviceGetTemperatureThreshold=per_arg({THRESHOLD_SHUTDOWN: 92, THRESHOLD_SLOWDOWN: 89,
                                                       THRESHOLD_MEM_MAX: 95, THRESHOLD_GPU_MAX: 85}),
            nvmlDeviceGetRetiredPages=per_arg({0: [], 1: []}),
            nvmlDeviceGetRetiredPagesPendingStatus=0,
            **_nvlinks(12, NVLINK_VERSION_3_1, A100_NVSWITCH_BUS_IDS, NVLINK_DEVICE_SWITCH),
        )
        # The T.Limit fields are unknown to this driver: each answers InvalidArgument.
        for field_id in (FI_SHUTDOWN_TLIMIT, FI_SLOWDOWN_TLIMIT, FI_MEM_MAX_TLIMIT, FI_GPU_MAX_TLIMIT):
            table["_fields"][field_id] = Unreadable(INVALID_ARGUMENT, f"field {field_id}")
    return _apply(fake, overrides)


def gpu_lost(lost: int = 5, overrides: Mapping[str, Any] | None = None) -> FakeNvml:
    """The HGX H100 node after one GPU fell off the bus: every call on that GPU answers GpuIsLost."""
    fake = hgx_h100_8gpu(overrides)
    fake.lost.add(lost)
    return fake


def all_optional_not_supported(gpus: int = 2) -> FakeNvml:
    """A device that answers only who it is: every other device call is NotSupported."""
    fake = hgx_h100_8gpu()
    fake.gpus = [{name: answer for name, answer in table.items() if name in IDENTITY_FUNCTIONS}
                 for table in fake.gpus[:gpus]]
    fake.topology = _no_topology
    return fake


def _no_topology(a: int, b: int) -> int:
    raise Unreadable(NOT_SUPPORTED, f"topology gpu{a}-gpu{b}")


def nvml_unavailable(message: str = "Driver Not Loaded", reason: str = "DriverNotLoaded") -> FakeNvml:
    """A machine where nvmlInit fails (no driver, no library)."""
    fake = hgx_h100_8gpu()
    fake.init_error = NvmlUnavailable(message, reason)
    return fake
