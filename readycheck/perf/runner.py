"""Runs `readycheck scan --perf`: the best tool for each test, inside one time budget; returns `perf`.

Tools, best first: DCGM's pcie plugin, nvbandwidth, nccl-tests, perftest, then the built-in PyTorch
measurements for whatever is still missing (and always for GEMM). A tool that is not installed is
skipped with the reason kept; a tool that fails or is stopped leaves its tests to the next one.
Each tool may use at most its share of `--perf-seconds` (SHARES), and the built-in measurements, when
PyTorch is there, keep a reserve for the GEMM figures only they give, so the whole run ends within the
budget: 150 s by default, under three minutes on an 8-GPU node with process start and stop included.
Ctrl-C stops the running tool, keeps every figure measured so far, and ends the run ("interrupted").
"""

from __future__ import annotations

from typing import Any

from readycheck.facts import NOT_FOUND, TIMEOUT
from readycheck.perf import builtin, dcgm, nccl_tests, nvbandwidth, perftest
from readycheck.perf.plan import plan
from readycheck.perf.results import INTERRUPTED, TESTS, PerfResults, unavailable
from readycheck.perf.session import Progress, Session

DEFAULT_SECONDS = 150
TOOLS = (dcgm, nvbandwidth, nccl_tests, perftest, builtin)
SHARES = {dcgm.NAME: 0.25, nvbandwidth.NAME: 0.2, nccl_tests.NAME: 0.15, perftest.NAME: 0.15, builtin.NAME: 1.0}
BUILTIN_RESERVE = 0.25
MIN_LIMIT_S = 5.0


def run(facts: dict[str, Any], seconds: float = DEFAULT_SECONDS, progress: Progress | None = None,
        tools: tuple = TOOLS) -> dict[str, Any]:
    """Measure the node the facts describe; never raises for a missing tool or GPU."""
    node = plan(facts)
    if not node.gpus:
        nvidia = facts.get("nvidia") or {}
        why = "NVML found no GPU"
        if not nvidia.get("nvml_available"):
            why += f" (NVML not available: {nvidia.get('nvml_error') or 'unknown reason'})"
        return unavailable(seconds, why)
    results = PerfResults(seconds, node.gpus, [(port.device, port.port) for port in node.ports])
    session = Session(results, node, seconds, progress)
    reserve = BUILTIN_RESERVE * seconds if builtin in tools and builtin.why_not() is None else 0.0
    try:
        for tool in tools:
            wanted = [test for test in tool.TESTS if results.wants(test)]
            if not wanted:
                continue
            why = tool.why_not()
            if why is not None:
                for test in wanted:
                    results.unmeasured(test, NOT_FOUND, why)
                continue
            limit = min(SHARES.get(tool.NAME, 1.0) * seconds, session.left() - (0.0 if tool is builtin else reserve))
            if limit < MIN_LIMIT_S:
                for test in wanted:
                    results.unmeasured(test, TIMEOUT, f"no time left for {tool.NAME} within {seconds:g} s")
                continue
            tool.measure(session, wanted, limit)
            if session.interrupted:
                break
    except KeyboardInterrupt:  # between two tools: the figures so far stand
        session.interrupted = True
    if session.interrupted:
        for test in TESTS:
            if results.wants(test):
                results.unmeasured(test, INTERRUPTED)
    return results.facts("interrupted" if session.interrupted else "completed", session.elapsed())
