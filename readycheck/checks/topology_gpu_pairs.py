"""topology.gpu_pairs: every pair of GPUs is connected as closely as the platform expects.

The words are those of `nvidia-smi topo -m`: `NV<n>` (n bonded NVLinks),
then over PCIe from closest to farthest `PIX`, `PXB`, `PHB`, `NODE`, `SYS`.
On an HGX H100 every pair shows NV18 through the NVSwitches. A pair that
shows a PCIe word there has no working NVLink path: its peer-to-peer traffic
crawls over PCIe and the CPU interconnect, and NCCL is an order of magnitude
slower between those two GPUs. A pair with fewer NVLinks (NV17) lost a link.

With `expected_link` set, each pair must be at least that close: for
`NV<n>`, n or more NVLinks (any PCIe word fails); for a PCIe word, NVLink or
that word or a closer one. With `nvlink_peers` set, each GPU must reach at
least that many other GPUs over NVLink (any `NV<n>`), or every other GPU on a
node with fewer: 1 for cards paired by NVLink bridges (H100 NVL, H200 NVL),
where the pair whose bridge links are down shows a PCIe word and fails; 7 on
an 8-GPU NVSwitch baseboard whose link count the pack does not set. Pairs whose connection could not be read are
`unknown`. The finding's `observed` is the matrix as `nvidia-smi topo -m`
prints it: one row per GPU, `{"GPU0": ["X", "NV18", ...], ...}`, columns in
the same order as the rows, `X` on the diagonal, null where unread. It is
reported (as a `skip`) even when the pack sets no expectation. A single GPU
has no pair and passes, unless the facts show only one of more GPUs (an
imported `nvidia-smi -q -i N` whose driver counts more, or pairs listed with
the link unread, such as `NotInSource`): then `unknown`.

A pair whose connection could not be read is `unknown`; so is a pair with a GPU in MIG
mode, whose NVLinks NVML does not report (a PCIe path would under-state the pair).
NotSupported NVLink (a PCIe part) leaves the PCIe path, judged as such.
"""

from __future__ import annotations

import functools
import re

from readycheck.checks import Setting
from readycheck.checks.lib.gpus import no_gpus
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import missing
from readycheck.facts.views import gpu_count
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject, listed

ID = "topology.gpu_pairs"
SETTINGS = {
    "expected_link": Setting("str", None, "connection every GPU pair must reach, in `nvidia-smi topo -m` words, e.g. "
                                          "\"NV18\"; unset: the matrix is reported, not judged"),
    "nvlink_peers": Setting("int", None, "other GPUs each GPU must reach over NVLink (or all others, when fewer), "
                                         "e.g. 1 for bridged pairs; unset: not judged"),
}

PCIE_WORDS = ("PIX", "PXB", "PHB", "NODE", "SYS")  # closest first, as in `nvidia-smi topo -m`'s legend


