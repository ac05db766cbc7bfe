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

GPUDirect RDMA (`gpudirect_rdma = true`) has two kernel paths, and either
passes: the `nvidia_peermem` module loaded, or the kernel's DMA-BUF, which
NVIDIA recommends ("NVIDIA recommends using the DMA-BUF rather than using the
nvidia-peermem kernel module from the GPU Driver") and which needs the open
GPU kernel module and Linux 5.12 or later (GPU Operator, "GPUDirect RDMA and
GPUDirect Storage", Common Prerequisites:
https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-operator-rdma.html).
The driver's module type is `nvidia.kernel_module_type` (from
/proc/driver/nvidia/version), the kernel `host.kernel`. Neither path fails;
without peermem, a module type or kernel that could not be read is `unknown`.

NotSupported and MIG do not apply: the modules are read from the kernel.
"""

from __future__ import annotations

import re

from readycheck.checks import Setting
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "driver.modules"
SETTINGS = {
    "expected": Setting("list[str]", ["nvidia", "nvidia_uvm"], "kernel modules that must be loaded"),
    "gpudirect_rdma": Setting("bool", False, "GPUDirect RDMA must work: nvidia_peermem loaded, or the open kernel "
                                             "module on Linux 5.12+ (DMA-BUF)"),
}
DMABUF_KERNEL = (5, 12)  # GPU Operator's DMA-BUF prerequisite: "Linux Kernel | 5.12 or higher."
RDMA_REMEDY = ("load nvidia_peermem (`modprobe nvidia-peermem`), or use DMA-BUF, which NVIDIA recommends: the open "
               "GPU kernel modules (driver package nvidia-driver-<branch>-open) on Linux 5.12 or later")

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
    if settings["gpudirect_rdma"]:
        rdma, observed["gpudirect_rdma"] = _rdma(facts, loaded.get("nvidia_peermem"))
        if rdma is False:
            problems.append(observed["gpudirect_rdma"])
            remedies.append(RDMA_REMEDY)
        elif rdma is None:
            unknown.append(observed["gpudirect_rdma"])
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
        rdma = f"; {observed['gpudirect_rdma']}" if "gpudirect_rdma" in observed else ""
        yield Finding(ID, PASS, "host", observed, expected, f"loaded: {', '.join(expected)}{rdma}")


def _rdma(facts, peermem):
    """(True, how) when GPUDirect RDMA has a kernel path, (False, why not), or (None, what was not read)."""
    if peermem is not None:
        return True, "GPUDirect RDMA through nvidia_peermem"
    nvidia, host = facts["nvidia"], facts["host"]
    module = nvidia.get("kernel_module_type")
    kernel = host.get("kernel")
    found = re.match(r"(\d+)\.(\d+)", kernel or "")
    release = (int(found.group(1)), int(found.group(2))) if found else None
    if module == "proprietary" or (release is not None and release < DMABUF_KERNEL):
        why = ("the driver is the proprietary kernel module" if module == "proprietary"
               else f"Linux {kernel} is older than 5.12")
        return False, f"no GPUDirect RDMA path: nvidia_peermem is not loaded and DMA-BUF needs the open kernel " \
                      f"module on Linux 5.12+ ({why})"
    if module is None or release is None:
        unread = [f"kernel module type ({reason(nvidia, 'kernel_module_type')})"] if module is None else []
        unread += [f"kernel release ({reason(host, 'kernel')})"] if release is None else []
        return None, f"GPUDirect RDMA: nvidia_peermem not loaded, and for DMA-BUF {' and '.join(unread)} unread"
    return True, f"GPUDirect RDMA through DMA-BUF (open kernel module, Linux {kernel})"
