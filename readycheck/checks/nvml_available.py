"""nvml.available: the NVIDIA driver answers through NVML.

Every GPU reading comes from NVML (libnvidia-ml.so, installed with the
driver). When it cannot be loaded or initialised, nothing else about the GPUs
can be judged: this check fails with NVML's own words ("Driver Not Loaded",
"libnvidia-ml.so.1 not found"), and the per-GPU checks report `unknown`.
Facts imported from captures that carry no GPU data (an `ibstat` alone) make
it `unknown`: the capture cannot tell whether the driver answers.

NotSupported and MIG do not apply: this check says whether NVML answered at all.
"""

from __future__ import annotations

from readycheck.facts import NOT_IN_SOURCE
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "nvml.available"
SETTINGS: dict = {}


def check(facts, settings):
    nvidia = facts["nvidia"]
    if nvidia.get("nvml_available"):
        yield Finding(ID, PASS, "host", observed=f"NVML {nvidia.get('nvml_version') or '(version unknown)'}",
                      expected="NVML loaded", message="the NVIDIA driver answers through NVML")
        return
    reason = nvidia.get("nvml_error") or "reason not recorded"
    if reason.startswith(NOT_IN_SOURCE):
        yield Finding(ID, UNKNOWN, "host", observed=reason, expected="NVML loaded",
                      message=f"the imported captures say nothing of the driver: {reason}",
                      remedy="add an `nvidia-smi -q -x` capture of the same node, or run readycheck on it")
        return
    yield Finding(ID, FAIL, "host", observed=reason, expected="NVML loaded",
                  message=f"no NVIDIA driver answered: {reason}",
                  remedy="install or load the NVIDIA driver (check `lsmod | grep nvidia` and `nvidia-smi`)")