def check(facts, settings):
    gpus = facts["gpus"]
    if not gpus:
        yield no_gpus(ID, facts)
        return
    pairs = {(p["gpu_a"], p["gpu_b"]): p for p in facts.get("topology") or []}
    indices = [gpu["index"] for gpu in gpus]
    subjects = [gpu_subject(gpu) for gpu in gpus]  # by bus id where an imported `-q -i N` showed no index

    def pair_of(i, j):
        a, b = indices[i], indices[j]
        return None if a is None or b is None else pairs.get((min(a, b), max(a, b)))

    matrix = {subject.upper() if indices[i] is not None else subject:
              ["X" if i == j else (pair_of(i, j) or {}).get("link") for j in range(len(gpus))]
              for i, subject in enumerate(subjects)}
    wanted = settings["expected_link"]
    if settings["nvlink_peers"]:
        yield _peers(matrix, indices, settings["nvlink_peers"])
        if wanted is None:
            return
    if wanted is None:
        yield not_configured(ID, "expected_link")._replace(observed=matrix)
        return
    if _nvlinks(wanted) is None and wanted not in PCIE_WORDS:
        yield Finding(ID, UNKNOWN, "host", matrix, wanted,
                      f"expected_link {wanted!r} is not a `nvidia-smi topo -m` word (NV<n>, {', '.join(PCIE_WORDS)})",
                      "fix expected_link in the rule pack")
        return
    expected = f"{wanted} or closer between every GPU pair"
    short: dict[str, list[str]] = {}
    unread = []
    for i in range(len(gpus)):
        for j in range(i + 1, len(gpus)):
            pair, name = pair_of(i, j), f"{subjects[i]}-{subjects[j]}"
            if pair is None or pair.get("link") is None:
                unread.append(f"{name} {missing(pair, 'link')}")
            elif not _meets(pair["link"], wanted):
                short.setdefault(pair["link"], []).append(name)
    count = len(indices) * (len(indices) - 1) // 2
    if short:
        below = "; ".join(f"{word}: {listed(names, sep=' ')}" for word, names in short.items())
        note = f" (also unread: {listed(unread)})" if unread else ""
        remedy = ("NVLink does not carry these pairs: see nvlink.links and nvlink.fabric, make sure Fabric "
                         "Manager runs, then reset the GPUs or reboot" if _nvlinks(wanted) is not None else
                         "the GPUs sit farther apart on PCIe than the platform should: check slots, risers and the "
                         "BIOS PCIe settings against the vendor's layout")
        yield Finding(ID, FAIL, "host", matrix, expected,
                      f"{sum(map(len, short.values()))} of {count} GPU pairs below {wanted}: {below}{note}",
                      remedy)
    elif unread:
        yield Finding(ID, UNKNOWN, "host", matrix, expected, f"pair connection unread: {listed(unread)}",
                      "read the matrix with `nvidia-smi topo -m` by hand and re-run readycheck as root")
    elif count == 0:
        hidden = _hidden_pairs(facts, indices)
        if hidden:
            yield Finding(ID, UNKNOWN, "host", matrix, expected, f"only one GPU shown, pairs not judged: {hidden}",
                          "capture every GPU (`nvidia-smi -q`, not `-i N`, and `nvidia-smi topo -m`) or run "
                          "readycheck on the node")
        else:
            yield Finding(ID, PASS, "host", matrix, expected, "a single GPU: no pair to judge")
    else:
        words = sorted({link for row in matrix.values() for link in row} - {"X"})
        yield Finding(ID, PASS, "host", matrix, expected, f"all {count} GPU pairs: {', '.join(words)}")


def _peers(matrix, indices, peers):
    """Each GPU reaches at least `peers` other GPUs (all others, when fewer) over NVLink in the matrix."""
    needed = min(peers, len(indices) - 1)
    expected = f">= {needed} NVLink peers per GPU"
    counts = {row: sum(1 for link in links if link and _nvlinks(link) is not None) for row, links in matrix.items()}
    unread = sorted(row for row, links in matrix.items() if None in links)
    short = [f"{row.lower()} ({count})" for row, count in counts.items() if count < needed and row not in unread]
    if short:
        return Finding(ID, FAIL, "host", matrix, expected, f"GPUs with fewer than {needed} NVLink peers: "
                       f"{', '.join(short)}: their NVLinks are down (a bridge not seated, or links that did not train)",
                       "check the NVLink bridges are seated and `nvidia-smi nvlink -s` shows the links active; reset "
                       "the GPUs or reboot, and replace the bridge if the links stay down")
    if any(counts[row] < needed for row in unread):
        return Finding(ID, UNKNOWN, "host", matrix, expected, f"pair connection unread for {', '.join(unread)}",
                       "read the matrix with `nvidia-smi topo -m` by hand and re-run readycheck as root")
    return Finding(ID, PASS, "host", matrix, expected, f"every GPU has >= {needed} NVLink peers")


def _hidden_pairs(facts, indices):
    """Why a facts snapshot that shows one GPU may hide pairs ("" for a real single-GPU node): the driver
    counts more GPUs than shown (an imported `nvidia-smi -q -i N`), or the facts list pairs left unread."""
    attached = gpu_count(facts)
    if attached > len(indices):
        return f"the driver counts {attached} GPUs, the facts show {len(indices)}"
    unread = sorted({missing(p, "link") for p in facts.get("topology") or [] if p.get("link") is None})
    return f"GPU pairs listed but unread: {', '.join(unread)}" if unread else ""


@functools.lru_cache(maxsize=256)  # a handful of words, asked for every GPU pair of every node
def _nvlinks(word):
    """n for `NV<n>`, else None."""
    match = re.fullmatch(r"NV(\d+)", word)
    return int(match.group(1)) if match else None


@functools.lru_cache(maxsize=256)
def _meets(found, wanted):
    """Whether a pair connected by `found` is at least as close as `wanted`."""
    if _nvlinks(found) is not None:
        return _nvlinks(wanted) is None or _nvlinks(found) >= _nvlinks(wanted)
    return _nvlinks(wanted) is None and found in PCIE_WORDS and PCIE_WORDS.index(found) <= PCIE_WORDS.index(wanted)
