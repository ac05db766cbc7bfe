"""`nvidia-smi -q -x`: the XML log, DTD v11, v12 and v13 (what each maps to: `nvidia_smi`).

A capture is untrusted, so the parser never expands an entity it did not
define itself: the document may have nvidia-smi's own `<!DOCTYPE
nvidia_smi_log SYSTEM "nvsmi_device_vNN.dtd">` (the external DTD is never
fetched: Python's expat parser does not load it) but no internal subset and no
`<!ENTITY` declaration anywhere, so neither entity expansion ("billion
laughs") nor external entities can happen. GPUs are indexed in the order of
their `<gpu>` elements, which is nvidia-smi's order.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from readycheck.importers.common import Capture, CaptureError, Node
from readycheck.importers.nvidia_smi import SECTION_ID, XML, header, read_gpus

NAME = "nvidia-smi-xml"

QUOTED = r"(?:\"[^\"]*\"|'[^']*')"
SAFE_DOCTYPE = re.compile(rf"<!DOCTYPE\s+[\w.:-]+(?:\s+(?:SYSTEM\s+{QUOTED}|PUBLIC\s+{QUOTED}\s+{QUOTED}))?\s*>")
DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>?", re.IGNORECASE)
START = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE\s+nvidia_smi_log|<nvidia_smi_log[\s>])")


def detect(text: str) -> bool:
    return START.match(text) is not None


def parse(text: str, source: str) -> Capture:
    _refuse_entities(text, source)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise CaptureError(f"{source}: not well-formed XML ({exc})") from None
    if root.tag != "nvidia_smi_log":
        raise CaptureError(f"{source}: XML root is <{root.tag}>, expected <nvidia_smi_log>")
    capture = Capture(NAME)
    top = Node(children={child.tag: _node(child) for child in root if child.tag != "gpu"})
    header(capture, top, XML)
    gpus = []
    for element in root.findall("gpu"):
        gpu = _node(element)
        if element.get("id"):
            gpu.children[SECTION_ID] = Node(element.get("id"))
        gpus.append(gpu)
    read_gpus(capture, top, gpus, XML)
    return capture


def _refuse_entities(text: str, source: str) -> None:
    if re.search(r"<!ENTITY", text, re.IGNORECASE):
        raise CaptureError(f"{source}: XML declares entities (<!ENTITY): refused, a capture has none")
    doctypes = DOCTYPE.findall(text)
    if len(doctypes) > 1 or (doctypes and not SAFE_DOCTYPE.fullmatch(doctypes[0])):
        raise CaptureError(f"{source}: XML <!DOCTYPE> with an internal subset: refused, nvidia-smi writes only "
                           "<!DOCTYPE nvidia_smi_log SYSTEM \"nvsmi_device_vNN.dtd\">")


def _node(element: ET.Element) -> Node:
    """The element as a `Node`: children by tag (the first of repeated tags), else its text."""
    node = Node(None if len(element) else (element.text or "").strip())
    for child in element:
        if child.tag not in node.children:
            node.children[child.tag] = _node(child)
    return node
