"""Each command imports what it uses and nothing else: a one-node check or a Slurm health check costs
little more than Python importing click (and jinja2 for HTML), so a module loaded for nothing shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HEALTHY = str(REPO / "examples" / "hgx-h100-healthy.json")
# Used only by a fleet (a worker pool), a --perf or load run (statistics), an order file in CSV, a capture import.
FLEET_AND_RARE = ("multiprocessing", "statistics", "csv", "readycheck.importers.nvidia_smi_xml",
                  "readycheck.importers.nvidia_smi_text", "readycheck.importers.ibstat", "readycheck.order")


def imported(*argv: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules loaded by the end of `readycheck ARGV` (its exit code does not matter here)."""
    code = (f"import sys; sys.argv = ['readycheck', *{list(argv)!r}]\n"
            "from readycheck.entry import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('\\n'.join(sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    return set(done.stderr.split())


def test_scan_text_imports_neither_jinja2_nor_multiprocessing():
    modules = imported("scan")
    assert "readycheck.probes" in modules  # it did scan
    assert not {m for m in modules if m.split(".")[0] in ("jinja2", "multiprocessing")}


def test_one_node_check_imports_nothing_a_fleet_or_a_rare_input_needs(tmp_path):
    for argv in (("check", HEALTHY), ("check", HEALTHY, "--format", "html", "-o", str(tmp_path / "r.html"))):
        modules = imported(*argv)
        assert "readycheck.engine" in modules
        assert modules.isdisjoint(FLEET_AND_RARE), argv
    assert (tmp_path / "r.html").stat().st_size > 0


def test_text_check_imports_neither_jinja2_nor_pickle():
    """pickle packs a fleet's results (jinja2's bytecode cache brings it along for HTML)."""
    assert not {m for m in imported("check", HEALTHY) if m.split(".")[0] in ("jinja2", "pickle")}


def test_with_its_cache_warm_a_run_parses_no_toml_and_writes_without_tempfile(tmp_path):
    """The built-in packs and the Xid catalogue come from the user's cache once parsed (readycheck.cache), and
    reports are written without the tempfile module: a second one-node check or scan imports no TOML parser,
    and none that writes no HTML imports tempfile (jinja2 brings it along for the HTML)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    runs = {("check", HEALTHY, "--format", "json", "-o", str(tmp_path / "r.json")): {"tempfile"},
            ("scan",): {"tempfile"},
            ("check", HEALTHY, "--format", "html", "-o", str(tmp_path / "r.html")): set()}
    for argv, also_unused in runs.items():
        imported(*argv, env=env)  # fills the cache
        modules = imported(*argv, env=env)
        assert "readycheck.engine" in modules
        assert modules.isdisjoint({"tomllib", "tomli", *also_unused}), argv
