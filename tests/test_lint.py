"""The code stays Python 3.9-clean and lint-free: ruff (target py39, see pyproject.toml) over the tree."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    assert ruff, "ruff is part of the [test] extra; install it with pip install '.[test]'"
    done = subprocess.run([ruff, "check", "--no-cache", str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
