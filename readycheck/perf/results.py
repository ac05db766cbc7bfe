"""The facts' `perf` object, filled test by test as the tools report, the best tool first.

Every GPU, every pair of GPUs and every tested HCA port has an entry from the start, so nothing a test
missed is left out: a value no tool gave stays null, with the reason in the entry's `unavailable` map
(`NotFound`: no tool for it on this machine; `Timeout`: the tool was stopped at its time limit;
`Interrupted`: Ctrl-C; `NotSupported`: the GPU or pair does not have it, such as FP8 before Ada or
peer access between PCIe GPUs without P2P; `CommandFailed`, `Unparseable`: the tool failed or printed
what could not be read). A tool only fills what is still null, so a later, lesser tool never
overwrites a better one's figure, and what a tool stopped early did measure is kept.

Conventions (the facts contract): GPU-side figures in gigabytes (10^9 bytes) per second, network
figures in gigabits (10^9 bits) per second, GEMM in TFLOPS (10^12 floating-point operations per
second, a multiply-add counting two). `memory_bandwidth_gb_per_s` counts the bytes read plus the bytes
written by a copy within the GPU's memory, as DCGM's memory-bandwidth figures and STREAM's copy do.
A pair's `bandwidth_gb_per_s` is the slower of its two directions (each measured one way at a time);
the two directions are kept as `a_to_b_gb_per_s` and `b_to_a_gb_per_s`. A port's `bandwidth_gbps` is
the best `ib_write_bw` run it took part in (see perftest.py), so a port is slow only when every run
through it was.
"""

from __future__ import annotations

import itertools
from typing import Any

from readycheck.facts import NOT_FOUND, NOT_SUPPORTED

TESTS = ("pcie", "memory_bandwidth", "gemm", "p2p", "nccl", "ib")
GEMM_DTYPES = ("bf16", "fp16", "tf32", "fp8")
# per-GPU field -> the test that measures it
GPU_FIELDS = {"h2d_gb_per_s": "pcie", "d2h_gb_per_s": "pcie", "memory_bandwidth_gb_per_s": "memory_bandwidth"}
INTERRUPTED = "Interrupted"
NOT_MEASURED = "NotMeasured"


def _gpu_entry(index: int) -> dict[str, Any]:
    return {"index": index, **{name: None for name in GPU_FIELDS},
            "gemm_tflops": {**{dtype: None for dtype in GEMM_DTYPES}, "unavailable": {}}, "unavailable": {}}


