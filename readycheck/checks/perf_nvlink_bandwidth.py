"""perf.nvlink_bandwidth: every pair of NVLink-connected GPUs moves data at the speed of its links.

An NVLink that trained down, a cold NVSwitch port or a GPU with links in recovery still passes the
link-state checks while a pair runs at half speed. `scan --perf` copies between every pair of GPUs,
each direction on its own (nvbandwidth's device_to_device_memcpy_read_ce, else PyTorch peer copies);
a pair's figure is its slower direction. Each pair that the topology shows connected by NVLink
(`NV<n>`) is judged against `min_gb_per_s` and the median of the node's NVLink pairs; such a pair
without peer access fails; a pair connected over PCIe only is `skip` (its copies go over PCIe and
say nothing about NVLink). Subjects are `gpuA-gpuB` with A < B.

Without `--perf` this check is `skip`; a pair not measured is `unknown` with the reason.

NotSupported does not apply: the figures are measured, not read from NVML. MIG: a GPU in MIG mode
runs CUDA work only inside its instances, so the whole-GPU test cannot run on it: its pairs are not measured,
`unknown` with the reason.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.perf import MAX_BELOW_MEDIAN, judge, measured, rows
from readycheck.facts import NOT_SUPPORTED
from readycheck.findings import FAIL, SKIP, Finding, pair_subject

ID = "perf.nvlink_bandwidth"
SETTINGS = {
    "min_gb_per_s": Setting("float", None, "one-way GPU-to-GPU bandwidth floor in GB/s; "
                                           "unset: judged against the node's median only"),
    "max_below_median": MAX_BELOW_MEDIAN,
}
FIELD = "bandwidth_gb_per_s"
NO_PEER = ("check that Fabric Manager is running and the fabric registered (nvlink.fabric), then "
           "`nvidia-smi topo -p2p r`; a hypervisor or container may also block peer access")
REMEDY = ("read both GPUs' links (`nvidia-smi nvlink -s -i A`, `-e` for errors) and the fabric manager's "
          "log; reseat the GPU or baseboard whose links run slow")


def check(facts, settings):
    ended, perf = measured(ID, facts)
    yield from ended
    if ended:
        return
    if len(perf.get("gpus") or []) < 2:
        yield Finding(ID, SKIP, "host", message="a node with one GPU has no GPU pair")
        return
    links = {(t["gpu_a"], t["gpu_b"]): t.get("link") for t in facts.get("topology") or []}
    words = {link for link in links.values() if link}
    if words and not any(word.startswith("NV") for word in words):
        yield Finding(ID, SKIP, "host", ", ".join(sorted(words)), "NV<n>",
                      "no two GPUs are connected by NVLink (topology)")
        return
    nvlink_pairs = []
    for pair in perf.get("p2p") or []:
        link = links.get((pair["gpu_a"], pair["gpu_b"])) or links.get((pair["gpu_b"], pair["gpu_a"]))
        if link is not None and not link.startswith("NV"):
            yield Finding(ID, SKIP, pair_subject(pair), link, "NV<n>", f"connected by {link}, not NVLink")
        elif (pair.get("unavailable") or {}).get(FIELD) == NOT_SUPPORTED:
            yield Finding(ID, FAIL, pair_subject(pair), "no peer access", f"peer copies over {link or 'NVLink'}",
                          "CUDA reports no peer access between these GPUs", NO_PEER)
        else:
            nvlink_pairs.append(pair)
    if nvlink_pairs:
        yield from judge(ID, rows(perf, "p2p", nvlink_pairs, {"": FIELD}, pair_subject), {"": settings["min_gb_per_s"]},
                         settings["max_below_median"], "GB/s", REMEDY)
    elif not perf.get("p2p"):
        yield Finding(ID, SKIP, "host", message="the --perf results list no GPU pair")
