"""gpu.count: the node has exactly as many GPUs as its platform has.

A GPU that fell off the bus or was never seated does not show in NVML at
all; the count is the first place it shows. Fewer GPUs than the pack expects
fails; more fails too (wrong pack, or a node that is not what was ordered).

For an imported capture, the count is the driver's "Attached GPUs" from its
header, so a capture of one GPU (`nvidia-smi -q -i 0`) still counts the node
(the count inventory.match compares with the order, too: one function,
`readycheck.facts.views.gpu_count`).

NotSupported does not apply. MIG: NVML counts physical GPUs, not MIG devices, so a MIG node
counts its GPUs as any other.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.settings import not_configured
from readycheck.facts.views import gpu_count
from readycheck.findings import FAIL, PASS, Finding

ID = "gpu.count"
SETTINGS = {"expected": Setting("int", None, "number of GPUs the platform has; unset: the check is skipped")}


def check(facts, settings):
    expected = settings["expected"]
    if expected is None:
        yield not_configured(ID, "expected")
        return
    if not facts["nvidia"].get("nvml_available"):
        yield no_gpus(ID, facts)
        return
    shown, found = len(facts["gpus"]), gpu_count(facts)
    partial = f" (the capture shows {shown})" if found != shown else ""
    if found == expected:
        yield Finding(ID, PASS, "host", observed=found, expected=expected, message=f"{found} GPUs found{partial}")
        return
    yield Finding(ID, FAIL, "host", observed=found, expected=expected,
                  message=f"{found} GPUs found{partial}, the platform has {expected}",
                  remedy="reseat or replace the missing GPU (check `lspci -d 10de:` and the kernel log for Xid 79)"
                  if found < expected else "check that the rule pack matches this platform")
