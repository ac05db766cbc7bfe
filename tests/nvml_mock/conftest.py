"""Every profile of tests/data/nvml-profiles run once per session through collect, check and scan
against NVIDIA's NVML mock, several at a time; the tests of this folder read the results."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nvmlmock import LIBRARY, MOCK, Profile, gpu_side_pack, load_profiles, readycheck

FORMATS = ("text", "json", "md", "html", "junit", "prom")


@dataclass
class Run:
    """One profile through `collect`, `check` (every report format) and `scan`, each a child process."""

    profile: Profile
    folder: Path
    env: dict[str, str]
    collect: Any
    check: Any
    scan: Any

    @property
    def snapshot(self) -> dict[str, Any]:
        return json.loads((self.folder / "snapshot.json").read_text(encoding="utf-8"))

    def report(self, suffix: str) -> Path:
        return self.folder / "reports" / f"readycheck-report.{suffix}"


def _run(profile: Profile, folder: Path) -> Run:
    folder.mkdir()
    env = profile.env(folder)
    pack = str(gpu_side_pack(profile.pack, folder))
    collect = readycheck(["collect", "-o", "snapshot.json"], env, folder)
    formats = [arg for fmt in FORMATS for arg in ("-f", fmt)]
    check = readycheck(["check", "snapshot.json", "--rules", pack, *formats, "-o", "reports"], env, folder)
    scan = readycheck(["scan", "--rules", pack, "-f", "json", "-o", "scan.json"], env, folder)
    return Run(profile, folder, env, collect, check, scan)


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Run]:
    if not (MOCK / LIBRARY).is_file():
        pytest.skip("no NVML mock")  # the tests carry the reason; this only keeps the fixture from running
    base = tmp_path_factory.mktemp("nvml-mock")
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 1)) as pool:
        return {run.profile.name: run for run in pool.map(lambda p: _run(p, base / p.name), load_profiles())}
