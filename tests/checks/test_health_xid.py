"""health.xid on the healthy HGX H100 facts, with kernel-log Xid lines added as the probe parses them.

The lines are real ones where a real one is public: NVIDIA's own examples (the GPU memory error management
guide, the Xid catalogue), and logs quoted in leptonai/gpud's tests (Apache-2.0) and public reports. Where no
public line shows a code, the line is the driver's format with the catalogue's name as its text.
"""

import pytest
from factsbuilder import hgx_h100, run_check
from test_import_formats import load

from readycheck import checks
from readycheck.catalogue import xid as catalogue
from readycheck.checks import health_xid
from readycheck.errors import InputError
from readycheck.probes.xid import parse_xid_events

ID = health_xid.ID
PACK = "hgx-h100"
GPU0 = "0000:19:00"  # gpu0 of the healthy H100 node
STAMP = "2026-11-27T11:58:02+0000 gpu-b07-03 kernel: "  # journalctl -k -o short-iso; facts collected 12:00:00Z


def line(xid, text, pci=GPU0, stamp=STAMP):
    return f"{stamp}NVRM: Xid (PCI:{pci}): {xid}, {text}"


def run(lines=(), probe_errors=(), driver=None, facts=None, **settings):
    facts = facts or hgx_h100()
    facts["xid_events"] = parse_xid_events("\n".join(lines))
    facts["probe_errors"] = list(probe_errors)
    if driver:
        facts["nvidia"]["driver_version"] = driver
    return {f.subject: f for f in run_check(ID, facts, PACK, **settings)}


FELL_OFF = "pid='<unknown>', name=<unknown>, GPU has fallen off the bus."
DBE = ("pid='<unknown>', name=<unknown>, An uncorrectable double bit error (DBE) has been detected on GPU in the "
       "framebuffer at physAddr 0x7fdf0de80 partition 5, subpartition 1")
GSP = ("pid=2024380, name=nvidia-smi, Timeout after 6s of waiting for RPC response from GPU4 GSP! Expected function "
       "103 (GSP_RM_ALLOC) (0x2081 0x4).")
REMAP = "pid=1850, Row Remapper: New row marked for remapping, reset gpu to activate"


def test_a_clean_kernel_log_passes_on_the_host():
    [finding] = run().values()
    assert (finding.status, finding.subject) == ("pass", "host")


def test_a_gpu_that_fell_off_the_bus_fails_on_that_gpu_with_the_catalogue_action():
    findings = run([line(79, FELL_OFF, "0000:3b:00")])
    assert (findings["gpu1"].status, findings["gpu1"].observed) == ("fail", [79])
    assert "fallen off the bus" in findings["gpu1"].message and "RESTART_BM" in findings["gpu1"].message
    assert "reboot the node" in findings["gpu1"].remedy and "contact your support" in findings["gpu1"].remedy


def test_both_pci_address_formats_map_to_the_gpu():
    [finding] = run([line(48, DBE, "00000000:DB:00.0"), line(48, DBE, "0000:db:00")]).values()
    assert (finding.subject, finding.status) == ("gpu7", "fail") and "x2" in finding.message


@pytest.mark.parametrize("xid, text", [
    (110, "pid='<unknown>', name=<unknown>, Security Fault Error"),
    (155, "pid='<unknown>', name=<unknown>, NVLINK: SW Defined Error"),
    (156, "pid='<unknown>', name=<unknown>, Resource Retirement Event"),
    (154, "GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)"),
    (154, "GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)"),
    (119, GSP),
])
def test_xids_whose_catalogue_action_needs_a_reset_or_reboot_fail(xid, text):
    [finding] = run([line(xid, text)]).values()
    assert (finding.subject, finding.status) == ("gpu0", "fail"), finding


@pytest.mark.parametrize("xid, text, why", [
    (63, REMAP, "IGNORE"),  # the remap itself is health.remapped_rows' to judge
    (94, "pid=7062, Contained: CE User Channel (0x9). RST: No, D-RST: No", "RESTART_APP"),
    (13, "Graphics Exception: ESR 0x50dd30=0x40000 0x50dd34=0x0", "RESTART_APP"),
    (43, "pid=2342, name=python, Ch 00000008", "IGNORE"),
    (92, "pid='<unknown>', name=<unknown>, High single-bit ECC error rate", "IGNORE"),
])
def test_xids_the_catalogue_leaves_to_the_application_are_listed_not_failed(xid, text, why):
    [finding] = run([line(xid, text)]).values()
    assert finding.status == "pass" and f"Xid {xid}" in finding.message and why in finding.message


