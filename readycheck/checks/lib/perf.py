"""What every perf.* check needs: was `--perf` run, why a figure is missing, and the two judgements.

Each figure is judged twice. Against the pack's floor, a published measured figure times the fraction
its source uses (cited in the pack beside each floor). And against the node itself: a GPU, pair or
port more than `max_below_median` below the median of its kind on the same node fails, which needs
no baseline at all and catches the one slow riser, link or cable that a generous floor lets through.
The default, 15%, is far outside a healthy node's spread: 370.26-372.96 GB/s (0.7%) over the 56
directions of a real 8 x H100 nvbandwidth matrix, 392.82-393.01 Gb/s (0.05%) over the 8 NDR ports of
a real ND H100 v5 (azurehpc-health-checks debugging-test-failure.md, MIT), while the faults it is for
(a link trained at half width, a GPU on a slow riser, a port at a lower rate) cost 50% or more.
Without a floor in the pack the finding says it judged against the median only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from readycheck.checks.lib.unread import reason
from readycheck.facts import NOT_SUPPORTED
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding
from readycheck.settings import Setting

MAX_BELOW_MEDIAN = Setting("float", 0.15, "fail a GPU, pair or port this fraction or more below the node's median",
                           high=1)
NOT_RUN_REMEDY = "run `readycheck scan --perf` for an acceptance run"
NO_TOOL_REMEDY = ("install the tool named (nvbandwidth, nccl-tests, perftest, DCGM) or PyTorch "
                  "(pip install 'readycheck[load]'), then re-run `readycheck scan --perf`")


class Row(NamedTuple):
    """One subject's figures: name -> value (None when missing), and why each missing one is."""

    subject: str
    values: dict[str, float | None]
    why: dict[str, str]


def rows(perf: dict[str, Any], test: str, entries: list[dict[str, Any]], fields: dict[str, str],
         subject: Callable[[dict[str, Any]], str]) -> list[Row]:
    """One Row per entry of `perf`: figure name -> its field's value, and why each missing one is missing.
    A figure the subject does not have (NotSupported: FP8 before Ada, no peer access) is left out."""
    found = []
    for entry in entries:
        why = entry.get("unavailable") or {}
        had = {name: field for name, field in fields.items() if why.get(field) != NOT_SUPPORTED}
        found.append(Row(subject(entry), {name: entry.get(field) for name, field in had.items()},
                         {name: why_missing(perf, test, why.get(field)) for name, field in had.items()
                          if entry.get(field) is None}))
    return found


def measured(check_id: str, facts: dict[str, Any]) -> tuple[list[Finding], dict[str, Any]]:
    """(findings that end the check, the facts' `perf`): `skip` without a --perf run, `unknown` with the
    reason when it could not run at all."""
    perf = facts.get("perf")
    if perf is None:
        return [Finding(check_id, SKIP, "host", message="not run: the facts hold no --perf measurement",
                        remedy=NOT_RUN_REMEDY)], {}
    if perf.get("status") == "unavailable":
        return [Finding(check_id, UNKNOWN, "host", message=f"--perf could not run: {perf.get('reason')}",
                        remedy="fix the driver first (see nvml.available), then re-run `readycheck scan --perf`")], {}
    return [], perf


def why_missing(perf: dict[str, Any], test: str, why: str | None = None) -> str:
    """The reason word and the run's errors about `test`, in words."""
    word = why or reason(perf, test, "NotMeasured")
    said = [error.split(": ", 1)[1] for error in perf.get("errors") or []
            if ": " in error and test in error.split(": ", 1)[0].split(", ")]
    return f"{word}: {'; '.join(said)}" if said else word


def nothing_measured(check_id: str, perf: dict[str, Any], test: str, what: str) -> Finding:
    return Finding(check_id, UNKNOWN, "host", message=f"{what} not measured ({why_missing(perf, test)})",
                   remedy=NO_TOOL_REMEDY)


def judge(check_id: str, judged: list[Row], floors: dict[str, float | None], max_below: float, unit: str,
          remedy: str) -> Iterator[Finding]:
    """One finding per row: fail when a figure is below its floor or `max_below` under the median of
    that figure across the rows; unknown when a figure is missing and none failed; else pass."""
    if not judged:
        yield Finding(check_id, UNKNOWN, "host", message="the --perf results list nothing to judge",
                      remedy="re-run `readycheck scan --perf`")
        return
    import statistics  # here, not at import: statistics costs more to import than judging a node without --perf

    floors = {name: floor or None for name, floor in floors.items()}  # 0 clears a floor an extended pack set
    medians = {}
    for name in {name for row in judged for name in row.values}:
        values = [row.values[name] for row in judged if row.values.get(name) is not None]
        medians[name] = statistics.median(values) if len(values) > 1 else None
    measured_any = any(value is not None for row in judged for value in row.values.values())
    if measured_any and not any(floors.values()) and not any(medians.values()):
        yield Finding(check_id, SKIP, "host", message="nothing to judge against: the rule pack sets no floor and "
                      "the node has a single subject, so no median", remedy="set a floor in the rule pack")
        return
    for row in judged:
        if not row.values:
            yield Finding(check_id, SKIP, row.subject, message=f"{row.subject} does not have it ({NOT_SUPPORTED})")
            continue
        figures = {name: value for name, value in row.values.items() if value is not None}
        problems = [problem for name, value in figures.items()
                    for problem in _problems(name, value, floors.get(name), medians.get(name), max_below, unit)]
        observed = ", ".join(f"{_label(name)}{value:g} {unit}" for name, value in figures.items()) or None
        expected = "; ".join(_expected(name, floors.get(name), medians.get(name), max_below, unit)
                             for name in row.values) or None
        if problems:
            yield Finding(check_id, FAIL, row.subject, observed, expected, "; ".join(problems), remedy)
        elif row.why:
            by_reason: dict[str, list[str]] = {}
            for name, why in row.why.items():
                by_reason.setdefault(why, []).append(name)
            missing = ", ".join(f"{', '.join(names)} ({why})" if any(names) else why
                                for why, names in by_reason.items())
            yield Finding(check_id, UNKNOWN, row.subject, observed, expected, f"not measured: {missing}",
                          NO_TOOL_REMEDY)
        else:
            basis = "the pack's floor and the node's median" if any(floors.get(n) for n in figures) \
                else "the node's median only (the rule pack sets no floor)"
            yield Finding(check_id, PASS, row.subject, observed, expected, f"{observed}: judged against {basis}")


def _label(name: str) -> str:
    return f"{name} " if name else ""


def _problems(name: str, value: float, floor: float | None, median: float | None, max_below: float,
              unit: str) -> list[str]:
    found = []
    if floor is not None and value < floor:
        found.append(f"{_label(name)}{value:g} {unit} is below the pack's floor {floor:g} {unit}")
    if median and value < (1 - max_below) * median:
        found.append(f"{_label(name)}{value:g} {unit} is {1 - value / median:.0%} below the node's median "
                     f"{median:.4g} {unit}")
    return found


def _expected(name: str, floor: float | None, median: float | None, max_below: float, unit: str) -> str:
    parts = []
    if floor is not None:
        parts.append(f"{floor:g} {unit} (pack floor)")
    if median:
        parts.append(f"{(1 - max_below) * median:.4g} {unit} ({max_below:.0%} under the node's median {median:.4g})")
    return f"{_label(name)}at least {' and '.join(parts)}" if parts else f"{_label(name)}nothing to compare with"
