"""The `--perf` results as every report shows them: a line of words, Markdown tables, Prometheus series, the
HTML view (per-GPU bars, the GPU pair matrix, all-reduce, ports), from the facts' `perf` and the findings.

Reporters format; they never judge: a bar or a matrix cell takes the status of the perf finding about its
subject, and is neutral where none was judged. Figures the run could not measure show as "n/a" with the
reason word from the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from readycheck.findings import pair_subject

# (key in the GPU entry, or gemm_tflops/<dtype>; column title; unit; the check that judges it)
GPU_FIGURES = (
    ("h2d_gb_per_s", "host to GPU", "GB/s", "perf.pcie_bandwidth"),
    ("d2h_gb_per_s", "GPU to host", "GB/s", "perf.pcie_bandwidth"),
    ("memory_bandwidth_gb_per_s", "memory", "GB/s", "perf.memory_bandwidth"),
    ("gemm_tflops/bf16", "BF16", "TFLOPS", "perf.gemm"),
    ("gemm_tflops/fp16", "FP16", "TFLOPS", "perf.gemm"),
    ("gemm_tflops/tf32", "TF32", "TFLOPS", "perf.gemm"),
    ("gemm_tflops/fp8", "FP8", "TFLOPS", "perf.gemm"),
)


def _figure(gpu: dict[str, Any], key: str) -> tuple[float | None, str | None]:
    """(value, reason when missing) of a GPU figure, `gemm_tflops/bf16` reaching into the GEMM object."""
    owner, field = (gpu.get("gemm_tflops") or {}, key.split("/")[1]) if "/" in key else (gpu, key)
    return _reading(owner, field)


def _reading(owner: dict[str, Any], field: str) -> tuple[float | None, str | None]:
    """(value, reason when missing) of one figure of a perf entry (a GPU, an all-reduce run, a port)."""
    value = owner.get(field)
    return value, None if value is not None else (owner.get("unavailable") or {}).get(field, "NotMeasured")


def summary(facts: dict[str, Any]) -> str | None:
    """One line for the terminal and the ticket; None when no --perf run is in the facts."""
    perf = facts.get("perf")
    if perf is None:
        return None
    if perf.get("status") == "unavailable":
        return f"performance not measured: {perf.get('reason')}"
    parts = [f"{len(perf.get('gpus') or [])} GPUs",
             f"{sum(1 for p in perf.get('p2p') or [] if p.get('bandwidth_gb_per_s') is not None)} GPU pairs"]
    for run in perf.get("nccl") or []:
        parts.append(f"all-reduce {_cell(*_reading(run, 'busbw_gb_per_s'))} GB/s over {run.get('ranks')} GPUs")
    parts.append(f"{sum(1 for p in perf.get('ib') or [] if p.get('bandwidth_gbps') is not None)} HCA ports")
    errors = len(perf.get("errors") or [])
    return (f"performance measured by {perf.get('backend') or 'no tool'} in {perf.get('elapsed_s', 0):.0f} of "
            f"{perf.get('seconds'):.0f} s ({perf.get('status')}): {', '.join(parts)}"
            + (f"; {errors} error{'s' if errors != 1 else ''} (see the facts' perf.errors)" if errors else ""))


def markdown(facts: dict[str, Any], escape: Callable[[Any], str]) -> list[str]:
    """The perf section of a ticket comment: per-GPU table, pair range, all-reduce, ports."""
    perf = facts.get("perf")
    if not perf:
        return []
    said = summary(facts)
    out = [f"{escape(said[0].upper() + said[1:])}.", ""]
    if perf.get("status") == "unavailable":
        return out
    gpus = perf.get("gpus") or []
    if gpus:
        out.append("| GPU | " + " | ".join(f"{title} {unit}" for _, title, unit, _ in GPU_FIGURES) + " |")
        out.append("|---" * (len(GPU_FIGURES) + 1) + "|")
        for gpu in gpus:
            cells = [_cell(*_figure(gpu, key)) for key, _, _, _ in GPU_FIGURES]
            out.append(f"| {gpu.get('index')} | " + " | ".join(escape(c) for c in cells) + " |")
        out.append("")
    measured = [p for p in perf.get("p2p") or [] if p.get("bandwidth_gb_per_s") is not None]
    if measured:
        slowest = min(measured, key=lambda p: p["bandwidth_gb_per_s"])
        fastest = max(p["bandwidth_gb_per_s"] for p in measured)
        out.append(f"GPU pairs: {len(measured)} measured, {slowest['bandwidth_gb_per_s']:g} to {fastest:g} GB/s; "
                   f"slowest gpu{slowest['gpu_a']}-gpu{slowest['gpu_b']}.")
    for run in perf.get("nccl") or []:
        out.append(f"All-reduce: {escape(_cell(*_reading(run, 'busbw_gb_per_s')))} GB/s bus bandwidth over "
                   f"{run.get('ranks')} GPUs "
                   f"at {(run.get('size_bytes') or 0) / 2**30:g} GiB.")
    ports = perf.get("ib") or []
    if ports:
        out += ["", "| HCA port | RDMA write Gb/s | memory |", "|---|---|---|"]
        out += [f"| {escape(p.get('device'))}/{escape(p.get('port'))} | "
                f"{escape(_cell(*_reading(p, 'bandwidth_gbps')))} | "
                f"{escape(p.get('memory') or '')} |" for p in ports]
    return out + [""]


def _cell(value: float | None, why: str | None) -> str:
    return f"{value:g}" if value is not None else f"n/a ({why})"


def prom_series(facts: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], float]]:
    """(metric, help, labels, value) for every figure measured."""
    perf = facts.get("perf") or {}
    for gpu in perf.get("gpus") or []:
        for key, title, _, _ in GPU_FIGURES:
            value, _ = _figure(gpu, key)
            if value is None:
                continue
            if key.startswith("gemm_tflops/"):
                yield ("readycheck_perf_gemm_tflops", "Dense GEMM rate measured by scan --perf, TFLOPS.",
                       {"gpu": gpu.get("index"), "dtype": key.split("/")[1]}, value)
            else:
                name = key.replace("_gb_per_s", "")
                yield (f"readycheck_perf_{name}_gigabytes_per_second",
                       f"{title[0].upper()}{title[1:]} bandwidth measured by scan --perf, GB/s.",
                       {"gpu": gpu.get("index")}, value)
    for pair in perf.get("p2p") or []:
        if pair.get("bandwidth_gb_per_s") is not None:
            yield ("readycheck_perf_p2p_gigabytes_per_second",
                   "GPU-to-GPU bandwidth of a pair, its slower direction, measured by scan --perf, GB/s.",
                   {"gpu_a": pair.get("gpu_a"), "gpu_b": pair.get("gpu_b")}, pair["bandwidth_gb_per_s"])
    for run in perf.get("nccl") or []:
        if run.get("busbw_gb_per_s") is not None:
            yield ("readycheck_perf_nccl_busbw_gigabytes_per_second",
                   "NCCL collective bus bandwidth inside the node, measured by scan --perf, GB/s.",
                   {"op": run.get("op"), "ranks": run.get("ranks"), "size_bytes": run.get("size_bytes")},
                   run["busbw_gb_per_s"])
    for port in perf.get("ib") or []:
        if port.get("bandwidth_gbps") is not None:
            yield ("readycheck_perf_ib_gigabits_per_second",
                   "RDMA write bandwidth through an HCA port, measured by scan --perf, Gb/s.",
                   {"device": port.get("device"), "port": port.get("port")}, port["bandwidth_gbps"])


def view(facts: dict[str, Any], status_of: Callable[[str, tuple[str, ...]], str | None]) -> dict[str, Any] | None:
    """What templates/perf.html.j2 draws; None without a --perf run. `status_of(subject, check_ids)` is the
    worst status of the node's findings about a subject from those checks, None when none (html.node_view's)."""
    perf = facts.get("perf")
    if perf is None:
        return None

    def status(check: str, subject: str) -> str:
        return status_of(subject, (check,)) or "none"

    gpus = perf.get("gpus") or []
    columns = []
    for key, title, unit, check in GPU_FIGURES:
        figures = [_figure(g, key) for g in gpus]
        if all(v is None and why == "NotSupported" for v, why in figures):
            continue  # a data type none of the GPUs has
        top = max((v for v, _ in figures if v is not None), default=None)
        cells = [{"value": v, "why": why, "width": round(v / top * 100, 1) if v and top else 0,
                  "status": status(check, f"gpu{g.get('index')}")} for (v, why), g in zip(figures, gpus)]
        columns.append({"title": title, "unit": unit, "cells": cells})
    ports = perf.get("ib") or []
    best = max((p["bandwidth_gbps"] for p in ports if p.get("bandwidth_gbps")), default=None)
    return {"perf": perf, "summary": summary(facts), "indices": [g.get("index") for g in gpus],
            "columns": columns, "matrix": _matrix(perf, status),
            "nccl": [dict(run, why=_reading(run, "busbw_gb_per_s")[1]) for run in perf.get("nccl") or []],
            "nccl_status": status("perf.nccl", "host"),
            "ports": [dict(p, memory=p.get("memory"), why=_reading(p, "bandwidth_gbps")[1],
                           status=status("perf.ib_bandwidth", f"{p.get('device')}/{p.get('port')}"),
                           width=round(p["bandwidth_gbps"] / best * 100, 1) if p.get("bandwidth_gbps") and best else 0)
                      for p in ports],
            "errors": perf.get("errors") or []}


def _matrix(perf: dict[str, Any], status: Callable[[str, str], str]) -> dict[str, Any] | None:
    """Every direction of every GPU pair: row copies to column; a cell takes its pair's finding's status."""
    pairs = perf.get("p2p") or []
    if not pairs:
        return None
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for pair in pairs:
        a, b = pair["gpu_a"], pair["gpu_b"]
        state = status("perf.nvlink_bandwidth", pair_subject(pair))
        why = pair.get("unavailable") or {}
        cells[a, b] = {"value": pair.get("a_to_b_gb_per_s"), "why": why.get("a_to_b_gb_per_s"), "status": state}
        cells[b, a] = {"value": pair.get("b_to_a_gb_per_s"), "why": why.get("b_to_a_gb_per_s"), "status": state}
    indices = sorted({i for pair in cells for i in pair})
    return {"indices": indices, "rows": [(a, [None if a == b else cells.get((a, b)) for b in indices])
                                          for a in indices]}
