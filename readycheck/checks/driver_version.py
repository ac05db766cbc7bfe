"""driver.version: the NVIDIA driver is new enough for the GPUs and one the site allows.

A driver older than the GPU generation loads but cannot drive the GPUs (or
drives them without the fixes the platform was qualified with), and a fleet
running mixed drivers makes every incident harder to compare. This check fails
when the driver is below the pack's `min`, when `allowed` is set and the driver
matches none of its entries, and when it is below the minimum of the GPUs'
own architecture. It warns when the driver's branch is listed in
`eol_branches`: it still works, but receives no more security or bug fixes
(R525, R550, R560, R565 and R575 are end of life; R535 LTS ends June 2026,
R570 February 2026). A driver version that could not be read, or is not a
dotted version number, is `unknown`.

Architecture minimums, matched on the GPU name: Blackwell B200 570.133.20
(NVIDIA GPU Operator platform support: "HGX B200 requires a driver container
version of 570.133.20 or later"); Hopper H100/H800/H200/H20 and Ada
L40S/RTX 4090 525.60.13, the first production branch with full Hopper and Ada
support (CUDA 12.0, approximate: earlier drivers knew some SKUs); Ampere A100
450.80.02 (R450, the driver A100 launched with, CUDA 11.0).

NotSupported and MIG do not apply: a driver version NVML did not give is `unknown`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.unread import READ_BY_HAND
from readycheck.checks.lib.versions import unreadable
from readycheck.facts import versions
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding

ID = "driver.version"
SETTINGS = {
    "min": Setting("version", None, "lowest driver version accepted, e.g. \"535.161.08\""),
    "allowed": Setting("list[version]", [], "exact versions or branch prefixes like \"550.\"; empty = any"),
    "eol_branches": Setting("list[str]", [], "driver branches (\"525\") that are end of life: warn"),
}

# GPU-name substring -> (architecture, lowest driver that supports it). First match wins.
ARCHITECTURE_MINIMUM = (
    ("B200", "Blackwell", "570.133.20"),
    ("H100", "Hopper", "525.60.13"),
    ("H800", "Hopper", "525.60.13"),
    ("H200", "Hopper", "525.60.13"),
    ("H20", "Hopper", "525.60.13"),
    ("A100", "Ampere", "450.80.02"),
    ("L40S", "Ada", "525.60.13"),
    ("RTX 4090", "Ada", "525.60.13"),
)


def check(facts, settings):
    nvidia = facts["nvidia"]
    version = nvidia.get("driver_version")
    why = unreadable(nvidia, "driver_version")
    if why:
        yield Finding(ID, UNKNOWN, "host", version, message=why, remedy=READ_BY_HAND)
        return
    floors = [(f"the pack's minimum {settings['min']}", settings["min"])] if settings["min"] else []
    floors += [(f"{name} ({arch}) needs {minimum}", minimum) for name, arch, minimum in _gpu_minimums(facts["gpus"])]
    problems = [(FAIL, f"driver {version} is below {why}") for why, minimum in floors
                if not versions.at_least(version, minimum)]
    allowed = settings["allowed"]
    if allowed and not any(_matches(version, entry) for entry in allowed):
        problems.append((FAIL, f"driver {version} is not one the pack allows ({', '.join(allowed)})"))
    branch = versions.branch(version)
    if branch in {entry.upper().lstrip("R") for entry in settings["eol_branches"]}:
        problems.append((WARN, f"driver branch R{branch} is end of life: no more security or bug fixes"))

    floor = max((minimum for _, minimum in floors), key=versions.parse, default=None)
    expected = {"min": floor, "allowed": allowed or None}
    if not problems:
        yield Finding(ID, PASS, "host", version, expected, f"driver {version} (branch R{branch})")
        return
    worst = FAIL if any(level == FAIL for level, _ in problems) else WARN
    if worst == WARN:
        remedy = ("plan the move to a maintained driver branch (not in the pack's eol_branches), with the "
                  "matching Fabric Manager on NVSwitch systems")
    else:
        target = f"driver {floor} or newer" if floor else "a supported driver"
        remedy = (f"install {target} from a maintained branch the pack allows (with the matching "
                  "Fabric Manager on NVSwitch systems) and reboot")
    yield Finding(ID, worst, "host", version, expected, "; ".join(message for _, message in problems), remedy)


def _gpu_minimums(gpus):
    """(GPU name, architecture, minimum driver) once per distinct GPU name that the table knows."""
    names = sorted({gpu["name"] for gpu in gpus if gpu.get("name")})
    for name in names:
        for key, arch, minimum in ARCHITECTURE_MINIMUM:
            if key in name:
                yield name, arch, minimum
                break


def _matches(version, entry):
    """An `allowed` entry: a branch prefix ending in "." or one exact version."""
    if entry.endswith("."):
        return version.startswith(entry)
    return versions.parse(version) == versions.parse(entry)
