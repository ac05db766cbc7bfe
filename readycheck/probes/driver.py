"""The NVIDIA driver stack outside NVML: driver version, kernel modules, Fabric Manager, persistenced.

These facts answer "is the stack loaded and running" even when NVML is not
(a driver that failed to load still leaves `/proc/modules` and unit state to
read). The NVML probe runs first, so its `driver_version` wins the merge; the
one read here from `/proc/driver/nvidia/version` fills it when NVML is absent.
The same line says which kernel module the driver is, beyond facts v1:
`kernel_module_type` is "open" for NVIDIA's open GPU kernel modules ("NVIDIA
UNIX Open Kernel Module for x86_64") and "proprietary" for the others ("NVIDIA
UNIX x86_64 Kernel Module"). It decides whether GPUDirect RDMA can use the
kernel's DMA-BUF instead of nvidia_peermem: NVIDIA's GPU Operator page
"GPUDirect RDMA and GPUDirect Storage" lists "An Open Kernel module driver is
required" and Linux "5.12 or higher" for DMA-BUF
(https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-operator-rdma.html).

`kernel_modules` maps each of nvidia, nvidia_uvm, nvidia_modeset,
nvidia_peermem, nvidia_fs and gdrdrv to:
- the module's own version (`/sys/module/<m>/version`), when it declares one;
- `""` when it is loaded (listed in `/proc/modules`) but declares no version.
  The driver version is deliberately not substituted: a check comparing module
  and driver versions would then compare the driver with itself;
- `null` when it is not loaded.
When `/proc/modules` cannot be read, a module without a version file is null
and `unavailable` holds `kernel_modules.<m>` with the reason.

`fabricmanager` and `persistenced` come from `systemctl show <unit>` on the
live host (`installed` = the unit is known to systemd, `active` = ActiveState
is "active"), the Fabric Manager version from `nv-fabricmanager --version`.
Without systemd (a container, an offline tree) `installed` falls back to the
unit file or binary being present under the root, and what cannot be known is
null. Reasons for nested fields sit in `nvidia.unavailable` under dotted keys
(`fabricmanager.active`, `fabricmanager.version`, `persistenced.active`), since
the nested objects are fixed by the contract to exactly their fields.
"""

from __future__ import annotations

import re
from typing import Any

from readycheck.facts import NOT_FOUND, NOT_IN_SOURCE, Record, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.sysfs import read_text, read_value

MODULES = ("nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_peermem", "nvidia_fs", "gdrdrv")

# "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024"
# "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  (...)"
_NVRM_VERSION = re.compile(r"^NVRM version:.*?Kernel Module(?:\s+for\s+\S+)?\s+(\d+(?:\.\d+)+)", re.MULTILINE)

_UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
_BIN_DIRS = ("/usr/bin", "/usr/sbin", "/bin", "/sbin")


def probe(ctx: ProbeContext) -> dict[str, Any]:
    nvidia = Record()
    nvidia.read_together(lambda: read_text(ctx.path("/proc/driver/nvidia/version")), {
        "driver_version": parse_driver_version,
        "kernel_module_type": parse_kernel_module_type,
    })
    nvidia.set("kernel_modules", _kernel_modules(ctx, nvidia.unavailable))

    fm_state = _unit_state(ctx, "nvidia-fabricmanager", "nv-fabricmanager")
    fm = {"installed": fm_state["installed"], "active": fm_state["active"], "version": None}
    if fm["installed"] is False:
        nvidia.unavailable["fabricmanager.version"] = NOT_FOUND
    else:
        try:
            fm["version"] = parse_fabricmanager_version(ctx.command(["nv-fabricmanager", "--version"]))
        except Unreadable as exc:
            nvidia.unavailable["fabricmanager.version"] = exc.reason
    if fm["active"] is None:
        nvidia.unavailable["fabricmanager.active"] = fm_state["reason"]
    nvidia.set("fabricmanager", fm)

    pd_state = _unit_state(ctx, "nvidia-persistenced", "nvidia-persistenced")
    if pd_state["active"] is None:
        nvidia.unavailable["persistenced.active"] = pd_state["reason"]
    nvidia.set("persistenced", {"active": pd_state["active"]})
    return {"nvidia": nvidia.as_dict()}


def parse_driver_version(text: str) -> str:
    match = _NVRM_VERSION.search(text)
    if not match:
        raise Unreadable(NOT_IN_SOURCE, "no 'NVRM version: ... Kernel Module <version>' line")
    return match.group(1)


def parse_kernel_module_type(text: str) -> str:
    """"open" for NVIDIA's open GPU kernel modules, "proprietary" for the others, from the NVRM version line."""
    line = next((line for line in text.splitlines() if line.startswith("NVRM version:")), None)
    if line is None or "Kernel Module" not in line:
        raise Unreadable(NOT_IN_SOURCE, "no 'NVRM version: ... Kernel Module' line")
    return "open" if "Open Kernel Module" in line else "proprietary"


def _kernel_modules(ctx: ProbeContext, unavailable: dict[str, str]) -> dict[str, str | None]:
    try:
        loaded: set[str] | None = {line.split()[0] for line in read_text(ctx.path("/proc/modules")).splitlines()
                                   if line.strip()}
        why_unknown = ""
    except Unreadable as exc:
        loaded, why_unknown = None, exc.reason
    modules: dict[str, str | None] = {}
    for module in MODULES:
        try:
            modules[module] = read_value(ctx.path(f"/sys/module/{module}/version"))
            continue
        except Unreadable:
            pass
        if loaded is None:
            modules[module] = None
            unavailable[f"kernel_modules.{module}"] = why_unknown
        else:
            modules[module] = "" if module in loaded else None
    return modules


def parse_fabricmanager_version(text: str) -> str:
    """`Fabric Manager version is : 550.54.15` → `550.54.15`."""
    match = re.search(r"version\D*?(\d+(?:\.\d+)+)", text, re.IGNORECASE)
    if not match:
        raise Unreadable(NOT_IN_SOURCE, f"no version in {text.strip()[:80]!r}")
    return match.group(1)


def parse_systemctl_show(text: str) -> dict[str, str]:
    """`Key=Value` lines of `systemctl show` as a dict."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _unit_state(ctx: ProbeContext, unit: str, binary: str) -> dict[str, Any]:
    """`{installed, active, reason}` for a systemd unit; `reason` explains a null `active`."""
    try:
        props = parse_systemctl_show(ctx.command(
            ["systemctl", "show", unit, "--property=LoadState,ActiveState", "--no-pager"]))
    except Unreadable as exc:
        return {"installed": _installed_on_disk(ctx, unit, binary), "active": None, "reason": exc.reason}
    load_state = props.get("LoadState")
    if load_state is None or "ActiveState" not in props:
        return {"installed": _installed_on_disk(ctx, unit, binary), "active": None, "reason": NOT_IN_SOURCE}
    # LoadState is "not-found" for a unit systemd has never heard of; "masked"
    # and "bad-setting" units are installed, just not startable.
    return {"installed": load_state != "not-found", "active": props["ActiveState"] == "active", "reason": ""}


def _installed_on_disk(ctx: ProbeContext, unit: str, binary: str) -> bool:
    candidates = [f"{d}/{unit}.service" for d in _UNIT_DIRS] + [f"{d}/{binary}" for d in _BIN_DIRS]
    return any(ctx.path(candidate).exists() for candidate in candidates)
