"""Shapes shared by the NVLink, topology, InfiniBand and network checks.

NVLink: a GPU with no NVLink at all (a PCIe part: NVML answers `NotSupported`
for its links, or lists none) is `skip` for every NVLink check where the pack
does not say the platform has NVLink. Where it does (nvlink.links
`expected_links`), a GPU that reports no link is a fault nvlink.links fails
and the other NVLink checks cannot judge (`unknown`). On a GPU in MIG mode
NVML answers no NVLink query: `unknown` for every NVLink check.

InfiniBand: a node without an HCA has an empty `infiniband` list. The checks
say so in words and leave to ib.ports whether the platform needs one; an
empty list because the probe itself failed is `unknown`, not "no HCA".
Storage and management ports are left out of the compute checks by HCA name
pattern (`exclude_devices`) or, where the pack's `[platform]` names the
compute fabric's `compute_link_layer` ("InfiniBand", or "Ethernet" for RoCE),
by link layer: a port of the other layer is not a compute port. Each port left
out gets a `skip` that says why, so nothing disappears silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import Any

from readycheck.checks import Setting
from readycheck.checks.lib import expects
from readycheck.checks.lib.gpus import no_gpus, per_gpu
from readycheck.checks.lib.unread import probe_failure, reason
from readycheck.facts import ALL_LINKS_INACTIVE, MIG_MODE, NOT_SUPPORTED
from readycheck.findings import SKIP, UNKNOWN, Finding, gpu_subject, port_subject

NO_HCA = "no InfiniBand or RoCE HCA on this node (/sys/class/infiniband is empty)"
READ_PORTS = "list the HCA ports by hand (`ibstat`) and re-run readycheck as root"

PORT_FILTER = {
    "exclude_devices": Setting("list[str]", [], "HCA name patterns that are not compute ports (storage, "
                                                "management), e.g. [\"mlx5_bond_*\"]; the link layer of compute "
                                                "ports is the pack's [platform] compute_link_layer"),
}


def no_nvlink(check_id: str, gpu: dict[str, Any]) -> Finding:
    return Finding(check_id, SKIP, gpu_subject(gpu),
                   message=f"{gpu.get('name') or 'this GPU'} has no NVLink (a PCIe part): nothing to judge")


def no_nvlink_reported(check_id: str, gpu: dict[str, Any], features: frozenset[str] | None,
                       status: str = UNKNOWN) -> Finding:
    """A GPU that lists no NVLink (NotSupported or none): `skip` where the pack does not say the platform
    has NVLink, `unknown` on a GPU in MIG mode (NVML answers no NVLink query then), else `status`."""
    if not expects.has(features, expects.NVLINK):
        return no_nvlink(check_id, gpu)
    subject, name = gpu_subject(gpu), gpu.get("name") or "this GPU"
    if gpu.get("mig_mode_current") or reason(gpu, "nvlinks", "") == MIG_MODE:
        return Finding(check_id, UNKNOWN, subject, message=f"{name} is in MIG mode, where NVML answers no NVLink "
                       "query", remedy="drain the node, disable MIG (`nvidia-smi -mig 0`, then reset the GPU) and "
                                       "re-run to judge the NVLinks")
    why = reason(gpu, "nvlinks", "") or "none listed"
    return Finding(check_id, status, subject, observed=0, message=f"{name} reports no NVLink ({why}), but the "
                   "platform's GPUs have NVLink (nvlink.links expected_links)",
                   remedy="check that the GPU is the platform's SXM part and seated in its baseboard, that the driver "
                          "sees the NVLinks (`nvidia-smi nvlink -s`), then reset the GPU or reboot")


def per_nvlink_gpu(check_id: str, facts: dict[str, Any], judge: Callable[[dict[str, Any]], Finding],
                   features: frozenset[str] | None = None, status: str = UNKNOWN,
                   none_active: Callable[[dict[str, Any]], Finding] | None = None) -> Iterator[Finding]:
    """One finding per GPU: for a GPU that lists no NVLink, `no_nvlink_reported` (`skip`, or `status`
    where the pack says the platform has NVLink); `unknown` where its links could not be read; else
    `judge(gpu)` (which may rely on `gpu["nvlinks"]` being a non-empty list). A GPU whose links are not
    listed because none is active (`AllLinksInactive`: an imported `nvidia-smi nvlink -s`) gets
    `none_active(gpu)` where given (a count of 0 active links), else `unknown` like unread links."""
    if not facts["gpus"]:
        yield no_gpus(check_id, facts)
        return
    for gpu in facts["gpus"]:
        if none_active is not None and reason(gpu, "nvlinks", None) == ALL_LINKS_INACTIVE:
            yield none_active(gpu)
        elif gpu.get("nvlinks") == [] or (gpu.get("nvlinks") is None and reason(gpu, "nvlinks") in (NOT_SUPPORTED,
                                                                                                      MIG_MODE)):
            yield no_nvlink_reported(check_id, gpu, features, status)
        else:
            yield from per_gpu(check_id, {**facts, "gpus": [gpu]}, ("nvlinks",), judge)


def unread_ports(check_id: str, facts: dict[str, Any]) -> Finding | None:
    """`unknown` when the port list is empty because the InfiniBand probe failed, else None."""
    error = probe_failure(facts, "infiniband")
    if not error:
        return None
    return Finding(check_id, UNKNOWN, "host", message=f"InfiniBand ports not read: {error}", remedy=READ_PORTS)


def no_hca(check_id: str, facts: dict[str, Any]) -> Finding:
    """The finding for a port check on a node whose facts list no HCA port."""
    return unread_ports(check_id, facts) or Finding(
        check_id, SKIP, "host", observed=0, message=f"{NO_HCA}: nothing to judge (ib.ports says whether the "
                                                    "platform needs one)")


def compute_layer(platform: dict[str, Any] | None) -> str | None:
    """The compute fabric's link layer from the pack's [platform] table, or None: every layer counts
    (unset, or "any")."""
    layer = (platform or {}).get("compute_link_layer")
    return None if layer == "any" else layer


def excluded_device(port: dict[str, Any], settings: dict[str, Any]) -> str:
    """The `exclude_devices` pattern `port`'s HCA matches, or ""."""
    return next((pattern for pattern in settings["exclude_devices"] if fnmatchcase(port["device"], pattern)), "")


def exclusion(port: dict[str, Any], settings: dict[str, Any], layer: str | None) -> str:
    """Why `port` is not a compute port (its HCA excluded by name, or its link layer not the compute
    fabric's `layer`), or "" when it is one or may be (a link layer that was not read)."""
    pattern = excluded_device(port, settings)
    if pattern:
        return f"HCA name matches {pattern!r}"
    if layer and port.get("link_layer") is not None and port["link_layer"] != layer:
        return f"link layer {port['link_layer']}, the compute fabric is {layer} ([platform] compute_link_layer)"
    return ""


def excluded(check_id: str, port: dict[str, Any], why: str) -> Finding:
    return Finding(check_id, SKIP, port_subject(port),
                   message=f"not a compute port ({why}): left out by the rule pack")
