"""`nvidia-smi topo -m`: the GPU (and NIC) connection matrix.

Maps to `topology[]` (`{gpu_a, gpu_b, link}` for every GPU pair, in the
matrix's own words; the old `SOC` is today's `SYS`) and each GPU's
`numa_node` (the "NUMA Affinity" column; `N/A` is `NoAffinity`, as the probe
says for a GPU the firmware gave no node). The matrix has no HCA ports, so it
adds no `infiniband[]` entry; it places each NIC of the "NIC Legend"
(`NIC0: mlx5_0`) on the NUMA node of the GPUs it reaches without crossing the
CPU interconnect (PIX, PXB, PHB or NODE), and the merge gives that node to the
ports of that HCA where their own capture lacks it. A NIC only `SYS` from
every GPU gets no node: which of the other sockets is not in the matrix.
CPU affinity and the "GPU NUMA ID" column (present on newer drivers) are not
facts. Columns are split by tabs, as nvidia-smi prints them, so an empty cell
stays a cell (Windows prints no CPU or NUMA affinity: the GPU's `numa_node` is
then null, `NotSupported`), or, in a paste that turned tabs into spaces, by
runs of spaces; ANSI escape codes in the header are ignored.
"""

from __future__ import annotations

import re

from readycheck.facts import NO_AFFINITY, UNPARSEABLE, Record, Unreadable
from readycheck.importers.common import Capture, CaptureError, first_line, quantity, text_lines

NAME = "nvidia-smi-topo"

HEADER = re.compile(r"^\s+GPU0(\s.*)?$")
DEVICE = re.compile(r"(GPU\d+|NIC\d+|mlx\d+_\w+)")
LINK_WORDS = re.compile(r"NV\d+|PIX|PXB|PHB|NODE|SYS")
OLD_WORDS = {"SOC": "SYS"}
SAME_NODE = ("PIX", "PXB", "PHB", "NODE")
LEGEND = re.compile(r"^\s*(NIC\d+):\s*(\S+)\s*$")


def detect(text: str) -> bool:
    header = first_line(text_lines(text[:8192]))
    return HEADER.match(header) is not None and "Affinity" in header


def parse(text: str, source: str) -> Capture:
    lines = text_lines(text)
    start = lines.index(first_line(lines))
    columns = [word for word in lines[start].split() if DEVICE.fullmatch(word)]
    rows: dict[str, list[str]] = {}
    for number, line in enumerate(lines[start + 1:], start=start + 2):
        words = _cells(line)
        if not line.strip() or words[0] == "Legend:":
            break
        if words[0] not in columns or len(words) < len(columns) + 1:
            raise CaptureError(f"{source}: line {number}: expected a row of {len(columns)} connections, "
                               f"found {line.strip()[:60]!r}")
        rows[words[0]] = words[1:]
    gpus = [column for column in columns if column.startswith("GPU")]
    missing = [gpu for gpu in gpus if gpu not in rows]
    if missing:
        raise CaptureError(f"{source}: the matrix has no row for {', '.join(missing)}")
    names = dict(match.groups() for match in map(LEGEND.match, lines) if match)
    capture = Capture(NAME)
    capture.gpus = [_gpu(gpu, rows[gpu], len(columns)) for gpu in gpus]
    capture.topology = [_pair(rows, gpus, a, b) for a in range(len(gpus)) for b in range(a + 1, len(gpus))]
    for nic in (column for column in columns if not column.startswith("GPU")):
        node = _nic_node(nic, columns, rows, capture.gpus)
        if node is not None:
            capture.hca_numa_nodes[names.get(nic, nic)] = node
    return capture


def _cells(line: str) -> list[str]:
    """A row's cells: tab-separated as printed (empty cells kept), else split at spaces (a paste)."""
    return [cell.strip() for cell in line.split("\t")] if "\t" in line else line.split()


def _gpu(name: str, row: list[str], width: int) -> Record:
    """The GPU's NUMA node: the column after its connections and its CPU affinity."""
    gpu = Record(index=int(name[3:]))
    affinity = row[width + 1] if len(row) > width + 1 else None
    if affinity == "N/A":
        gpu.missing("numa_node", NO_AFFINITY)
    else:
        gpu.read("numa_node", quantity, affinity)
    return gpu


def _word(word: str) -> str:
    word = OLD_WORDS.get(word, word)
    if not LINK_WORDS.fullmatch(word):
        raise Unreadable(UNPARSEABLE, f"connection {word!r}")
    return word


def _pair(rows: dict[str, list[str]], gpus: list[str], a: int, b: int) -> dict:
    pair = Record(gpu_a=int(gpus[a][3:]), gpu_b=int(gpus[b][3:]))
    pair.read("link", _word, rows[gpus[a]][b])
    return pair.as_dict()


def _nic_node(nic: str, columns: list[str], rows: dict[str, list[str]], gpus: list[Record]) -> int | None:
    """The NUMA node of the GPUs this NIC reaches within one NUMA node, when they agree on one."""
    nodes = {gpu.values["numa_node"] for gpu in gpus
             if rows[f"GPU{gpu.values['index']}"][columns.index(nic)] in SAME_NODE}
    nodes.discard(None)
    return nodes.pop() if len(nodes) == 1 else None
