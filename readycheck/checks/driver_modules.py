"""driver.modules: the NVIDIA kernel modules the platform needs are loaded, at the driver's version.

`nvidia` drives the GPUs and `nvidia_uvm` gives CUDA its unified memory: CUDA
programs fail without it. Sites add `nvidia_peermem` for GPUDirect RDMA over
InfiniBand, `nvidia_fs` for GPUDirect Storage and `gdrdrv` for GDRCopy. This
check fails naming each expected module that is not loaded, and fails when a
driver module (nvidia, nvidia_uvm, nvidia_modeset, nvidia_drm, nvidia_peermem)
declares a version other than the driver's: the stale module left loaded
after a driver upgrade without a reboot. nvidia_fs and gdrdrv carry their own
version numbers and are not compared. A module whose presence could not be
read is `unknown`.

NotSupported and MIG do not apply: the modules are read from the kernel.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "driver.modules"
SETTINGS = {"expected": Setting("list[str]", ["nvidia", "nvidia_uvm"], "kernel modules that must be loaded")}

# Modules built and versioned with the driver itself.
DRIVER_MODULES = ("nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_drm", "nvidia_peermem")


def check(facts, settings):
    nvidia = facts["nvidia"]
    loaded = nvidia.get("kernel_modules") or {}
    driver = nvidia.get("driver_version")
    expected = settings["expected"]
    observed = {module: loaded.get(module) for module in expected}
    missing, unknown, stale = [], [], []
    for module, version in observed.items():
        if version is None:
            why = (reason(nvidia, f"kernel_modules.{module}", "") if module in loaded
                   else reason(nvidia, "kernel_modules"))
            if why:
                unknown.append(f"{module} ({why})")
            else:
                missing.append(module)
        elif module in DRIVER_MODULES and version and driver and version != driver:
            stale.append(f"{module} {version}")

    problems, remedies = [], []
    if missing:
        problems.append(f"not loaded: {', '.join(missing)}")
        remedies.append(f"load them (`modprobe {missing[0]}`) or install the driver package that provides them")
    if stale:
        problems.append(f"loaded at another version than driver {driver}: {', '.join(stale)}")
        remedies.append("reboot so the loaded modules match the installed driver")
    if problems:
        yield Finding(ID, FAIL, "host", observed, expected, "; ".join(problems), "; ".join(remedies))
    elif unknown:
        yield Finding(ID, UNKNOWN, "host", observed, expected, f"module state unavailable: {', '.join(unknown)}",
                      "check `lsmod | grep nvidia` by hand and re-run readycheck as root")
    else:
        yield Finding(ID, PASS, "host", observed, expected, f"loaded: {', '.join(expected)}")
