"""`nvidia-smi -q` (and `-q -i N`, `-q -d ...`): the indented text log (what each maps to: `nvidia_smi`).

The text is read into a tree by indentation. A GPU is a `GPU 00000000:19:00.0`
line at the left margin: the GPUs are counted from those sections, not from
the header's "Attached GPUs" (`-q -i N` shows one GPU of many; the snapshot
then holds that one, its index not in the capture, and `probe_errors` says
the rest are not in the source). `MIG Device` sections inside a GPU are instances of that GPU,
not GPUs; their counters are not read.
"""

from __future__ import annotations

import re

from readycheck.importers.common import Capture, Node, text_lines
from readycheck.importers.nvidia_smi import SECTION_ID, TEXT, header, read_gpus

NAME = "nvidia-smi-text"

BANNER = re.compile(r"^=+NVSMI LOG=+$", re.MULTILINE)
GPU_SECTION = re.compile(r"GPU [0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]")
SEPARATOR = re.compile(r"\s+:(?:\s+|$)")


def detect(text: str) -> bool:
    return BANNER.search(text[:4096]) is not None


def parse(text: str, source: str) -> Capture:
    top, gpus = _tree(text_lines(text))
    capture = Capture(NAME)
    header(capture, top, TEXT)
    read_gpus(capture, top, gpus, TEXT)
    return capture


def _tree(lines: list[str]) -> tuple[Node, list[Node]]:
    """The log as a tree (first of repeated keys wins) and the GPU sections in order."""
    top, gpus = Node(), []
    stack: list[tuple[int, Node]] = [(-1, top)]
    for line in lines:
        line = line.expandtabs(8)
        content = line.lstrip(" ")
        if not content or BANNER.match(content):
            continue
        indent = len(line) - len(content)
        key, *value = SEPARATOR.split(content, maxsplit=1)
        node = Node(value[0].strip() if value else None)
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if indent == 0 and GPU_SECTION.fullmatch(key):
            node.children[SECTION_ID] = Node(key[len("GPU "):])
            gpus.append(node)
        parent.children.setdefault(key, node)
        stack.append((indent, node))
    return top, gpus
