"""The command's entry point: plain `readycheck collect`, `slurm-health` and `scan` run without click;
everything else goes to it, with the same result."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from probe_fakes import ROOTS

from readycheck.entry import plain_collect, plain_options

BARE = str(ROOTS / "bare")


@pytest.mark.parametrize("argv, options", [
    (["collect"], {"output": None, "root": "/"}),
    (["collect", "-o", "f.json"], {"output": "f.json", "root": "/"}),
    (["collect", "--output=f.json", "--root", BARE], {"output": "f.json", "root": BARE}),
    (["collect", "--root=/", "-o", "a", "--output", "b"], {"output": "b", "root": "/"}),  # the last one wins
    (["collect", "--help"], None), (["collect", "-o"], None), (["collect", "-x"], None),
    (["collect", "--root", "/nonexistent"], None), (["collect", "-o=f.json"], None),
    (["check", "f.json"], None), ([], None),
])
def test_only_a_plain_collect_skips_click(argv, options):
    assert plain_collect(argv) == options


@pytest.mark.parametrize("argv, options", [
    (["slurm-health"], {"command": "slurm-health"}),
    (["slurm-health", "--node=n1", "--dry-run", "-r", "hgx-h100", "--site", "s.toml", "--fail-on", "warn"],
     {"command": "slurm-health", "node": "n1", "dry_run": True, "rules": "hgx-h100", "site": "s.toml",
      "fail_on": "warn"}),
    (["slurm-health", "-f", "json"], None), (["slurm-health", "--dry-run=yes"], None),
    (["slurm-health", "-r=x"], None), (["slurm-health", "--bmc", "https://10.0.0.5"], None),
    (["slurm-health", "--node"], None),
    (["scan"], {"command": "scan"}),
    (["scan", "--rules=base", "--site", "s.toml", "--fail-on", "warn"],
     {"command": "scan", "rules": "base", "site": "s.toml", "fail_on": "warn"}),
    (["scan", "-f", "text"], None), (["scan", "--load", "60"], None), (["scan", "--perf"], None),
    (["scan", "--dry-run"], None), (["scan", "--node", "n1"], None),
])
def test_only_plain_slurm_health_and_scan_skip_click(argv, options):
    assert plain_options(argv) == options


def test_a_plain_scan_prints_what_click_prints_and_imports_neither_click_nor_jinja2(tmp_path):
    """`scan` (entry.py) and `scan -f text` (cli.py, the same report asked for by name) on this machine: the
    same summary, the same exit code, and the plain one never loads click or jinja2."""
    code = ("import sys\nfrom readycheck.entry import main\ntry:\n    main()\nexcept SystemExit as exc:\n"
            "    print(exc.code)\nprint(sorted({m.split('.')[0] for m in sys.modules} & {'click', 'jinja2'}))")

    def run(*args):
        return subprocess.run([sys.executable, "-c", f"import sys; sys.argv = ['readycheck', *{args!r}]\n" + code],
                              capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_plain_env())

    plain, clicked = run("scan", "--rules", "base"), run("scan", "--rules", "base", "-f", "text")
    assert plain.stdout.splitlines()[-1] == "[]", plain.stderr
    assert clicked.stdout.splitlines()[-1] == "['click']"  # -f goes to click, which never needs jinja2 for text
    assert plain.stdout.splitlines()[:-1] == clicked.stdout.splitlines()[:-1]
    assert plain.stdout.splitlines()[-2] in ("0", "1")
    bad = run("scan", "--site", str(tmp_path / "missing.toml"))
    assert bad.stdout.splitlines()[-2] == "2" and bad.stderr.startswith("readycheck: ") and "missing.toml" in bad.stderr


def _plain_env():
    import os

    return {key: value for key, value in os.environ.items() if key != "NO_COLOR"}


def test_collect_imports_neither_click_nor_psutil_nor_jinja2(tmp_path):
    out = tmp_path / "facts.json"
    code = (f"import sys; sys.argv = ['readycheck', 'collect', '--root', {BARE!r}, '-o', {str(out)!r}]\n"
            "from readycheck.entry import main\ntry:\n    main()\nexcept SystemExit as exc:\n    print(exc.code)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'psutil', 'jinja2')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[-2:] == ["0", "[]"], done.stderr
    assert json.loads(out.read_text())["host"]["os"]


def test_the_fast_path_and_click_write_the_same_snapshot_and_errors(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "readycheck", *args], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)

    fast, slow = run("collect", "--root", BARE, "-o", "fast.json"), run("collect", "--root", BARE, "-ofast2.json")
    assert (fast.returncode, slow.returncode) == (0, 0)
    snapshots = [json.loads((tmp_path / name).read_text()) for name in ("fast.json", "fast2.json")]
    for snapshot in snapshots:
        snapshot.pop("collected_at")
    assert snapshots[0] == snapshots[1]
    cannot = run("collect", "--root", BARE, "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert cannot.returncode == 2 and cannot.stderr.startswith("readycheck: ") and "cannot write" in cannot.stderr
    assert len(cannot.stderr.splitlines()) == 1
