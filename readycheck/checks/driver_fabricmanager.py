"""driver.fabricmanager: Fabric Manager runs, at exactly the driver's version, on NVSwitch platforms.

On HGX/DGX systems the GPUs talk through NVSwitches, and the NVSwitch fabric
is set up by the Fabric Manager service (nvidia-fabricmanager). Without it
CUDA programs fail to start on those GPUs ("system not yet initialized").
Fabric Manager refuses to start unless its version equals the driver version
exactly; its log then says "driver interface version X don't match with driver
version Y" ("doesn't match" on newer drivers), which is the usual state after
upgrading one package and not the other.

The check applies when the pack expects Fabric Manager or when any GPU has an
NVLink to an NVSwitch. It fails when Fabric Manager is not installed, not
running, or not at the driver's version; a state it could not read is
`unknown`. Elsewhere (PCIe GPUs, bridged pairs) it is skipped. GPUs whose
fabric registration is not "completed" are named in the message; judging them
is left to the per-GPU fabric check.

NotSupported: a GPU that reports no NVLink has no link to an NVSwitch, so only the pack's
`expected` makes the check apply. MIG: a GPU in MIG mode answers no NVLink query, so on a
MIG node Fabric Manager is judged where the pack expects it.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.unread import missing, reason
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, gpu_subject

ID = "driver.fabricmanager"
SETTINGS = {"expected": Setting("bool", False, "Fabric Manager must run even when no NVLink to an NVSwitch is seen "
                                               "(NVSwitch platforms)")}

UNIT = "nvidia-fabricmanager"
LOG_WORDS = "the log says 'driver interface version ... don't match with driver version ...'"


def check(facts, settings):
    gpus = facts["gpus"]
    switched = [gpu_subject(gpu) for gpu in gpus
                if any(link.get("remote_device_type") == "switch" for link in gpu.get("nvlinks") or [])]
    if not (settings["expected"] or switched):
        if not gpus:
            yield no_gpus(ID, facts)
            return
        yield Finding(ID, SKIP, "host", message="no NVLink reaches an NVSwitch and the pack does not expect "
                      "Fabric Manager", remedy="set expected = true for this check if the platform has NVSwitches")
        return
    nvidia = facts["nvidia"]
    fm = nvidia.get("fabricmanager") or {}
    driver = nvidia.get("driver_version")
    observed = {field: fm.get(field) for field in ("installed", "active", "version")}
    status, message, remedy = _judge(observed, driver, nvidia)
    yield Finding(ID, status, "host", observed, {"installed": True, "active": True, "version": driver},
                  message + _fabric_note(gpus), remedy)


def _judge(fm, driver, nvidia):
    """(status, message, remedy) for Fabric Manager's state against the driver version."""
    install = f"install {UNIT} {driver or '(the driver version)'}, the driver's exact version"
    mismatch = fm["version"] != driver and None not in (fm["version"], driver)
    if fm["installed"] is False:
        return FAIL, "Fabric Manager is not installed", f"{install}, and `systemctl enable --now {UNIT}`"
    if fm["active"] is False:
        why = f": its version {fm['version']} differs from driver {driver} ({LOG_WORDS})" if mismatch else ""
        return (FAIL, f"Fabric Manager is not running{why}",
                f"{install}; `systemctl enable --now {UNIT}`" if mismatch
                else f"`systemctl enable --now {UNIT}`, and read `journalctl -u {UNIT}` if it stops again")
    if mismatch:  # a fault whether or not the service state could be read
        return (FAIL, f"Fabric Manager {fm['version']} differs from driver {driver}: it will not start again "
                f"({LOG_WORDS})", f"{install}, then `systemctl restart {UNIT}`")
    for field in ("installed", "active", "version"):
        if fm[field] is None:
            why = reason(nvidia, f"fabricmanager.{field}")
            return (UNKNOWN, f"fabricmanager.{field} unavailable ({why})",
                    f"check `systemctl status {UNIT}` and `nv-fabricmanager --version` by hand")
    if driver is None:
        return UNKNOWN, missing(nvidia, "driver_version"), "read the driver version with `nvidia-smi` by hand"
    return PASS, f"Fabric Manager {driver} is running", ""


def _fabric_note(gpus):
    """GPUs whose NVSwitch fabric registration has not completed, for the message."""
    pending = [f"{gpu_subject(gpu)} {gpu['fabric'].get('state')}" for gpu in gpus
               if gpu.get("fabric") and gpu["fabric"].get("state") != "completed"]
    return f"; GPU fabric state not completed: {', '.join(pending)} (see the per-GPU fabric check)" if pending else ""
