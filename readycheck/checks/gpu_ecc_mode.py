"""gpu.ecc_mode: ECC is in the mode the platform runs its GPU memory in, now and after the next reboot.

Without ECC a flipped bit in GPU memory silently corrupts a training run or
a result instead of being corrected or reported, and the memory-health
checks (health.ecc_errors, health.retired_pages) have no counters to read.
Data-center GPUs ship with ECC on; it is found off after someone disabled it
for a few percent more memory or bandwidth. Some GPUs support ECC and ship
with it off: a GeForce RTX 4090 reports `ECC Mode: Current Disabled, Pending
Disabled` (tests/data/captures/nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt).

`expected` says which mode the platform runs: `true` (the default) or
`false`, or `"any"` where either is fine (a workstation whose owner may
turn ECC on). A GPU in the other mode fails, even when its pending mode is
unread. An ECC change takes effect only at the next reboot or GPU reset, so
the pending mode is judged as well: in the expected mode now but leaving it
after the reboot warns; out of it now and entering it after the reboot still
fails (the GPU runs in the wrong mode until then); in the expected mode now
with the pending mode unread is `unknown`. Under `"any"` every GPU passes,
and a pending change is named.

NotSupported: GPUs without ECC (most GeForce) report it and are skipped
where the pack does not require ECC; on a pack that does (this check enabled
with `expected = true`), NotSupported hides what the platform has and is
`unknown`. MIG does not change the ECC mode, which is read per GPU.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.expects import ANY
from readycheck.checks.lib.gpus import per_gpu_feature, unsupported
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject, nvidia_smi_id

ID = "gpu.ecc_mode"
SETTINGS = {"expected": Setting("bool|any", True, "ECC mode the platform runs its GPUs in: true (on), false (off) "
                                                  "or \"any\" (either is fine)")}
NEEDS = ("features",)

WORD = {True: "on", False: "off", None: "unread"}


def check(facts, settings, features=None):
    wanted = settings["expected"]
    yield from per_gpu_feature(ID, facts, ("ecc_mode_current",), lambda gpu: _judge(gpu, wanted),
                               lambda gpu: unsupported(ID, gpu, "ecc_mode_current", features))


def _judge(gpu, wanted):
    subject = gpu_subject(gpu)
    current, pending = gpu["ecc_mode_current"], gpu.get("ecc_mode_pending")
    observed = {"current": current, "pending": pending}
    after = f", {WORD[pending]} after the next reboot" if pending not in (current, None) else ""
    if wanted == ANY:
        return Finding(ID, PASS, subject, observed, {"current": ANY, "pending": ANY},
                       f"ECC is {WORD[current]}{after} (the platform accepts either)")
    expected = {"current": wanted, "pending": wanted}
    switch = f"nvidia-smi -i {nvidia_smi_id(gpu)} -e {int(wanted)}"
    reboot = f"reboot the node (or reset the GPU: nvidia-smi -r -i {nvidia_smi_id(gpu)}) to apply it"
    if current != wanted:
        if pending == wanted:
            return Finding(ID, FAIL, subject, observed, expected,
                           f"ECC is {WORD[current]} until the next reboot (turning it {WORD[wanted]} is pending)",
                           reboot)
        return Finding(ID, FAIL, subject, observed, expected, f"ECC is {WORD[current]}, the platform runs it "
                       f"{WORD[wanted]}", f"turn ECC {WORD[wanted]} ({switch}), then {reboot}")
    if pending is None:
        return Finding(ID, UNKNOWN, subject, observed, expected,
                       f"ECC is {WORD[current]} now; {missing(gpu, 'ecc_mode_pending')}", READ_BY_HAND)
    if pending != wanted:
        return Finding(ID, WARN, subject, observed, expected,
                       f"ECC is {WORD[current]} now but is set to turn {WORD[pending]} at the next reboot",
                       f"cancel the change before rebooting: {switch}")
    return Finding(ID, PASS, subject, observed, expected, f"ECC is {WORD[current]}")
