"""host.storage on the healthy HGX H100 facts (8 x 3.84 TB NVMe, /raid) and on the storage-degraded tree."""

from factsbuilder import hgx_h100, run_check
from probe_fakes import ROOTS

from readycheck.checks import host_storage
from readycheck.probes import ProbeContext
from readycheck.probes.storage import probe

ID = host_storage.ID

PACK = "base"
DGX = {"min_nvme_drives": 8, "min_nvme_size_tb": 3.84}


def run(facts, **settings):
    return {f.subject: f for f in run_check(ID, facts, PACK, **settings)}


def from_tree(name):
    facts = hgx_h100()
    facts["host"].update(probe(ProbeContext(root=ROOTS / name))["host"])
    return facts


def test_healthy_drives_and_mount_pass():
    findings = run(hgx_h100(), **DGX, mounts=["/raid"], min_free_gib=1000)
    assert {f.status for f in findings.values()} == {"pass"}
    assert findings["host"].message == "8 NVMe drives"
    assert findings["nvme0n1"].message == "x4 Gen4, 3.84 TB"
    assert findings["/raid"].message == "27182 GiB free"


def test_the_hgx_h100_tree_passes_with_its_boot_drive_not_counted():
    findings = run(from_tree("hgx-h100"), **DGX)
    assert findings["host"].status == "pass" and findings["host"].observed == 8
    assert findings["nvme8n1"].status == "pass"  # the boot drive's link is judged too


def test_a_missing_drive_and_a_drive_at_x2_fail():
    findings = run(from_tree("storage-degraded"), **DGX)
    assert findings["host"].status == "fail"
    assert findings["host"].message == ("7 NVMe drives of >= 3.84 TB, the platform has 8; "
                                        "not counted: nvme8n1 (1.92 TB)")
    x2 = findings["nvme2n1"]
    assert x2.status == "fail" and x2.message == "SAMSUNG MZQL23T8HCLS-00A07: link trained at x2 of x4"
    assert "reseat" in x2.remedy
    assert findings["nvme3n1"].status == "pass"
    assert "sda" not in findings  # SATA: no PCIe link to judge


def _drive(facts, name="nvme0n1", **changes):
    drive = next(d for d in facts["host"]["block_devices"] if d["name"] == name)
    drive.update(changes)
    return facts


def test_a_gen5_drive_in_a_gen4_slot_passes_and_says_so():
    # The drive's own max_link_speed is Gen5, the slot's root port Gen4: the link trains at Gen4 by design.
    facts = _drive(hgx_h100(), pcie_link_gen_max=5, pcie_link_gen_port_max=4, pcie_link_width_port_max=4)
    finding = run(facts)["nvme0n1"]
    assert finding.status == "pass" and finding.expected == "x4 Gen4"
    assert finding.message == "x4 Gen4, 3.84 TB (the drive can do x4 Gen5, its slot x4 Gen4)"


def test_below_what_both_ends_can_do_still_fails():
    facts = _drive(hgx_h100(), pcie_link_gen_current=3, pcie_link_gen_max=5, pcie_link_gen_port_max=4,
                   pcie_link_width_port_max=4)
    finding = run(facts)["nvme0n1"]
    assert finding.status == "fail" and "link at Gen3 of Gen4" in finding.message


def test_below_the_drives_own_maximum_with_the_port_unread_is_unknown():
    facts = _drive(hgx_h100(), pcie_link_gen_max=5, pcie_link_gen_port_max=None, pcie_link_width_port_max=None)
    facts["host"]["block_devices"][0]["unavailable"].update(pcie_link_gen_port_max="NoPermission",
                                                            pcie_link_width_port_max="NoPermission")
    finding = run(facts)["nvme0n1"]
    assert finding.status == "unknown" and "NoPermission" in finding.message and "lspci -vv" in finding.remedy


def test_links_are_judged_even_when_the_pack_sets_nothing():
    findings = run(from_tree("storage-degraded"))
    assert findings["nvme2n1"].status == "fail" and "host" not in findings


def test_nothing_to_judge_is_skipped():
    facts = hgx_h100()
    facts["host"]["block_devices"] = []
    [finding] = run(facts).values()
    assert finding.status == "skip"


def test_unlisted_drives_are_unknown_never_a_pass():
    facts = hgx_h100()
    facts["host"]["block_devices"] = []
    facts["host"]["unavailable"]["block_devices"] = "NoPermission"
    assert run(facts, **DGX)["host"].status == "unknown"


def test_an_unread_link_is_unknown():
    facts = hgx_h100()
    facts["host"]["block_devices"][4].update(pcie_link_width_current=None)
    facts["host"]["block_devices"][4]["unavailable"]["pcie_link_width_current"] = "NotFound"
    assert run(facts)["nvme4n1"].status == "unknown"


def test_a_short_generation_fails_even_when_the_width_is_unread():
    facts = hgx_h100()
    facts["host"]["block_devices"][4].update(pcie_link_width_current=None, pcie_link_gen_current=3)
    facts["host"]["block_devices"][4]["unavailable"]["pcie_link_width_current"] = "NotFound"
    finding = run(facts)["nvme4n1"]
    assert finding.status == "fail" and "Gen3 of Gen4" in finding.message and "NotFound" in finding.message


def test_mounts_missing_full_or_unread():
    facts = from_tree("storage-degraded")  # /raid mounted, sizes NotLive: read from another root
    findings = run(facts, mounts=["/raid", "/scratch"], min_free_gib=100)
    assert findings["/raid"].status == "unknown" and findings["/raid"].message == "free_bytes unavailable (NotLive)"
    assert findings["/scratch"].status == "fail" and findings["/scratch"].message == "/scratch is not mounted"
    full = run(hgx_h100(), mounts=["/raid"], min_free_gib=30000)["/raid"]
    assert full.status == "fail" and full.message == "27182 GiB free, less than 30000 GiB"
    assert run(facts, mounts=["/raid"])["/raid"].status == "pass"  # mounted is all that is asked


def test_a_drive_without_a_link_to_report_is_skipped():
    facts = hgx_h100()
    for field in host_storage.LINK_FIELDS:
        facts["host"]["block_devices"][0][field] = None
        facts["host"]["block_devices"][0]["unavailable"][field] = "NotSupported"
    assert run(facts)["nvme0n1"].status == "skip"