def test_xid_64_asks_for_a_reset_and_support_not_an_rma():
    [finding] = run([line(64, "pid='<unknown>', name=<unknown>, GPU memory remapping failure")]).values()
    assert finding.status == "fail"
    assert "contact your support organisation" in finding.remedy and "RMA" not in finding.remedy


def test_a_reset_names_the_gpu_as_nvidia_smi_takes_it():
    [finding] = run([line(46, "GPU stopped processing")]).values()
    assert "nvidia-smi -r -i 0" in finding.remedy
    facts = hgx_h100()  # an imported `nvidia-smi -q -i N` of one GPU: no index, so its bus id
    facts["gpus"][0]["index"] = None
    [finding] = run([line(46, "GPU stopped processing")], facts=facts).values()
    assert finding.subject == "gpu@00000000:19:00.0"
    assert "nvidia-smi -r -i 00000000:19:00.0" in finding.remedy


def test_every_xid_of_a_gpu_is_in_one_finding_worst_first():
    [finding] = run([line(13, "Graphics Exception"), line(48, DBE), line(79, FELL_OFF)]).values()
    assert finding.status == "fail" and finding.observed == [13, 48, 79]
    assert finding.message.index("Xid 48") < finding.message.index("not node faults: Xid 13")
    assert "Xid 48:" in finding.remedy and "Xid 79:" in finding.remedy


def test_only_the_latest_recovery_action_of_a_gpu_counts():
    reset = line(154, "GPU recovery action changed from 0x0 (None) to 0x1 (GPU Reset Required)")
    cleared = line(154, "GPU recovery action changed from 0x1 (GPU Reset Required) to 0x0 (None)")
    assert run([reset, cleared])["gpu0"].status == "pass"
    assert run([cleared, reset])["gpu0"].status == "fail"


def test_an_unreadable_recovery_action_warns():
    [finding] = run([line(154, "GPU recovery action changed")]).values()
    assert finding.status == "warn" and "could not be read" in finding.message


# Xid 144-150 (NVLink5), GB200 lines from leptonai/gpud components/accelerator/nvidia/xid/kmsg_test.go and
# kmsg_extended_test.go (drivers before R575: the decode sheet's V1 masks).
NETIR_LINK = ("NETIR_LINK_EVT  Fatal   XC0 i0 Link 01 (0x021425c6 0x00000000 0x00000000 0x00000000 0x00000000 "
              "0x00000000)")
NETIR_BER = ("NETIR_BER_EVENT Nonfatal XC0 i0 Link 03 (0x00086226 0x00000001 0x00000000 0x00000000 0x00000000 "
             "0x00000000)")
SRC_TRACK = ("pid=11436, name=cache_mgr_main, RLW_SRC_TRACK Nonfatal XC1 i0 Link 03 (0x040868e2 0x00000008 0x00000000 "
             "0x00000000 0x00000000 0x00000000)")


@pytest.mark.parametrize("xid, text, status, action", [
    (149, NETIR_LINK, "fail", "RESET_GPU"),        # link down, reason 0b100001: the peer end of the link
    (149, NETIR_BER, "pass", "IGNORE"),            # bit error rate event, non-fatal
    (145, SRC_TRACK, "pass", "XID_154_EVAL"),      # follow the Xid 154 logged with it, else restart the app
    (146, "TLW_RX Nonfatal XC0 i0 Link 02 (0x00000000 0x00000004 0x0 0x0)", "warn", "no catalogue action"),
    (147, "garbled", "warn", "no IntrInfo"),
])
def test_nvlink5_xids_are_judged_by_the_sub_code_the_line_carries(xid, text, status, action):
    [finding] = run([line(xid, text, pci="0009:01:00")], driver="570.133.20").values()
    assert (finding.subject, finding.status) == ("host", status) and action in finding.message


def test_nvlink5_masks_follow_the_driver_branch():
    # V2 (R575 and later): IntrInfo[6:0] = 1 is SAW_MVB; error status 0x2 is fatal.
    saw = "SAW_MVB Fatal XC0 i0 Link 00 (0x00000001 0x00000002 0x00000000 0x00000000)"
    assert run([line(144, saw)], driver="580.95.05")["gpu0"].status == "fail"
    assert run([line(144, saw)], driver="570.133.20")["gpu0"].status == "warn"  # no V1 row has that IntrInfo


