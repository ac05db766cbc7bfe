"""`nvidia-smi nvlink -s`: each GPU's NVLinks, active (with their speed) or `<inactive>`.

Maps to each GPU's `index`, `name`, `uuid` and `nvlinks` (`{link, active}`
per link). The NVLink version, the remote device and its PCI address, and the
error counters are not in this output: null, `NotInSource` (so
nvlink.links judges the link count and leaves a version it is asked to check
`unknown`). A GPU listed with no link lines has no NVLink (`[]`, as the probe
records a PCIe part). A GPU nvidia-smi says has none ("Device does not have or
support Nvlink") likewise. A GPU whose links are all down gets no link lines
either but "NVML: Unable to retrieve Nvlink information as all links are
inActive" (a GeForce with NVLink and no bridge; an HGX GPU whose links did not
train): it has NVLink and 0 active links, how many links it has is not
printed, so `nvlinks` is null with the reason `AllLinksInactive` (nvlink.links
counts that as 0 active). A GPU in MIG mode, for which nvidia-smi refuses
NVLink queries, has `nvlinks` null with the reason `MigMode`; any other message
under a GPU is kept in `probe_errors` and its links are null, `Unparseable`.
Lines before the first GPU (a pasted prompt, `....` where the poster cut
GPUs out) are not part of the output and are skipped.
"""

from __future__ import annotations

import re

from readycheck.facts import ALL_LINKS_INACTIVE, MIG_MODE, NOT_IN_SOURCE, UNPARSEABLE, Record
from readycheck.facts.fields import NVLINK_FIELDS
from readycheck.importers.common import NUMBER, Capture, text_lines

NAME = "nvidia-smi-nvlink"

GPU_LINE = re.compile(r"^GPU (\d+): (.+?) \(UUID: (.*)\)$")
LINK_LINE = re.compile(r"^\s*Link (\d+): (.+)$")
ELISION = re.compile(r"^\s*(\.{3,}|…)\s*$")
SPEED = re.compile(rf"{NUMBER}\s*GB/s")
NO_NVLINK = ""  # the GPU has no NVLink: `nvlinks` is []
# What nvidia-smi prints under a GPU instead of its links (matched case-blind: the wording's case
# varies between drivers, "NVLink" / "Nvlink") → the reason its `nvlinks` are null, or NO_NVLINK.
MESSAGES = {
    "not supported for devices in mig mode": MIG_MODE,
    "all links are inactive": ALL_LINKS_INACTIVE,
    "device does not have or support nvlink": NO_NVLINK,
}


def _message(line: str) -> str | None:
    """What a message line under a GPU says (see MESSAGES), None for any other line."""
    lowered = line.lower()
    return next((said for words, said in MESSAGES.items() if words in lowered), None)


def detect(text: str) -> bool:
    """A GPU line followed by link lines or one of nvidia-smi's messages (GPU lines alone are `nvidia-smi -L`)."""
    lines = text_lines(text[:8192])
    return any(GPU_LINE.match(this) and (LINK_LINE.match(following) or _message(following) is not None)
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
        link, said = LINK_LINE.match(line), _message(line)
        if link and gpu.values["nvlinks"] is not None:
            gpu.values["nvlinks"].append(_link(int(link.group(1)), link.group(2).strip()))
        elif said == NO_NVLINK:
            gpu.set("nvlinks", [])
        elif said is not None:
            gpu.missing("nvlinks", said)
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
