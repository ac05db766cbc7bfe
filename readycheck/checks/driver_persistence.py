"""driver.persistence: every GPU has persistence mode as the platform expects (on, by default).

Without persistence mode the driver tears a GPU down when its last client
exits and initialises it again for the next one: every job start pays seconds
of latency, and settings applied to the GPU between jobs can be lost. NVIDIA
recommends the nvidia-persistenced daemon, which keeps the GPUs initialised,
over the legacy `nvidia-smi -pm 1`. This check fails for each GPU whose
persistence mode differs from `expected`; the message says whether
nvidia-persistenced is running. A mode that could not be read is `unknown`.

A persistence mode that could not be read (NotSupported included: every data-center GPU
has it) is `unknown`. MIG does not change it, which is the whole GPU's.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, Finding, gpu_subject

ID = "driver.persistence"
SETTINGS = {"expected": Setting("bool", True, "persistence mode every GPU should have")}


def check(facts, settings):
    expected = settings["expected"]
    daemon = _daemon_state(facts["nvidia"])

    def judge(gpu):
        mode = gpu["persistence_mode"]
        message = f"persistence mode {'on' if mode else 'off'}; {daemon}"
        if mode == expected:
            return Finding(ID, PASS, gpu_subject(gpu), mode, expected, message)
        return Finding(ID, FAIL, gpu_subject(gpu), mode, expected, message,
                       "enable nvidia-persistenced: `systemctl enable --now nvidia-persistenced`" if expected
                       else "stop nvidia-persistenced (`systemctl disable --now nvidia-persistenced`) "
                            "or set expected = true in the pack")

    yield from per_gpu(ID, facts, ("persistence_mode",), judge)


def _daemon_state(nvidia):
    active = (nvidia.get("persistenced") or {}).get("active")
    if active is None:
        why = reason(nvidia, "persistenced.active")
        return f"whether nvidia-persistenced runs is unknown ({why})"
    return f"nvidia-persistenced is {'running' if active else 'not running'}"
