"""nvlink.fabric: every GPU on an NVSwitch fabric has finished registering with it, successfully.

On NVSwitch systems from Hopper on, each GPU registers with the NVLink fabric
that Fabric Manager sets up (`nvidia-smi -q` shows "Fabric: State Completed,
Status Success"). Until registration has completed, CUDA cannot use the GPU
for peer-to-peer traffic and jobs fail to start ("system not yet
initialized"); a registration that completed with an error leaves the GPU
without its NVLink peers.

A GPU whose fabric state is not `completed` fails (Fabric Manager not
running, still training, or stuck); a completed registration whose status is
not `success` fails with the error NVML gave, and a state that is not
`completed` fails even when the status is unread. A registered GPU whose
fabric health (R550+, `nvidia-smi -q`: Fabric, Health) names a fault fails
too: a route that is unhealthy or recovering, an access timeout recovery,
degraded bandwidth (Summary: Limited Capacity), an incorrect configuration; a
driver that reports no health is judged on state and status. A state that
could not be read (a driver older than R550 lacks the query:
FunctionNotFound) is `unknown`.

NotSupported: GPUs that have no fabric state to report (PCIe parts, bridged
pairs, A100 and older NVSwitch systems) and GPUs without NVLink are skipped,
unless the pack says the platform's GPUs register with an NVSwitch fabric
(`supported = true`, HGX and DGX Hopper and newer) or have NVLink: then it is
`unknown`. MIG does not hide the fabric state (a MIG-enabled H100 reports
"Completed"), but a GPU in MIG mode answers no NVLink query: `unknown`.
"""

from __future__ import annotations

from functools import partial

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import per_nvlink_gpu
from readycheck.checks.lib.gpus import unsupported
from readycheck.checks.lib.unread import lacks, missing, reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "nvlink.fabric"
SETTINGS = {"supported": Setting("bool", False, "the platform's GPUs register with an NVSwitch fabric (HGX and DGX "
                                                "Hopper and newer): NotSupported is then unknown, not skip")}
NEEDS = ("features",)

UNIT = "nvidia-fabricmanager"
READ_FABRIC = "read the Fabric section of `nvidia-smi -q` by hand (driver R550 or newer) and re-run as root"


def check(facts, settings, features=None):
    yield from per_nvlink_gpu(ID, facts, partial(_judge, features), features)


def _judge(features, gpu):
    subject = gpu_subject(gpu)
    fabric = gpu.get("fabric")
    if lacks(gpu, "fabric") or (fabric and fabric.get("state") == "not_supported"):
        return unsupported(ID, gpu, "fabric", features, READ_FABRIC)
    why = missing(gpu, "fabric") or missing(fabric, "state")
    if why:
        return Finding(ID, UNKNOWN, subject, message=why, remedy=READ_FABRIC)
    observed = {name: fabric.get(name) for name in ("state", "status", "clique_id")}
    expected = {"state": "completed", "status": "success"}
    if observed["state"] != "completed":
        return Finding(ID, FAIL, subject, observed, expected,
                       f"NVSwitch fabric registration {observed['state'].replace('_', ' ')}",
                       f"start Fabric Manager (`systemctl start {UNIT}`, see driver.fabricmanager) and re-run; "
                       f"if it does not complete, read `journalctl -u {UNIT}` and reset the GPUs")
    if observed["status"] is None:
        return Finding(ID, UNKNOWN, subject, observed, expected, missing(fabric, "status"), READ_FABRIC)
    if observed["status"] != "success":
        return Finding(ID, FAIL, subject, observed, expected,
                       f"NVSwitch fabric registration completed with error {observed['status']}",
                       f"read `journalctl -u {UNIT}` for the NVSwitch or NVLink it names, fix it, then reboot")
    health = fabric.get("health")
    if health:
        faults = ", ".join(h.replace("_", " ") for h in health)
        return Finding(ID, FAIL, subject, {**observed, "health": health}, {**expected, "health": []},
                       f"NVSwitch fabric registered, but its health says: {faults}",
                       f"read Fabric, Health in `nvidia-smi -q` and `journalctl -u {UNIT}` for the NVLink or "
                       "NVSwitch at fault; reset the GPU, and call the platform vendor if it stays")
    said = ""  # a snapshot from before facts carried health, or a capture that shows none, says nothing of it
    if "health" in fabric:
        said = "; healthy" if health == [] else f"; health not reported ({reason(fabric, 'health')})"
    return Finding(ID, PASS, subject, observed, expected,
                   f"fabric registration completed, success, clique {observed['clique_id']}{said}")
