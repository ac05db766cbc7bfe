"""host.memory: the node has the host memory its platform needs, absolutely and for its GPUs.

Host memory feeds the GPUs: data loaders, pinned staging buffers, checkpoints
taken from GPU memory all live there, and a node short of it swaps or kills
jobs that run fine on its neighbours. A DIMM that failed training at boot
simply disappears from the total. `memory_total_mib` (MemTotal) below
`min_mib` fails, and so does MemTotal below `min_ratio_to_gpu_memory` times
the memory of all GPUs together (the DGX H100 ships 2 TB for its 640 GB of GPU
memory). MemTotal is the installed memory less what the firmware and kernel
reserve, so set `min_mib` a few percent below the installed size. A value
that could not be read is `unknown`.

A pack clears an inherited figure with 0; with neither figure the check is skipped.

NotSupported and MIG do not apply: the host's memory is read from the kernel.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "host.memory"
SETTINGS = {
    "min_mib": Setting("int", None, "least host memory (MemTotal) in MiB; unset or 0: not judged"),
    "min_ratio_to_gpu_memory": Setting("float", None, "least host memory as a multiple of all GPUs' memory; unset or "
                                                      "0: not judged"),
}

REMEDY = "check the DIMMs in the BMC's event log and `dmidecode -t memory`: reseat or replace the missing DIMM"


def check(facts, settings):
    min_mib, ratio = settings["min_mib"] or None, settings["min_ratio_to_gpu_memory"] or None
    if min_mib is None and ratio is None:
        yield not_configured(ID, "min_mib")
        return
    host = facts["host"]
    found = host.get("memory_total_mib")
    if found is None:
        yield Finding(ID, UNKNOWN, "host", message=missing(host, "memory_total_mib"),
                      remedy="read MemTotal in /proc/meminfo by hand")
        return
    needed, problems, unread = [], [], ""
    if min_mib is not None:
        needed.append(f">= {min_mib} MiB")
        if found < min_mib:
            problems.append(f"{found:.0f} MiB, less than the {min_mib} MiB the platform needs")
    if ratio is not None:
        gpu_mib = sum(gpu.get("memory_total_mib") or 0 for gpu in facts["gpus"])
        unread = no_gpus(ID, facts).message if not facts["gpus"] else \
            next((f"{gpu_subject(gpu)} {missing(gpu, 'memory_total_mib')}" for gpu in facts["gpus"]
                  if gpu.get("memory_total_mib") is None), "")
        if not unread:
            wanted = ratio * gpu_mib
            needed.append(f">= {ratio:g} x {gpu_mib:.0f} MiB of GPU memory = {wanted:.0f} MiB")
            if found < wanted:
                problems.append(f"{found:.0f} MiB is {found / gpu_mib:.2f} x the GPUs' memory, the platform "
                                f"needs {ratio:g} x")
    expected = " and ".join(needed)
    if problems:
        yield Finding(ID, FAIL, "host", found, expected, "; ".join(problems), REMEDY)
    elif unread:
        yield Finding(ID, UNKNOWN, "host", found, expected, f"GPU memory unknown: {unread}", READ_BY_HAND)
    else:
        yield Finding(ID, PASS, "host", found, expected, f"{found:.0f} MiB")