class PerfResults:
    """What the tools measured so far, and why what is missing is missing; `facts()` builds `perf`."""

    def __init__(self, seconds: float, gpus: list[int], ports: list[tuple[str, int]]):
        self.seconds = seconds
        self.gpus = {index: _gpu_entry(index) for index in gpus}
        self.directed: dict[tuple[int, int], float] = {}
        self.no_peer: set[tuple[int, int]] = set()
        self.nccl: list[dict[str, Any]] = []
        self.port_runs: dict[tuple[str, int], list[float]] = {port: [] for port in ports}
        self.port_memory: dict[tuple[str, int], str] = {}
        self.sources: dict[str, str] = {}
        self.errors: list[str] = []
        self._missing_why: dict[str, tuple[str, list[str]]] = {}

    # ---- what the tools report -------------------------------------------------------------------

    def gpu_value(self, index: int, field: str, value: float | None, tool: str) -> None:
        """A per-GPU figure (a GPU_FIELDS name); the first tool to give one wins."""
        entry = self.gpus.get(index)
        if entry is not None and value is not None and entry[field] is None:
            entry[field] = round(float(value), 2)
            self.sources.setdefault(GPU_FIELDS[field], tool)

    def gemm(self, index: int, dtype: str, tflops: float | None, tool: str, unsupported: bool = False) -> None:
        """A GEMM figure, or (`unsupported`) the GPU lacks the data type (FP8 before Ada and Hopper)."""
        entry = self.gpus.get(index)
        if entry is None or dtype not in GEMM_DTYPES or entry["gemm_tflops"][dtype] is not None:
            return
        if unsupported:
            entry["gemm_tflops"]["unavailable"][dtype] = NOT_SUPPORTED
        elif tflops is not None:
            entry["gemm_tflops"][dtype] = round(float(tflops), 1)
            entry["gemm_tflops"]["unavailable"].pop(dtype, None)
            self.sources.setdefault("gemm", tool)

    def pair(self, source: int, target: int, gb_per_s: float | None, tool: str, unsupported: bool = False) -> None:
        """One direction of a GPU pair: `source` copies to `target`."""
        if source == target or source not in self.gpus or target not in self.gpus:
            return
        if unsupported:
            self.no_peer.add((source, target))
        elif gb_per_s is not None and (source, target) not in self.directed:
            self.directed[source, target] = round(float(gb_per_s), 2)
            self.sources.setdefault("p2p", tool)

    def nccl_run(self, op: str, ranks: int, size_bytes: int, busbw_gb_per_s: float, tool: str) -> None:
        if self.nccl:
            return
        self.nccl.append({"op": op, "ranks": ranks, "size_bytes": size_bytes,
                          "busbw_gb_per_s": round(float(busbw_gb_per_s), 2), "unavailable": {}})
        self.sources.setdefault("nccl", tool)

    def port_run(self, device: str, port: int, gbps: float, tool: str, memory: str) -> None:
        """One `ib_write_bw` run through a port (as sender or receiver), with the memory it used."""
        runs = self.port_runs.get((device, port))
        if runs is None:
            return
        runs.append(round(float(gbps), 2))
        if gbps >= max(runs):
            self.port_memory[device, port] = memory
        self.sources.setdefault("ib", tool)

    def error(self, test: str, text: str) -> None:
        """Something went wrong that the report should show, whatever fills the test afterwards."""
        self.errors.append(f"{test}: {text}")

    def unmeasured(self, test: str, reason: str, text: str = "") -> None:
        """Why `test` may stay unmeasured (a tool missing, stopped, printing nothing for it); the text
        is shown only if it does stay unmeasured. The reason word is the last tool's that ran (cut at
        its limit, failed): a lesser tool that is merely not installed does not hide it."""
        word, texts = self._missing_why.get(test, (NOT_FOUND, []))
        if reason != NOT_FOUND or word == NOT_FOUND:
            word = reason
        self._missing_why[test] = (word, [*texts, text] if text else texts)

    # ---- what is still to measure ----------------------------------------------------------------

    def wants(self, test: str) -> bool:
        """Whether some value of `test` is still missing and could still be measured."""
        if test in ("pcie", "memory_bandwidth"):
            fields = [f for f, t in GPU_FIELDS.items() if t == test]
            return any(entry[f] is None for entry in self.gpus.values() for f in fields)
        if test == "gemm":
            return any(tflops[d] is None and d not in tflops["unavailable"]
                       for tflops in (e["gemm_tflops"] for e in self.gpus.values()) for d in GEMM_DTYPES)
        if test == "p2p":
            return any(pair not in self.directed and pair not in self.no_peer
                       for pair in itertools.permutations(self.gpus, 2))
        if test == "nccl":
            return len(self.gpus) > 1 and not self.nccl
        if test == "ib":
            return any(not runs for runs in self.port_runs.values())
        raise KeyError(test)

    # ---- the facts -------------------------------------------------------------------------------

    def _why(self, test: str) -> str:
        return self._missing_why.get(test, (NOT_MEASURED, []))[0]

    def facts(self, status: str, elapsed_s: float, reason: str | None = None) -> dict[str, Any]:
        """The `perf` object (facts v1, docs/facts.md)."""
        gpus = [self._gpu_facts(entry) for entry in self.gpus.values()]
        unavailable = {test: self._why(test) for test in TESTS if self.wants(test) and not self._any(test)}
        errors = list(self.errors)
        for test in TESTS:
            if self.wants(test) and test in self._missing_why:
                errors.extend(f"{test}: {text}" for text in self._missing_why[test][1])
        tools = list(dict.fromkeys(self.sources[t] for t in TESTS if t in self.sources))
        return {
            "backend": "+".join(tools) or None, "seconds": self.seconds, "elapsed_s": round(elapsed_s, 1),
            "status": status, "reason": reason, "sources": {t: self.sources[t] for t in TESTS if t in self.sources},
            "gpus": gpus, "p2p": self._pairs(), "nccl": self.nccl or [], "ib": self._ports(), "errors": errors,
            "unavailable": unavailable,
        }

    def _any(self, test: str) -> bool:
        """Whether `test` measured anything at all."""
        return test in self.sources

    def _gpu_facts(self, entry: dict[str, Any]) -> dict[str, Any]:
        gemm = entry["gemm_tflops"]
        out = {**entry, "gemm_tflops": {**gemm, "unavailable": dict(gemm["unavailable"])}, "unavailable": {}}
        for field, test in GPU_FIELDS.items():
            if out[field] is None:
                out["unavailable"][field] = self._why(test)
        for dtype in GEMM_DTYPES:
            if out["gemm_tflops"][dtype] is None:
                out["gemm_tflops"]["unavailable"].setdefault(dtype, self._why("gemm"))
        return out

    def _pairs(self) -> list[dict[str, Any]]:
        pairs = []
        for a, b in itertools.combinations(sorted(self.gpus), 2):
            there, back = self.directed.get((a, b)), self.directed.get((b, a))
            measured = [v for v in (there, back) if v is not None]
            entry = {"gpu_a": a, "gpu_b": b, "bandwidth_gb_per_s": min(measured) if measured else None,
                     "a_to_b_gb_per_s": there, "b_to_a_gb_per_s": back, "unavailable": {}}
            for field, value, pair in (("a_to_b_gb_per_s", there, (a, b)), ("b_to_a_gb_per_s", back, (b, a))):
                if value is None:
                    entry["unavailable"][field] = NOT_SUPPORTED if pair in self.no_peer else self._why("p2p")
            if not measured:
                entry["unavailable"]["bandwidth_gb_per_s"] = entry["unavailable"]["a_to_b_gb_per_s"]
            pairs.append(entry)
        return pairs

    def _ports(self) -> list[dict[str, Any]]:
        ports = []
        for (device, port), runs in self.port_runs.items():
            entry = {"device": device, "port": port, "bandwidth_gbps": max(runs) if runs else None,
                     "memory": self.port_memory.get((device, port)), "unavailable": {}}
            if not runs:
                entry["unavailable"].update(bandwidth_gbps=self._why("ib"), memory=self._why("ib"))
            ports.append(entry)
        return ports


def unavailable(seconds: float, reason: str, word: str = NOT_FOUND) -> dict[str, Any]:
    """`perf` when nothing could run (no GPU, no NVML): every check says `unknown` with `reason`."""
    facts = PerfResults(seconds, [], []).facts("unavailable", 0.0, reason)
    facts["unavailable"] = {test: word for test in TESTS}
    return facts
