"""nvlink.links: every GPU has the platform's number of active NVLinks, at the platform's NVLink version.

On HGX and DGX boards each GPU reaches the NVSwitches over a fixed number of
NVLinks: 18 on H100, H200, H20 and B200, 12 on A100. A link that did not
train (`nvidia-smi nvlink -s` shows it `<inactive>`) takes its share of the
GPU-to-GPU bandwidth away, and a collective runs at the pace of the GPU with
the fewest links. It does not come back without a GPU reset; a link that
stays down is a GPU, baseboard or NVSwitch fault for the vendor.

A GPU with fewer active links than `expected_links` fails, naming the
inactive links; more active links than expected fails too (the rule pack does
not match the platform). Where the pack knows no link count but every link the
GPU lists is wired (an NVSwitch baseboard: the real HGX captures list 18 of 18
H100 links and 12 of 12 A100 links active), `all_active = true` fails a GPU
with any inactive link. With `expected_version` set, an active link at
another NVLink version fails. A GPU for which an imported `nvidia-smi nvlink
-s` says "all links are inActive" has 0 active links, and is judged so (how
many links it has is not in that output).

With `expected_links` above 0 or `all_active` set the platform has NVLink, so
a GPU that reports none (NotSupported, or no link listed: a PCIe part in an
SXM platform, a GPU the driver cannot see the links of) fails; without them
the check is skipped (PCIe parts such as L40S and RTX 4090). A GPU in MIG
mode answers no NVLink query: `unknown`. Links whose state could not be read
are `unknown`, unless the links that are read already fall short.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib import expects
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
    "all_active": Setting("bool", False, "every NVLink the GPU lists must be active (an NVSwitch baseboard whose "
                                         "link count the pack does not set)"),
}

RESET = ("drain the node, reset the GPUs (nvidia-smi -r) or reboot, and re-run; if links stay down, call the "
         "platform vendor (GPU, baseboard or NVSwitch)")
WRONG_PACK = "check that the rule pack matches this platform (see gpu.model)"


def check(facts, settings):
    count, version, every = settings["expected_links"], settings["expected_version"], settings["all_active"]
    if count is None and not every:
        yield not_configured(ID, "expected_links")
        return

    def none_active(gpu):
        observed = {"active": 0, "links": None, "inactive": "all", "versions": []}
        expected = {"active": "all" if count is None else count, "version": version}
        if count == 0:
            return Finding(ID, PASS, gpu_subject(gpu), observed, expected, "no NVLink active, as the platform has")
        of = "its" if count is None else count
        return Finding(ID, FAIL, gpu_subject(gpu), observed, expected,
                       f"0 of {of} NVLinks active (nvidia-smi: all links are inactive)", RESET)

    def judge(gpu):
        subject = gpu_subject(gpu)
        links = gpu["nvlinks"]
        active = [link for link in links if link["active"]]
        inactive = [link["link"] for link in links if link["active"] is False]
        unread = [f"link {link['link']}: {missing(link, 'active')}" for link in links if link["active"] is None]
        observed = {"active": len(active), "links": len(links), "inactive": inactive,
                    "versions": sorted({link["version"] for link in active if link["version"] is not None})}
        wanted = len(links) if count is None else count
        expected = {"active": wanted if count is not None else "all", "version": version}
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

    has_nvlink = expects.declared({ID: settings}) & {expects.NVLINK}  # the pack's word, as the engine reads it
    yield from per_nvlink_gpu(ID, facts, judge, has_nvlink, FAIL, none_active)
