"""Every `readycheck` command the README shows works as written, from a clone, after the set-up commands.

The commands are read from the README's code blocks, so a changed example is tested as it reads. Each
runs from a scratch folder holding the clone's `examples/` and `tests/` (what the commands name), so a
report it writes does not land in the repository. A command must end with an exit code it documents
(0 ready, 1 not ready) and no internal error. Commands that need a real BMC are left out; `scan` runs
this machine's probes, so it runs only where there is no GPU (a GPU machine would run the load phase).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from machine import nvml_here

REPO = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("readycheck ") and "--bmc" not in line:
                commands.append(line)
    return commands


def test_the_readme_shows_commands():
    assert any(c.startswith("readycheck check ") for c in readme_commands())


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_works_as_written(command, tmp_path):
    argv = shlex.split(command)
    if argv[1] in ("scan", "collect", "slurm-health") and nvml_here():
        pytest.skip("this machine has an NVIDIA GPU: the README's scan would load it")
    for name in ("examples", "tests"):
        (tmp_path / name).symlink_to(REPO / name)
    done = subprocess.run([sys.executable, "-m", "readycheck", *argv[1:]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
