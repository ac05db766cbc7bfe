"""gpu.vbios_uniform: all GPUs of one model run the same VBIOS version.

The VBIOS carries the board's power, clock and thermal tables. A GPU that
came back from RMA or was swapped in the field often has a different VBIOS
than its neighbours, and then boosts, throttles and sometimes trains its
links differently: a multi-GPU job runs at the pace of the odd one, and the
vendor's support asks for uniform firmware first. GPUs are grouped by model
(NVML name); a model whose GPUs report more than one VBIOS version fails,
and the finding names which GPUs have which version. A GPU whose name or
VBIOS version could not be read makes the check `unknown`. A node with a
single GPU passes: there is nothing to compare.

The check does not say which version is right: compare with the platform
vendor's current firmware bundle.

GPUs that already differ fail even when another GPU's version is unread; otherwise an
unread version (NotSupported included) is `unknown`. MIG does not change the VBIOS.
"""

from __future__ import annotations

from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.checks.lib.versions import disagreement, versions_by
from readycheck.findings import PASS, Finding, gpu_subject, listed

ID = "gpu.vbios_uniform"
SETTINGS: dict = {}


def check(facts, settings):
    gpus = facts["gpus"]
    if not gpus:
        yield no_gpus(ID, facts)
        return
    subjects = [(gpu_subject(gpu), gpu) for gpu in gpus]
    unread = {subject: why for subject, gpu in subjects if (why := missing(gpu, "name", "vbios_version"))}
    mixed, uniform = versions_by((gpu["name"], gpu["vbios_version"], subject) for subject, gpu in subjects
                                 if subject not in unread)
    expected = "one VBIOS version per GPU model"
    fault = disagreement(ID, mixed, unread, expected,
                         "flash the odd GPUs with the platform vendor's firmware bundle so all match", READ_BY_HAND)
    if fault:
        yield fault
        return
    note = " (a single GPU: nothing to compare)" if len(gpus) == 1 else ""
    yield Finding(ID, PASS, "host", observed=uniform, expected=expected,
                  message=listed(f"{name}: {version}" for name, version in uniform.items()) + note)

