"""nvlink.errors on the healthy HGX H100 facts (no NVLink errors), with one change each, and PCIe parts."""

from factsbuilder import hgx_h100, platform, run_check, with_gpu

from readycheck.checks import nvlink_errors

ID = nvlink_errors.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def with_counts(index, link, **counts):
    facts = hgx_h100()
    facts["gpus"][index]["nvlinks"][link].update(counts)
    return facts


def test_clean_links_pass():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"}
    assert findings[0].message == "0 CRC, 0 replay, 0 recovery errors on 18 links"


def test_crc_errors_above_the_limit_fail_naming_the_link():
    finding = run(with_counts(4, 11, crc_errors=101))[4]
    assert (finding.subject, finding.status) == ("gpu4", "fail")
    assert "link 11: 101 CRC" in finding.message and "nvidia-smi -r -i 4" in finding.remedy
    assert finding.observed == {"crc_errors": 101, "replay_errors": 0, "recovery_errors": 0}


def test_crc_errors_at_the_limit_pass():
    finding = run(with_counts(4, 11, crc_errors=100))[4]
    assert finding.status == "pass" and finding.message.startswith("100 CRC")


def test_one_replay_or_recovery_fails():
    finding = run(with_counts(0, 2, replay_errors=1, recovery_errors=2))[0]
    assert finding.status == "fail" and "link 2: 1 replay, 2 recovery" in finding.message


def test_an_unread_counter_is_unknown_unless_another_fails():
    facts = with_counts(1, 0, crc_errors=None, unavailable={"crc_errors": "NotSupported"})
    finding = run(facts)[1]
    assert finding.status == "unknown" and "link 0: crc_errors unavailable (NotSupported)" in finding.message
    facts["gpus"][1]["nvlinks"][3]["recovery_errors"] = 5
    finding = run(facts)[1]
    assert finding.status == "fail" and "also unread" in finding.message


def test_pcie_parts_are_skipped():
    findings = list(run_check(ID, platform("rtx4090-workstation"), "rtx4090-workstation"))
    assert {f.status for f in findings} == {"skip"} and "RTX 4090 has no NVLink" in findings[0].message


def test_a_gpu_that_reports_no_nvlink_on_an_nvlink_platform_is_unknown():
    for facts in (with_gpu(hgx_h100(), 4, nvlinks=None), with_gpu(hgx_h100(), 4, nvlinks=[])):
        finding = run(facts)[4]
        assert finding.status == "unknown" and "platform's GPUs have NVLink" in finding.message


def test_a_gpu_in_mig_mode_answers_no_nvlink_query_unknown():
    # nvidia-smi nvlink -s on a MIG GPU: "Nvlink queries are not supported for Devices in MIG mode"
    # (tests/data/captures/nvlink-s_H100-80GB-HBM3_MIG-mode-unsupported.txt); NVML answers every link NotSupported.
    finding = run(with_gpu(hgx_h100(), 4, nvlinks=[], mig_mode_current=True))[4]
    assert finding.status == "unknown" and "MIG mode" in finding.message and "-mig 0" in finding.remedy


def test_unread_links_are_unknown():
    finding = run(with_gpu(hgx_h100(), 2, reason="Timeout", nvlinks=None))[2]
    assert finding.status == "unknown" and "Timeout" in finding.message
