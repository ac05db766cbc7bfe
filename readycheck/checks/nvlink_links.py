"""nvlink.links: every GPU has the platform's number of active NVLinks, at the platform's NVLink version.

On HGX and DGX boards each GPU reaches the NVSwitches over a fixed number of
NVLinks: 18 on H100, H200, H20 and B200, 12 on A100. A link that did not
train (`nvidia-smi nvlink -s` shows it `<inactive>`) takes its share of the
GPU-to-GPU bandwidth away, and a collective runs at the pace of the GPU with
the fewest links. It does not come back without a GPU reset; a link that
stays down is a GPU, baseboard or NVSwitch fault for the vendor.

A GPU with fewer active links than `expected_links` fails, naming the
inactive links; more active links than expected fails too (the rule pack does
not match the platform). With `expected_version` set, an active link at
another NVLink version fails. With `expected_links` set the platform has
NVLink, so a GPU that reports none (NotSupported, or no link listed: a PCIe
part in an SXM platform, a GPU the driver cannot see the links of) fails;
without it the check is skipped (PCIe parts such as L40S and RTX 4090). A GPU
in MIG mode answers no NVLink query: `unknown`. Links whose state could not
be read are `unknown`, unless the links that are read already fall short.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.expects import NVLINK
from readycheck.checks.lib.fabric import per_nvlink_gpu
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import READ_BY_HAND, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, gpu_subject

ID = "nvlink.links"
SETTINGS = {
    "expected_links": Setting("int", None, "active NVLinks every GPU must have, e.g. 18 (H100) or 12 (A100); unset: "
                                           "skipped"),
    "expected_version": Setting("int", None, "NVLink major version of every active link, e.g. 4 (Hopper), 3 (A100), 5"
                                             " (Blackwell); unset: reported, not judged"),
}

RESET = ("drain the node, reset the GPUs (nvidia-smi -r) or reboot, and re-run; if links stay down, call the "
         "platform vendor (GPU, baseboard or NVSwitch)")
WRONG_PACK = "check that the rule pack matches this platform (see gpu.model)"


def check(facts, settings):
    wanted, version = settings["expected_links"], settings["expected_version"]
    if wanted is None:
        yield not_configured(ID, "expected_links")
        return

    def judge(gpu):
        subject = gpu_subject(gpu)
        links = gpu["nvlinks"]
        active = [link for link in links if link["active"]]
        inactive = [link["link"] for link in links if link["active"] is False]
        unread = [f"link {link['link']}: {missing(link, 'active')}" for link in links if link["active"] is None]
        observed = {"active": len(active), "links": len(links), "inactive": inactive,
                    "versions": sorted({link["version"] for link in active if link["version"] is not None})}
        expected = {"active": wanted, "version": version}
        if len(active) + len(unread) < wanted:
            down = f" (inactive: {', '.join(map(str, inactive))})" if inactive else ""
            also = f"; also unread: {'; '.join(unread)}" if unread else ""
            return Finding(ID, FAIL, subject, observed, expected,
                           f"{len(active)} of {wanted} NVLinks active{down}{also}", RESET)
        if unread:
            return Finding(ID, UNKNOWN, subject, observed, expected, "; ".join(unread), READ_BY_HAND)
        if len(active) > wanted:
            return Finding(ID, FAIL, subject, observed, expected,
                           f"{len(active)} active NVLinks, the platform has {wanted}", WRONG_PACK)
        if version is not None:
            unread = [f"link {link['link']}: {missing(link, 'version')}"
                      for link in active if link["version"] is None]
            if unread:
                return Finding(ID, UNKNOWN, subject, observed, expected, "; ".join(unread), READ_BY_HAND)
            other = [str(link["link"]) for link in active if link["version"] != version]
            if other:
                return Finding(ID, FAIL, subject, observed, expected,
                               f"NVLink {'/'.join(map(str, observed['versions']))} on links {', '.join(other)}, "
                               f"the platform runs NVLink {version}", WRONG_PACK)
        at = f" at NVLink {version}" if version is not None else ""
        return Finding(ID, PASS, subject, observed, expected, f"{len(active)} NVLinks active{at}")

    yield from per_nvlink_gpu(ID, facts, judge, frozenset({NVLINK}), FAIL)
