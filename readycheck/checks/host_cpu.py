"""host.cpu: the CPUs are the model the platform was built with, in enough sockets, with enough cores per GPU.

The host CPUs prepare every batch the GPUs train on; a node built with a
cheaper SKU, or with one socket where two were ordered, leaves GPUs waiting
on the data loaders. `cpu_model` must contain one of the `model` substrings
(case does not matter), `cpu_sockets` must reach `min_sockets`, and the
physical cores (`cpu_cores`, all sockets) divided by the number of GPUs must
reach `min_cores_per_gpu`. A value that could not be read is `unknown`.

A pack clears an inherited figure with an empty list or 0; with none set the check is skipped.

NotSupported and MIG do not apply: the host's CPUs are read from the kernel.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import contains, no_gpus
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding

ID = "host.cpu"
SETTINGS = {
    "model": Setting("list[str]", None, "substrings, any of which the CPU model must contain, e.g. [\"Xeon(R) Platinum"
                                        " 8480\"]; unset or empty: not judged"),
    "min_sockets": Setting("int", None, "least number of CPU sockets; unset or 0: not judged"),
    "min_cores_per_gpu": Setting("float", None, "least physical CPU cores per GPU; unset or 0: not judged"),
}

REMEDY = "check the CPUs against the build sheet (`lscpu`) and the BIOS (cores disabled?); replace the wrong part"


def check(facts, settings):
    model, sockets, per_gpu = settings["model"], settings["min_sockets"] or None, settings["min_cores_per_gpu"] or None
    if not model and sockets is None and per_gpu is None:
        yield not_configured(ID, "model")
        return
    host = facts["host"]
    observed = {field: host.get(field) for field in ("cpu_model", "cpu_sockets", "cpu_cores")}
    expected, problems, unread = {}, [], []
    if model:
        expected["model"] = model
        if host.get("cpu_model") is None:
            unread.append(missing(host, "cpu_model"))
        elif not any(contains(host["cpu_model"], pattern) for pattern in model):
            problems.append(f"CPU {host['cpu_model']} is not one of {', '.join(model)}")
    if sockets is not None:
        expected["sockets"] = f">= {sockets}"
        if host.get("cpu_sockets") is None:
            unread.append(missing(host, "cpu_sockets"))
        elif host["cpu_sockets"] < sockets:
            problems.append(f"{host['cpu_sockets']} CPU sockets, the platform has {sockets}")
    if per_gpu is not None:
        expected["cores_per_gpu"] = f">= {per_gpu:g}"
        if host.get("cpu_cores") is None:
            unread.append(missing(host, "cpu_cores"))
        elif not facts["gpus"]:
            unread.append(no_gpus(ID, facts).message)
        elif host["cpu_cores"] / len(facts["gpus"]) < per_gpu:
            problems.append(f"{host['cpu_cores']} cores for {len(facts['gpus'])} GPUs is "
                            f"{host['cpu_cores'] / len(facts['gpus']):.1f} per GPU, the platform needs {per_gpu:g}")
    if problems:
        yield Finding(ID, FAIL, "host", observed, expected, "; ".join(problems), REMEDY)
    elif unread:
        yield Finding(ID, UNKNOWN, "host", observed, expected, "; ".join(unread),
                      "read the CPUs by hand (`lscpu`) and re-run readycheck")
    else:
        yield Finding(ID, PASS, "host", observed, expected,
                      f"{host.get('cpu_sockets') or '?'} x {host.get('cpu_model') or 'CPU'}")
