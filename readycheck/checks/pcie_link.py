"""pcie.link: every GPU's PCIe link runs at the full width and generation the GPU and its slot can do.

A link trained narrower than its maximum (x8 of x16) halves host-to-GPU
bandwidth and usually means a badly seated GPU, riser or cable. A link whose
maximum generation is below the GPU's own (Gen3 on a Gen4 GPU) means the
slot, riser or a BIOS PCIe speed setting caps it: that fails at idle and
under load. With `min_width` or `min_gen` the link's maximum width and
generation must also reach them (a GPU in a x8 slot, a platform that must run
Gen5): that fails too.

NVIDIA documents that the current width, like the current generation, "may
be reduced when the GPU is not in use" (nvidia-smi documentation, PCIe link
fields). So at idle a current width below the maximum warns ("confirm under
load") and a lower current generation is noted, never failed. Under `--load`
the load phase samples the link's width and generation: a link that still
runs below its maximum width or generation under load fails. A load phase
that did not sample the link (an older snapshot) leaves the idle judgement.

A fault fails even when another value is unread; otherwise a value that
could not be read (NotSupported included: every GPU has a PCIe link, or a
C2C link that reports one) is `unknown`. MIG does not change the link, which
is the whole GPU's.

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
from readycheck.checks.lib.load import loaded_links
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding, gpu_subject

ID = "pcie.link"
SETTINGS = {
    "min_width": Setting("int", None, "lanes every GPU link must be able to run (its maximum width), e.g. 16; unset: "
                                      "only the GPU's own maximum counts"),
    "min_gen": Setting("int", None, "PCIe generation every GPU link must reach (maximum generation), e.g. 5; unset: "
                                    "only the GPU's own maximum counts"),
}

RESEAT = "reseat the GPU and its riser or cable (check `lspci -vv` LnkSta), then re-run"
SLOT = "move the GPU to a slot or riser wired for it"
UNDER_LOAD = "confirm under load: `readycheck scan --load 300`"


def check(facts, settings):
    links = loaded_links(facts)
    yield from per_gpu(ID, facts, (), lambda gpu: _judge(gpu, settings, None if links is None else links[gpu["index"]]))


def _judge(gpu, settings, under_load):
    c2c = on_c2c(gpu.get("name"))
    min_width, min_gen = (None, None) if c2c else (settings["min_width"], settings["min_gen"])
    width_max, gen_max, gen_gpu = gpu.get("pcie_link_width_max"), gpu.get("pcie_link_gen_max"), \
        gpu.get("pcie_link_gen_gpu_max")
    observed = {"width_max": width_max, "gen_max": gen_max, "gen_gpu_max": gen_gpu}
    expected = {"width": max(width_max or 0, min_width or 0) or None,
                "gen_max": max(gen_gpu or 0, min_gen or 0) or None}
    faults, warnings, notes = [], [], []
    unread = [missing(gpu, name) for name in ("pcie_link_width_max", "pcie_link_gen_max", "pcie_link_gen_gpu_max")
              if gpu.get(name) is None]
    if width_max is not None and min_width and width_max < min_width:
        faults.append((f"link can run x{width_max}, the platform needs x{min_width}", SLOT))
    if gen_max is not None and gen_gpu is not None and gen_max < gen_gpu:
        faults.append((f"link capped at Gen{gen_max}, the GPU can do Gen{gen_gpu}: the slot, riser or BIOS PCIe "
                       "speed setting limits it", f"set the slot's PCIe speed to Gen{gen_gpu} or Auto in the BIOS, "
                                                  f"or {SLOT}"))
    elif gen_max is not None and min_gen and gen_max < min_gen:
        faults.append((f"link reaches Gen{gen_max}, the platform needs Gen{min_gen}", SLOT))
    if under_load is not None and under_load != (None, None):
        observed["under_load"] = {"gen": under_load[0], "width": under_load[1]}
        _loaded(under_load, width_max, gen_max, faults, unread)
    else:  # at idle: the link now, which the driver may have narrowed or slowed to save power
        if under_load is not None:
            notes.append("the load phase did not sample the link: judged as at idle")
        width, gen = gpu.get("pcie_link_width_current"), gpu.get("pcie_link_gen_current")
        observed.update(width=width, gen=gen)
        if width is None:
            unread.append(missing(gpu, "pcie_link_width_current"))
        elif width_max is not None and width < width_max:
            warnings.append(f"x{width} of x{width_max} now: the width may be reduced while the GPU is idle")
        if gen is not None and gen_max is not None and gen < gen_max:
            notes.append(f"Gen{gen} now, power saving at idle")
    subject = gpu_subject(gpu)
    if faults:
        also = f"; also {'; '.join(unread)}" if unread else ""
        return Finding(ID, FAIL, subject, observed, expected, "; ".join([m for m, _ in faults] + warnings) + also,
                       "; ".join(dict.fromkeys(r for _, r in faults)))
    if unread:
        return Finding(ID, UNKNOWN, subject, observed, expected, "; ".join(unread + warnings), READ_BY_HAND)
    if warnings:
        return Finding(ID, WARN, subject, observed, expected, "; ".join(warnings + notes), f"{UNDER_LOAD}; if it "
                       f"stays narrow, {RESEAT}")
    under = " under load" if under_load not in (None, (None, None)) else ""
    if c2c:
        notes.append("the GPU reaches its Grace CPU over NVLink-C2C, PCIe is a side link")
    return Finding(ID, PASS, subject, observed, expected, "; ".join([f"x{width_max} Gen{gen_max}{under}"] + notes))


def _loaded(under_load, width_max, gen_max, faults, unread):
    """The link sampled under load against its maximum: still short fails."""
    gen, width = under_load
    if width is None or gen is None:
        unread.append(f"PCIe link {'width' if width is None else 'generation'} not sampled under load")
    if width is not None and width_max is not None and width < width_max:
        faults.append((f"link at x{width} of x{width_max} under load", RESEAT))
    if gen is not None and gen_max is not None and gen < gen_max:
        faults.append((f"link at Gen{gen} of Gen{gen_max} under load",
                       f"{RESEAT}; check the slot's PCIe speed setting in the BIOS"))
