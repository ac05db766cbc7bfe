"""driver.cuda: the driver supports the CUDA version the site's software needs.

Every CUDA application needs a driver at least as new as the CUDA toolkit it
was built with (minor-version compatibility stretches this within a major
version, with limits: newer PTX cannot be JIT-compiled). The driver reports the
newest CUDA version it supports (`nvmlSystemGetCudaDriverVersion_v2`, the
"CUDA Version" in `nvidia-smi`). Below the pack's `min` it fails, naming the
lowest Linux driver that supports that CUDA version (NVIDIA release notes).
A version that could not be read (no libcuda), or is not a dotted version
number, is `unknown`; without `min` the check is skipped.

NotSupported and MIG do not apply: a CUDA version the driver did not give is `unknown`.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import READ_BY_HAND
from readycheck.checks.lib.versions import unreadable
from readycheck.facts import versions
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "driver.cuda"
SETTINGS = {"min": Setting("version", None, "minimum CUDA driver API version, e.g. \"12.4\"")}

# CUDA version -> lowest Linux x86_64 driver that supports it (CUDA toolkit release notes).
CUDA_MIN_DRIVER = {
    "13.2": "595.45.04", "13.1": "590.44.01", "13.0": "580.65.06", "12.9": "575.51.03",
    "12.8": "570.26", "12.6": "560.28.03", "12.5": "555.42.02", "12.4": "550.54.14",
    "12.3": "545.23.06", "12.2": "535.54.03", "12.1": "530.30.02", "12.0": "525.60.13",
    "11.8": "520.61.05", "11.0": "450.51.06",
}


def check(facts, settings):
    minimum = settings["min"]
    if minimum is None:
        yield not_configured(ID, "min")
        return
    nvidia = facts["nvidia"]
    cuda = nvidia.get("cuda_driver_version")
    why = unreadable(nvidia, "cuda_driver_version")
    if why:
        yield Finding(ID, UNKNOWN, "host", cuda, f">= {minimum}", why, READ_BY_HAND)
        return
    if versions.at_least(cuda, minimum):
        yield Finding(ID, PASS, "host", cuda, f">= {minimum}", f"the driver supports CUDA {cuda}")
        return
    driver = CUDA_MIN_DRIVER.get(minimum)
    yield Finding(ID, FAIL, "host", cuda, f">= {minimum}",
                  f"the driver supports CUDA {cuda}, the site's software needs {minimum}",
                  f"install driver {driver} or newer (CUDA {minimum}) and reboot" if driver
                  else f"install a driver that supports CUDA {minimum} (see NVIDIA's CUDA release notes) and reboot")
