"""The layers hold, the package ships whole, and the repository stands on its own.

- Every package under readycheck/ is listed in setup.cfg (a non-editable install ships only those).
- Imports follow the pipeline: facts import no layer above them; probes and importers stand side by
  side on the facts and never import each other; checks read facts only (no probe, importer, load
  phase or reporter); reporters format and import no check or probe.
- No tracked file but .ci/run cites the steering folder beside a checkout (a clone has none of it).
"""

from __future__ import annotations

import ast
import configparser
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "readycheck"

# module prefix -> prefixes it must not import
FORBIDDEN = {
    "readycheck.facts": ("readycheck.probes", "readycheck.importers", "readycheck.checks", "readycheck.report",
                         "readycheck.engine", "readycheck.load", "readycheck.run"),
    "readycheck.settings": ("readycheck.checks", "readycheck.probes", "readycheck.importers", "readycheck.report"),
    "readycheck.catalogue": ("readycheck.checks", "readycheck.probes", "readycheck.importers", "readycheck.report"),
    "readycheck.probes": ("readycheck.importers", "readycheck.checks", "readycheck.report", "readycheck.engine"),
    "readycheck.importers": ("readycheck.probes", "readycheck.checks", "readycheck.report", "readycheck.engine"),
    "readycheck.checks": ("readycheck.probes", "readycheck.importers", "readycheck.report", "readycheck.load",
                          "readycheck.run", "readycheck.engine"),
    "readycheck.report": ("readycheck.probes", "readycheck.importers", "readycheck.checks", "readycheck.run"),
    "readycheck.order": ("readycheck.checks",),
    "readycheck.site": ("readycheck.checks",),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (a function-level import counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _layer_breaches() -> list[str]:
    breaches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        for layer, forbidden in FORBIDDEN.items():
            if name == layer or name.startswith(layer + "."):
                for imported in sorted(_imports(path)):
                    if imported.startswith(forbidden):
                        breaches.append(f"{name} imports {imported}")
    return breaches


def test_no_layer_imports_what_it_must_not():
    assert _layer_breaches() == []


def test_the_layer_test_can_fail(tmp_path, monkeypatch):
    """The breach finder sees a function-level import of a probe in an importer."""
    bad = PACKAGE / "importers" / "_layer_probe_for_test.py"
    bad.write_text("def f():\n    from readycheck.probes import nvml\n", encoding="utf-8")
    try:
        assert "readycheck.importers._layer_probe_for_test imports readycheck.probes" in _layer_breaches()
    finally:
        bad.unlink()


def test_every_package_is_listed_in_setup_cfg():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {_module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [options] packages in setup.cfg"


def _tracked() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return out.splitlines()


STEERING = re.compile(r"(\.\./)?shared/(design|reference|samples|tools|hooks)\b|\.\./shared\b"
                      r"|gpu-site-fact[s]|facts-v1\.md")  # [s]: this line must not match itself


def test_no_tracked_file_cites_a_file_outside_the_repository():
    citing = []
    for name in _tracked():
        path = REPO / name
        if path.is_file() and path.stat().st_size < 4 * 2**20:
            text = path.read_bytes().decode("utf-8", "replace")
            citing.extend(f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if STEERING.search(line))
    assert citing == []
