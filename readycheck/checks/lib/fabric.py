"""Shapes shared by the NVLink, topology, InfiniBand and network checks.

NVLink: a GPU with no NVLink at all (a PCIe part: NVML answers `NotSupported`
for its links, or lists none) is `skip` for every NVLink check, never `fail`.

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
from functools import partial
from typing import Any

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus, per_gpu_feature
from readycheck.checks.lib.unread import probe_failure, reason
from readycheck.facts import ALL_LINKS_INACTIVE
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


def per_nvlink_gpu(check_id: str, facts: dict[str, Any], judge: Callable[[dict[str, Any]], Finding],
                   none_active: Callable[[dict[str, Any]], Finding] | None = None) -> Iterator[Finding]:
    """One finding per GPU: `skip` for a GPU without NVLink, `unknown` where its links could not be
    read, else `judge(gpu)` (which may rely on `gpu["nvlinks"]` being a non-empty list). A GPU whose
    links are not listed because none is active (`AllLinksInactive`: an imported `nvidia-smi nvlink -s`)
    gets `none_active(gpu)` where given (a count of 0 active links), else `unknown` like unread links."""
    def judge_links(gpu: dict[str, Any]) -> Finding:
        return judge(gpu) if gpu["nvlinks"] else no_nvlink(check_id, gpu)

    if not facts["gpus"]:
        yield no_gpus(check_id, facts)
        return
    for gpu in facts["gpus"]:
        if none_active is not None and reason(gpu, "nvlinks", None) == ALL_LINKS_INACTIVE:
            yield none_active(gpu)
        else:
            yield from per_gpu_feature(check_id, {**facts, "gpus": [gpu]}, ("nvlinks",), judge_links,
                                       partial(no_nvlink, check_id))


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
