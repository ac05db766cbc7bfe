"""NVIDIA's Xid catalogue as data, and what an Xid line asks for.

NVIDIA's "Analyzing Xid Errors with the Xid Catalog"
(https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html) gives, for every Xid of Ampere
and newer GPUs, an immediate action ("Resolution Bucket (Immediate Action)": "the action that is
immediately needed in order to recover the system and get it back into service") and an investigatory
one. `xid.toml` beside this module holds codes 1-172 with both, and the page's "XID 144-150 Decode"
sheet. Three buckets need the line itself:

- Xid 154 carries its action in the message: "GPU recovery action changed from 0x0 (None) to 0x2
  (Node Reboot Required)"; the value after "to" is NVML's `nvmlDeviceGpuRecoveryAction_t` (nvml.h).
- Xid 144-150 (NVLink5) are decoded from the line's IntrInfo and error status with the decode sheet
  (masks differ before and from driver R575).
- The WORKFLOW_* buckets name a procedure; `ACTIONS` says which step applies to a node being accepted.

This module says what NVIDIA asks for; health.xid decides what that means for readiness.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, NamedTuple

SOURCE = "https://docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html"

# The catalogue's buckets ("Fault Resolution Buckets" sheet), each with what it asks of an operator.
ACTIONS = {
    "RESET_GPU": "drain the node and reset the GPU (`nvidia-smi -r -i {index}`) or reboot",
    "RESTART_BM": "reboot the node",
    "RESTART_VM": "restart the VM that owns the GPU",
    "CHECK_MECHANICALS": "check the GPU's seating and its power and board connections",
    "CONTACT_SUPPORT": "contact your support organisation (the system vendor or NVIDIA)",
    "UPDATE_SWFW": "update the driver and the GPU firmware to the latest versions",
    "RESTART_APP": "restart the application; the node needs nothing",
    "IGNORE": "no action",
    # Double-bit ECC error. Catalogue: "Solo: RESET_GPU; w/ 63 or 64: DRAIN_AND_RESET".
    "WORKFLOW_XID_48": "drain the node and reset the GPU (`nvidia-smi -r -i {index}`); run the field diagnostic",
    # NVLink error (A100/H100). Catalogue trigger: "A GPU reset or node reboot is needed to clear this error."
    "WORKFLOW_NVLINK_ERR": "reset the GPU (`nvidia-smi -r -i {index}`) or reboot; check the NVLink connections",
    # Catalogue: "Solo: RESTART_FM; Not Solo: IGNORE (follow guidance in other Xid)".
    "WORKFLOW_XID_45": "alone: restart Fabric Manager (`systemctl restart nvidia-fabricmanager`); with other "
                       "Xids: follow them",
    # Catalogue: "If UVM/vGPU is being utilized, RESET_GPU; otherwise IGNORE".
    "CHECK_UVM": "if UVM or vGPU is in use, reset the GPU (`nvidia-smi -r -i {index}`); otherwise no action",
    # Xid 144-150 rows. Catalogue: "If an XID 154 is seen along with this error, take that action. If no XID
    # 154 present, RESTART_APP" (the Xid 154 line is judged on its own).
    "XID_154_EVAL": "follow the Xid 154 logged with it; without one, restart the application",
    "XID_154": "follow the recovery action the Xid 154 line names",
    "WORKFLOW_NVLINK5_ERR": "decode the line with the catalogue's XID 144-150 Decode sheet",
    "": "the catalogue gives no action: read its entry",
}

# Xid 154's value after "to" -> its label and the bucket it asks for. Values: nvml.h
# nvmlDeviceGpuRecoveryAction_t (0-5; 6 and 7 from newer NVML: "Reset the GPU's PCIe bus", "Reboot the
# system", cuda-python's DeviceGpuRecoveryAction); labels: the catalogue's "None", "Drain P2P", "Drain and
# Reset", "GPU Reset Required", "Node Reboot Required". Buckets as NVIDIA's NVSentinel maps them
# (health-monitors/syslog-health-monitor: reset for "GPU Reset Required" and "Drain and Reset", reboot for
# "Node Reboot Required", none for "None", contact support for anything else).
RECOVERY_ACTIONS = {
    0: ("None", "IGNORE"),
    1: ("GPU Reset Required", "RESET_GPU"),
    2: ("Node Reboot Required", "RESTART_BM"),
    3: ("Drain P2P", "CONTACT_SUPPORT"),
    4: ("Drain and Reset", "RESET_GPU"),
    5: ("Recover IMEX Domain", "CONTACT_SUPPORT"),
    6: ("Bus Reset", "RESET_GPU"),
    7: ("System Reboot", "RESTART_BM"),
}
_RECOVERY = re.compile(r"recovery action changed from .*?\bto\s+(0x[0-9a-fA-F]+)", re.IGNORECASE)
# "... RLW_SRC_TRACK Nonfatal XC1 i0 Link 03 (0x040868e2 0x00000008 0x00000000 ...)": IntrInfo, error status.
_NVLINK5 = re.compile(r"\bLink\s+-?\d+\s*\(\s*(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)")
NVLINK5_V2_FROM = 575  # the decode sheet's "V1(<R575)/V2(>=R575)"


class Entry(NamedTuple):
    code: int
    name: str
    action: str
    investigatory: str


class Rule(NamedTuple):
    xid: int
    unit: str
    intrinfo_v1: str
    intrinfo_v2: str
    error_status: tuple[int, ...]
    action: str
    severity: str


class Verdict(NamedTuple):
    """What the catalogue asks for one logged Xid: its bucket and, where the line decided it, how."""

    action: str
    detail: str = ""


@functools.cache
def _data() -> dict[str, Any]:
    """xid.toml, parsed once per content and kept in the user's cache (readycheck.cache): a node whose log
    holds no Xid never parses it, and one that does need not import a TOML parser."""
    from readycheck import cache, tomltext

    path = Path(__file__).with_name("xid.toml")
    raw = path.read_bytes()
    return cache.remembered("xid-catalogue", raw, lambda: tomltext.parse(str(path), raw.decode("utf-8")))


@functools.cache
def entries() -> dict[int, Entry]:
    """Every code of the catalogue, by number."""
    return {int(code): Entry(int(code), row["name"], row["action"], row["investigatory"])
            for code, row in _data()["xid"].items()}


@functools.cache
def nvlink5_rules() -> tuple[Rule, ...]:
    return tuple(Rule(row["xid"], row["unit"], row["intrinfo_v1"], row["intrinfo_v2"],
                      tuple(int(status, 16) for status in row["error_status"]), row["action"], row["severity"])
                 for row in _data()["nvlink5"])


def entry(code: int) -> Entry | None:
    return entries().get(code)


def verdict(code: int, message: str, driver_version: str | None = None) -> Verdict:
    """The bucket the catalogue gives this logged Xid, reading the line where the catalogue says to.

    A code the catalogue does not list, or whose line cannot be decoded, gets the bucket "" (no action
    known): the caller decides what an unknown means."""
    found = entry(code)
    if found is None:
        return Verdict("", f"Xid {code} is not in NVIDIA's catalogue (codes 1-{max(entries())})")
    if found.action == "XID_154":
        return _recovery_action(message)
    if found.action == "WORKFLOW_NVLINK5_ERR":
        return _nvlink5(code, message, driver_version)
    return Verdict(found.action)


def _recovery_action(message: str) -> Verdict:
    match = _RECOVERY.search(message)
    if match is None:
        return Verdict("", "the recovery action could not be read from the line")
    value = int(match.group(1), 16)
    label, action = RECOVERY_ACTIONS.get(value, (f"value {value:#x}", "CONTACT_SUPPORT"))
    return Verdict(action, f"recovery action {value:#x} ({label})")


def _driver_branch(version: str | None) -> int | None:
    try:
        return int((version or "").split(".")[0])
    except ValueError:
        return None


def _matches(mask: str, value: int) -> bool:
    bits = f"{value & 0xFFFFFFFF:032b}"
    return len(mask) == 32 and all(m == "-" or m == b for m, b in zip(mask, bits))


def _nvlink5(code: int, message: str, driver_version: str | None) -> Verdict:
    """Decode an Xid 144-150 line: the row of the decode sheet whose error status equals the line's and
    whose IntrInfo mask for this driver (V2 from R575, V1 before; both when the driver is unknown, V2
    first) matches."""
    match = _NVLINK5.search(message)
    if match is None:
        return Verdict("", "no IntrInfo and error status in the line to decode")
    intr, status = int(match.group(1), 16), int(match.group(2), 16)
    branch = _driver_branch(driver_version)
    masks = ("intrinfo_v2",) if branch is not None and branch >= NVLINK5_V2_FROM else \
        ("intrinfo_v1",) if branch is not None else ("intrinfo_v2", "intrinfo_v1")
    for mask in masks:
        for rule in nvlink5_rules():
            if rule.xid == code and status in rule.error_status and _matches(getattr(rule, mask), intr):
                return Verdict(rule.action, f"{rule.unit}, error status {status:#x}: {rule.severity}")
    return Verdict("", f"IntrInfo {intr:#010x} with error status {status:#x} is not in the decode sheet")


def remedy(action: str, investigatory: str = "", index: int | str = "N") -> str:
    """What to do, in words: the immediate action, and contacting support where the catalogue's
    investigatory action says so."""
    words = ACTIONS.get(action, ACTIONS[""]).format(index=index)
    if investigatory == "CONTACT_SUPPORT" and action not in ("CONTACT_SUPPORT", "IGNORE", "RESTART_APP"):
        words += "; then " + ACTIONS["CONTACT_SUPPORT"]
    return words
