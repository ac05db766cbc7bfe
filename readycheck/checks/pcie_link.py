"""pcie.link: every GPU's PCIe link runs at the full width and generation the GPU can do.

A link trained narrower than its maximum (x8 of x16) halves host-to-GPU
bandwidth and usually means a badly seated GPU, riser or cable; it does not
recover by itself. A link whose maximum generation is below the GPU's own
(Gen3 on a Gen4 GPU) means the slot, riser or a BIOS PCIe speed setting caps
it. Both fail. The current generation dropping below the maximum is power
saving at idle and passes (it is noted); the width must not drop. When the
pack sets `min_width` or `min_gen`, the current width and the maximum
generation must also reach them (a GPU in a x8 slot, a platform that must run
Gen5). Values that could not be read are `unknown`.

The GPU of a Grace superchip (GH200, GB200) reaches its CPU over NVLink-C2C,
not PCIe: its PCIe link is x1 by design (NVIDIA DCGM's diagnostic asks these
parts for `min_pci_width: 1.0`, nvvs/diag-skus.yaml.in at NVIDIA/DCGM@72fa3fe;
the real GH200 capture shows x1 Gen4). `min_width` and `min_gen` do not apply
to it, and the finding says so: never a reseat-the-GPU failure.
"""

from __future__ import annotations

from readycheck.catalogue.gpus import on_c2c
from readycheck.checks import Setting
from readycheck.checks.lib.gpus import per_gpu
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "pcie.link"
SETTINGS = {
    "min_width": Setting("int", None, "lanes every GPU link must have (current width), e.g. 16; unset: only the GPU's"
                                      " own maximum counts"),
    "min_gen": Setting("int", None, "PCIe generation every GPU link must reach (maximum generation), e.g. 5; unset: "
                                    "only the GPU's own maximum counts"),
}

RESEAT = "reseat the GPU and its riser or cable (check `lspci -vv` LnkSta), then re-run"
SLOT = "move the GPU to a slot or riser wired for it"


def check(facts, settings):
    def judge(gpu):
        c2c = on_c2c(gpu.get("name"))
        min_width, min_gen = (None, None) if c2c else (settings["min_width"], settings["min_gen"])
        width, width_max = gpu["pcie_link_width_current"], gpu["pcie_link_width_max"]
        gen, gen_max = gpu.get("pcie_link_gen_current"), gpu["pcie_link_gen_max"]
        gen_gpu = gpu.get("pcie_link_gen_gpu_max")
        observed = {"width": width, "width_max": width_max, "gen": gen, "gen_max": gen_max, "gen_gpu_max": gen_gpu}
        expected = {"width": max(width_max, min_width or 0), "gen_max": max(gen_gpu or 0, min_gen or 0) or None}
        problems = []
        if width < width_max:
            problems.append((f"link trained at x{width} of x{width_max}", RESEAT))
        elif min_width and width < min_width:
            problems.append((f"link is x{width}, the platform needs x{min_width}", SLOT))
        if gen_gpu is not None and gen_max < gen_gpu:
            problems.append((f"link capped at Gen{gen_max}, the GPU can do Gen{gen_gpu}: the slot, riser or "
                             "BIOS PCIe speed setting limits it",
                             f"set the slot's PCIe speed to Gen{gen_gpu} or Auto in the BIOS, or {SLOT}"))
        elif min_gen and gen_max < min_gen:
            problems.append((f"link reaches Gen{gen_max}, the platform needs Gen{min_gen}", SLOT))
        if problems:
            return Finding(ID, FAIL, gpu_subject(gpu), observed, expected,
                           "; ".join(message for message, _ in problems),
                           "; ".join(dict.fromkeys(remedy for _, remedy in problems)))
        if gen_gpu is None:
            return Finding(ID, UNKNOWN, gpu_subject(gpu), observed, expected,
                           missing(gpu, "pcie_link_gen_gpu_max"), READ_BY_HAND)
        idle = f"; Gen{gen} now, power saving at idle" if gen is not None and gen < gen_max else ""
        note = "; the GPU reaches its Grace CPU over NVLink-C2C, PCIe is a side link" if c2c else ""
        return Finding(ID, PASS, gpu_subject(gpu), observed, expected, f"x{width} Gen{gen_max}{idle}{note}")

    yield from per_gpu(ID, facts, ("pcie_link_width_current", "pcie_link_width_max", "pcie_link_gen_max"), judge)
