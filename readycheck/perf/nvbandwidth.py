"""NVIDIA's `nvbandwidth` (https://github.com/NVIDIA/nvbandwidth): host<->GPU, GPU-local and GPU<->GPU copies.

Run as `nvbandwidth -t host_to_device_memcpy_ce device_to_host_memcpy_ce device_local_copy
device_to_device_memcpy_read_ce` (copy-engine copies of 512 MiB buffers, the median of three samples:
the tool's defaults, and the test cases Azure's health checks judge H100 and A100 nodes with).
Its plain-text output, which it prints test case by test case, so a run stopped early keeps the
cases that finished:

    Device 0: NVIDIA H100 80GB HBM3 (00000000:19:00)      <- the bus id from v0.5 on
    Running host_to_device_memcpy_ce.
    memcpy CE CPU(row) -> GPU(column) bandwidth (GB/s)
               0         1
     0     55.33     55.37
    SUM host_to_device_memcpy_ce 110.70

A matrix's rows and columns are CUDA device numbers; the `Device N:` lines map them to the facts' GPUs
by bus id where nvbandwidth prints it (else CUDA's PCI-bus order, which readycheck asks for, is
NVML's). `N/A` (0.00 on the diagonal from v0.6) marks a pair without peer access. `device_local_copy`
reports bytes copied per second; each copied byte is read and written, so the facts' memory bandwidth
is twice that figure. A test case the GPUs cannot run is `Waived`, one nvbandwidth does not know
(before v0.5: `device_local_copy`) an `ERROR` line; both leave their figures to the next tool.
"""

from __future__ import annotations

import re

from readycheck.facts.decode import pci_device
from readycheck.load.backends import tool_missing
from readycheck.perf.session import Session, settle

NAME = "nvbandwidth"
TESTS = ("pcie", "memory_bandwidth", "p2p")
TESTCASES = {
    "pcie": ("host_to_device_memcpy_ce", "device_to_host_memcpy_ce"),
    "memory_bandwidth": ("device_local_copy",),
    "p2p": ("device_to_device_memcpy_read_ce",),
}
RUNNING = re.compile(r"^Running (\w+)\.\s*$")
DEVICE = re.compile(r"^Device (\d+): (.*?)(?: \(([0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+)\))?\s*$")
NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


def why_not() -> str | None:
    return tool_missing(NAME)


def command(tests: list[str]) -> list[str]:
    return [NAME, "-t", *[case for test in tests for case in TESTCASES[test]]]


def parse(text: str) -> tuple[dict[str, dict[tuple[int, int], float | None]], dict[int, str]]:
    """(test case -> {(row, column): GB/s, or None for N/A}, CUDA device -> PCI device where printed)."""
    matrices: dict[str, dict[tuple[int, int], float | None]] = {}
    devices: dict[int, str] = {}
    current: dict[tuple[int, int], float | None] | None = None
    columns: list[int] = []
    for raw in text.splitlines():
        line = raw.strip()
        device = DEVICE.match(line)
        running = RUNNING.match(line)
        if device:
            if device.group(3):
                devices[int(device.group(1))] = pci_device(device.group(3)) or ""
        elif running:
            current, columns = matrices.setdefault(running.group(1), {}), []
        elif current is None or not line or line.startswith(("SUM ", "memcpy ", "memory ")):
            if line.startswith("SUM "):
                current = None
        elif not columns:
            tokens = line.split()
            if all(t.isdigit() for t in tokens):
                columns = [int(t) for t in tokens]
        else:
            tokens = line.split()
            if tokens[0].isdigit() and len(tokens) == len(columns) + 1:
                row = int(tokens[0])
                for column, cell in zip(columns, tokens[1:]):
                    current[row, column] = float(cell) if NUMBER.match(cell) else None
    return {name: matrix for name, matrix in matrices.items() if matrix}, devices


def gpu_map(devices: dict[int, str], session: Session) -> dict[int, int]:
    """CUDA device -> GPU index: by bus id when nvbandwidth printed every one and each is a GPU of the
    facts, else the identity (CUDA in PCI-bus order)."""
    bus_ids = session.plan.bus_ids
    if devices and all(bus in bus_ids for bus in devices.values()):
        return {cuda: bus_ids[bus] for cuda, bus in devices.items()}
    return {gpu: gpu for gpu in session.plan.gpus}


def record(session: Session, matrices: dict[str, dict[tuple[int, int], float | None]],
           devices: dict[int, str]) -> None:
    results, index = session.results, gpu_map(devices, session)

    def gpu(cuda: int) -> int:
        return index.get(cuda, -1)  # a device the facts do not list is ignored

    for field, case, factor in (("h2d_gb_per_s", "host_to_device_memcpy_ce", 1),
                                ("d2h_gb_per_s", "device_to_host_memcpy_ce", 1),
                                ("memory_bandwidth_gb_per_s", "device_local_copy", 2)):
        for (row, column), value in matrices.get(case, {}).items():
            if row == 0 and value is not None:
                results.gpu_value(gpu(column), field, value * factor, NAME)
    for (row, column), value in matrices.get("device_to_device_memcpy_read_ce", {}).items():
        if row != column:
            results.pair(gpu(row), gpu(column), value, NAME, unsupported=value is None)


def measure(session: Session, tests: list[str], limit: float) -> None:
    [outcome] = session.run(f"{NAME} ({', '.join(tests)})", [command(tests)], limit)
    matrices, devices = parse(outcome.output)
    record(session, matrices, devices)
    settle(session, NAME, tests, [outcome], limit)
