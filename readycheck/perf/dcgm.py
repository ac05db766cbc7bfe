"""DCGM's diagnostic pcie plugin (`dcgmi diag -r pcie -j -v`, pinned copies only): host<->GPU bandwidth per GPU.

With `-v` the plugin reports, per GPU and per subtest, lines such as
`GPU 0 GPU to Host bandwidth:\t\t13.08 GB/s` and `Host to GPU bandwidth:\t\t12.13 GB/s` (DCGM
nvvs/plugin_src/pcie/PcieMain.cpp, addBandwidthInfo) in the `info` of the `pcie` test's result for
that GPU. The JSON is DCGM 3's (`"DCGM GPU Diagnostic"`, results keyed by `gpu_ids`) or DCGM 4's
(`"DCGM Diagnostic"`, results keyed by `entity_group`/`entity_id`); both are read. The pcie plugin
runs several subtests; readycheck asks for the pinned-memory ones only (one GPU, then all at once) and
keeps each direction's best figure, the single-GPU copy a healthy link sustains.

DCGM's memory-bandwidth plugin is not used for figures: it prints a bandwidth only when a GPU misses
DCGM's own per-SKU minimum (dcgmlib/dcgm_errors.h, DCGM_FR_MEMORY_BANDWIDTH_MSG), so a passing GPU
would have no number to hold against the node's median. dcgmi needs nv-hostengine running; when it
cannot reach it, the next tool measures instead and the error is kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from readycheck.load.backends import tool_missing
from readycheck.perf.session import Session, settle

NAME = "dcgm"
BINARY = "dcgmi"
TESTS = ("pcie",)
# Only the pinned host<->GPU subtests, whose figures the facts keep; the GPU-to-GPU subtests are nvbandwidth's
# (DCGM nvvs/include/PluginStrings.h: test_unpinned, test_p2p_on, test_p2p_off, all "True" by default).
PINNED_ONLY = "pcie.test_unpinned=False;pcie.test_p2p_on=False;pcie.test_p2p_off=False"
COMMAND = [BINARY, "diag", "-r", "pcie", "-p", PINNED_ONLY, "-j", "-v"]
LINE = re.compile(r"(?:GPU (\d+) )?(GPU to Host|Host to GPU) bandwidth:\s*([0-9]+(?:\.[0-9]+)?) GB/s")
FIELDS = {"Host to GPU": "h2d_gb_per_s", "GPU to Host": "d2h_gb_per_s"}


def why_not() -> str | None:
    return tool_missing(BINARY, f"{BINARY} (DCGM)")


def parse(text: str) -> tuple[dict[int, dict[str, float]], str | None]:
    """({gpu: {field: best GB/s}}, DCGM's runtime error or None). Unreadable JSON raises ValueError."""
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in dcgmi's output")
    data, _ = json.JSONDecoder().raw_decode(text, start)  # whatever dcgmi prints after it is ignored
    if not isinstance(data, dict):
        raise ValueError("dcgmi's JSON is not an object")
    diag = data.get("DCGM GPU Diagnostic") or data.get("DCGM Diagnostic") or {}
    best: dict[int, dict[str, float]] = {}
    for test in _tests(diag):
        if str(test.get("name", "")).lower() != "pcie":
            continue
        for result in test.get("results") or []:
            owner = _gpu_of(result)
            for line in _strings(result.get("info")):
                match = LINE.search(line)
                gpu = int(match.group(1)) if match and match.group(1) else owner
                if match is None or gpu is None:
                    continue
                field = FIELDS[match.group(2)]
                figures = best.setdefault(gpu, {})
                figures[field] = max(figures.get(field, 0.0), float(match.group(3)))
    return best, diag.get("runtime_error") or data.get("runtime_error")


def _tests(diag: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for category in diag.get("test_categories") or []:
        yield from category.get("tests") or []


def _gpu_of(result: dict[str, Any]) -> int | None:
    """The one GPU a result is about: DCGM 4's GPU entity, DCGM 3's `gpu_ids` (when it names one)."""
    if result.get("entity_group") == "GPU" and isinstance(result.get("entity_id"), int):
        return result["entity_id"]
    ids = str(result.get("gpu_ids", result.get("gpu_id", ""))).split(",")
    return int(ids[0]) if len(ids) == 1 and ids[0].strip().isdigit() else None


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def measure(session: Session, tests: list[str], limit: float) -> None:
    [outcome] = session.run(f"{BINARY} diag pcie", [COMMAND], limit)
    if outcome.output.strip() and outcome.stopped is None:  # stopped early, dcgmi has printed no JSON yet
        try:
            figures, runtime_error = parse(outcome.output)
        except ValueError as exc:
            session.results.error("pcie", f"{BINARY} diag printed what could not be read: {exc}")
            figures, runtime_error = {}, None
        if runtime_error:
            session.results.error("pcie", f"{BINARY} diag: {runtime_error}")
        for gpu, values in figures.items():
            for field, value in values.items():
                session.results.gpu_value(gpu, field, value, NAME)
    settle(session, NAME, tests, [outcome], limit)
