"""`nvidia-smi nvlink -s`: each GPU's NVLinks, active (with their speed) or `<inactive>`.

Maps to each GPU's `index`, `name`, `uuid` and `nvlinks` (`{link, active}`
per link). The NVLink version, the remote device and its PCI address, and the
error counters are not in this output: null, `NotInSource` (so
nvlink.links judges the link count and leaves a version it is asked to check
`unknown`). A GPU listed with no link lines has no NVLink (`[]`, as the probe
records a PCIe part). A GPU in MIG mode, for which nvidia-smi refuses NVLink
queries, has `nvlinks` null with the reason `MigMode`; any other message
under a GPU is kept in `probe_errors` and its links are null, `Unparseable`.
Lines before the first GPU (a pasted prompt, `....` where the poster cut
GPUs out) are not part of the output and are skipped.
"""

from __future__ import annotations

import re

from readycheck.facts import MIG_MODE, NOT_IN_SOURCE, UNPARSEABLE, Record
from readycheck.facts.fields import NVLINK_FIELDS
from readycheck.importers.common import NUMBER, Capture, text_lines

NAME = "nvidia-smi-nvlink"

GPU_LINE = re.compile(r"^GPU (\d+): (.+?) \(UUID: (.*)\)$")
LINK_LINE = re.compile(r"^\s*Link (\d+): (.+)$")
ELISION = re.compile(r"^\s*(\.{3,}|…)\s*$")
SPEED = re.compile(rf"{NUMBER}\s*GB/s")
MIG_REFUSAL = "not supported for Devices in MIG mode"


def detect(text: str) -> bool:
    """A GPU line followed by link lines or the MIG refusal (GPU lines alone are `nvidia-smi -L`)."""
    lines = text_lines(text[:8192])
    return any(GPU_LINE.match(this) and (LINK_LINE.match(following) or MIG_REFUSAL in following)
               for this, following in zip(lines, lines[1:]))


def parse(text: str, source: str) -> Capture:
    capture = Capture(NAME)
    gpu: Record | None = None
    for line in text_lines(text):
        header = GPU_LINE.match(line)
        if header:
            gpu = Record(index=int(header.group(1)), name=header.group(2), nvlinks=[])
            if header.group(3).startswith(("GPU-", "MIG-")):
                gpu.set("uuid", header.group(3))
            capture.gpus.append(gpu)
            continue
        if gpu is None or not line.strip() or ELISION.match(line):
            continue
        link = LINK_LINE.match(line)
        if link and gpu.values["nvlinks"] is not None:
            gpu.values["nvlinks"].append(_link(int(link.group(1)), link.group(2).strip()))
        elif MIG_REFUSAL in line:
            gpu.missing("nvlinks", MIG_MODE)
        elif not link:
            gpu.missing("nvlinks", UNPARSEABLE)
            capture.probe_errors.append({"probe": "nvml", "error": f"{NAME}: GPU {gpu.values['index']}: "
                                                                   f"{line.strip()[:200]}"})
    return capture


def _link(number: int, state: str) -> dict:
    """`25 GB/s` is an active link, `<inactive>` an inactive one."""
    link = Record(link=number)
    if state == "<inactive>" or SPEED.fullmatch(state):
        link.set("active", state != "<inactive>")
    else:
        link.missing("active", UNPARSEABLE)
    for name in NVLINK_FIELDS[2:]:
        link.missing(name, NOT_IN_SOURCE)
    return link.as_dict()
