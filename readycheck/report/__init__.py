"""Reporters: each turns a `Report` (readycheck.engine) into one format. They format what the engine
decided (each node's `decision`: findings, counts, blocking list, verdict) and never recompute it.

`FORMATS` maps a `--format` name to the module that renders it and the file
extension it is written with; every module has `render(report) -> str`.
"""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timezone
from typing import Any, TextIO

from readycheck.engine import Report
from readycheck.findings import PASS, SKIP, Finding, listed, worst_first

FORMATS: dict[str, tuple[str, str]] = {
    "text": ("readycheck.report.text", "txt"),
    "json": ("readycheck.report.json_report", "json"),
    "md": ("readycheck.report.markdown", "md"),
    "html": ("readycheck.report.html", "html"),
    "junit": ("readycheck.report.junit", "xml"),
    "prom": ("readycheck.report.prom", "prom"),
}


def attention_first(findings) -> list[Finding]:
    """Findings that are not pass, worst first (fail, error, unknown, warn, skip), in check order within."""
    return worst_first(f for f in findings if f.status != PASS)


def needs_attention(findings) -> list[Finding]:
    """Failing, erroring, unknown and warning findings, worst first (skips are listed apart, by each report)."""
    return [f for f in attention_first(findings) if f.status != SKIP]


def plain(value: Any) -> str:
    """An observed or expected value in words: `a=1, b=2` for a mapping, `x, y` for a list, each
    naming its first LISTED items and counting the rest (the JSON report keeps them all)."""
    if isinstance(value, dict):
        return listed(f"{k}={plain(v) if isinstance(v, (dict, list)) else v}" for k, v in value.items())
    if isinstance(value, list):
        return listed(plain(v) if isinstance(v, (dict, list)) else v for v in value)
    return str(value)


# A command in a remedy or message, written between backticks (`nvidia-smi -r -i 6`); no backtick or line break inside.
CODE_SPAN = re.compile(r"`([^`\n]+)`")


def timestamp(when: datetime) -> str:
    """A UTC time as the reports print it: ISO 8601 to the second, `Z` for UTC."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# C0 and C1 control characters and DEL: a hostname or GPU name from a snapshot must not move a
# terminal's cursor, end a Prometheus line or a Markdown table row, or reach an HTML or JUnit reader raw.
# Line feed and tab are whitespace every format carries by its own rules (Prometheus escapes the line
# feed, Markdown folds it, HTML and XML keep it); a terminal line (`one_line`) shows them escaped too.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(value: Any, one_line: bool = False) -> str:
    """`plain(value)` with every control character shown as its escape (`\\x1b`, `\\r`): the one cleaning
    every format applies to what it did not write itself."""
    return (LINE_CONTROL if one_line else CONTROL).sub(lambda m: m.group().encode("unicode_escape").decode("ascii"),
                                                       plain(value))


def collected_at(facts: dict[str, Any]) -> datetime | None:
    """When the facts were collected, in UTC; None when the snapshot does not say in ISO 8601."""
    try:
        when = datetime.fromisoformat(str(facts.get("collected_at")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)


def render(report: Report, fmt: str) -> str:
    return importlib.import_module(FORMATS[fmt][0]).render(report)


def write(report: Report, fmt: str, stream: TextIO) -> None:
    """Write one format to a stream; formats that can stream (JSON) never build the whole text."""
    module = importlib.import_module(FORMATS[fmt][0])
    if hasattr(module, "write"):
        module.write(report, stream)
    else:
        stream.write(module.render(report))