def test_a_mig_line_is_judged_on_its_gpu():
    # The real H200 with five MIG instances (nvidia-smi -q, Bus Id 00000000:83:00.0), and an uncontained
    # error in the GPU-instance form of the driver's Xid line.
    facts = load("nvidia-smi-q_H200_MIG-5inst_driver590.48.01.txt")
    uncontained = line(95, "pid=7062, Uncontained: LTC TAG (0x2, 0x1). RST: Yes, D-RST: No", pci="0000:83:00 GPU-I:05")
    contained = line(94, "pid=7194, Contained: CE User Channel (0x9). RST: No, D-RST: No", pci="0000:83:00 GPU-I:05")
    assert run([contained], facts=facts)["gpu0"].status == "pass"
    finding = run([contained, uncontained], facts=load("nvidia-smi-q_H200_MIG-5inst_driver590.48.01.txt"))["gpu0"]
    assert finding.status == "fail" and "MIG GPU instance 5" in finding.message and "RESET_GPU" in finding.message


def test_an_event_on_an_unknown_address_fails_on_the_host():
    # A GPU that fell off the bus is gone from NVML, so its address matches none that is left.
    [finding] = run([line(79, FELL_OFF, "0000:aa:00")]).values()
    assert (finding.subject, finding.status) == ("host", "fail")


def test_ignored_xids_are_left_out():
    [finding] = run([line(74, "pid='<unknown>', name=<unknown>, NVLink: fatal error")], ignore=[74]).values()
    assert (finding.subject, finding.status) == ("host", "pass") and "1 ignored" in finding.message


def test_a_pack_may_make_any_xid_fatal():
    [finding] = run([line(31, "pid=1, name=a, MMU Fault")], fatal=[31]).values()
    assert finding.status == "fail" and "fatal in the rule pack" in finding.message


def test_an_unreadable_kernel_log_is_unknown_not_pass():
    denied = {"probe": "xid", "error": "dmesg: read kernel buffer failed: Operation not permitted"}
    [finding] = run(probe_errors=[denied]).values()
    assert (finding.status, finding.subject) == ("unknown", "host")
    assert "Operation not permitted" in finding.message and "root" in finding.remedy


# ---- since: events before the reset NVIDIA prescribes are listed, not judged ---------------------------------

BEFORE = "2026-11-27T06:00:00+0000 gpu-b07-03 kernel: "   # six hours before the facts were collected


@pytest.mark.parametrize("since", ["2026-11-27T08:00:00Z", "2026-11-27T09:00:00+01:00", "4h", "4.5h"])
def test_events_before_since_are_listed_not_judged(since):
    findings = run([line(79, FELL_OFF, stamp=BEFORE), line(13, "Graphics Exception")], since=since)
    assert findings["gpu0"].status == "pass"
    assert "not judged: Xid 79" in findings["gpu0"].message and "not node faults: Xid 13" in findings["gpu0"].message


def test_events_after_since_and_undated_ones_are_judged():
    assert run([line(79, FELL_OFF)], since="4h")["gpu0"].status == "fail"
    undated = run([line(79, FELL_OFF, stamp="[186326.004415] ")], since="4h")["gpu0"]
    assert undated.status == "fail" and "without a time" in undated.message


def test_a_bad_since_stops_the_pack_loading(tmp_path):
    pack = tmp_path / "site.toml"
    pack.write_text('extends = "hgx-h100"\n[checks."health.xid"]\nsince = "yesterday"\n')
    from readycheck import rulepack

    with pytest.raises(InputError, match="health.xid.*yesterday"):
        rulepack.load(str(pack))


# ---- the catalogue ---------------------------------------------------------------------------------------------

def test_the_catalogue_holds_every_code_with_nvidia_s_action():
    entries = catalogue.entries()
    assert sorted(entries) == list(range(1, 173))
    assert (entries[64].action, entries[64].investigatory) == ("RESET_GPU", "CONTACT_SUPPORT")
    assert (entries[63].action, entries[94].action, entries[79].action) == ("IGNORE", "RESTART_APP", "RESTART_BM")
    assert {entries[code].action for code in range(144, 151)} == {"WORKFLOW_NVLINK5_ERR"}
    assert all(action in catalogue.ACTIONS for action in {e.action for e in entries.values()})
    assert all(rule.action in catalogue.ACTIONS for rule in catalogue.nvlink5_rules())


def test_readycheck_checks_prints_the_table():
    text = checks.documentation(ID)
    assert catalogue.SOURCE in text
    rows = {line.split()[0]: line.split()[1:3] for line in text.splitlines()[-172:]}
    assert rows["110"] == ["RESET_GPU", "fail"] and rows["63"] == ["IGNORE", "pass"]
    assert rows["154"] == ["XID_154", "by"] and rows["94"] == ["RESTART_APP", "pass"]
