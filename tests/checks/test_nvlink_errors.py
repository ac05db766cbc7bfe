"""nvlink.errors on the healthy HGX H100 facts (no NVLink errors): at idle, the counters since the driver loaded
against the pack's figures; under load, what the load phase added, as DCGM's health watch judges it."""

from factsbuilder import hgx_h100, platform, run_check, under_load, with_gpu

from readycheck.checks import nvlink_errors

ID = nvlink_errors.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def with_counts(index, link, **counts):
    facts = hgx_h100()
    facts["gpus"][index]["nvlinks"][link].update(counts)
    return facts


def loaded_with(index, link, seconds=300.0, **added):
    """Healthy facts after a load phase of `seconds` during which `link` of GPU `index` added `added`."""
    facts = under_load(hgx_h100(), seconds)
    counters = facts["load"]["counters"]["end"][index]["nvlinks"][link]
    for name, increase in added.items():
        counters[name] += increase
    return facts


def test_clean_links_pass():
    findings = run(hgx_h100())
    assert {f.status for f in findings} == {"pass"}
    assert findings[0].message == "0 CRC, 0 replay, 0 recovery errors on 18 links since the driver loaded"


def test_at_idle_counts_above_the_pack_s_figures_warn_never_fail():
    finding = run(with_counts(4, 11, crc_errors=101, replay_errors=3))[4]
    assert (finding.subject, finding.status) == ("gpu4", "warn")
    assert "since the driver loaded: link 11: 101 CRC, 3 replay" in finding.message
    assert "--load" in finding.remedy and "nvidia-smi -r -i 4" in finding.remedy
    assert finding.observed == {"crc_errors": 101, "replay_errors": 3, "recovery_errors": 0}
    assert run(with_counts(4, 11, crc_errors=100))[4].status == "pass"


def test_under_load_any_replay_or_recovery_added_fails():
    for added in ({"replay_errors": 1}, {"recovery_errors": 1}):
        finding = run(loaded_with(0, 2, **added))[0]
        assert finding.status == "fail" and "link 2: 1 " in finding.message and "under load (300 s)" in finding.message


def test_under_load_crc_errors_fail_at_100_a_second_and_warn_below():
    # DCGM: "CRC errors are only an error if more than 100 are happening per second".
    finding = run(loaded_with(5, 7, seconds=10.0, crc_errors=1000))[5]
    assert finding.status == "fail" and "link 7: 100.0 CRC a second" in finding.message
    finding = run(loaded_with(5, 7, seconds=10.0, crc_errors=999))[5]
    assert finding.status == "warn" and "link 7: 999 CRC" in finding.message and "below 100 a second" in finding.message


def test_under_load_a_clean_phase_passes_and_old_counts_only_warn():
    finding = run(under_load(hgx_h100()))[3]
    assert finding.status == "pass" and "no NVLink error added on 18 links" in finding.message
    facts = under_load(with_counts(3, 0, crc_errors=500))
    finding = run(facts)[3]
    assert finding.status == "warn" and "since the driver loaded: link 0: 500 CRC" in finding.message


def test_under_load_counters_not_read_at_both_ends_are_unknown():
    facts = under_load(hgx_h100())
    del facts["load"]["counters"]
    assert {f.status for f in run(facts)} == {"unknown"}
    facts = loaded_with(1, 4, replay_errors=2)
    facts["load"]["counters"]["end"][1]["nvlinks"][0]["crc_errors"] = None
    finding = run(facts)[1]
    assert finding.status == "fail" and "also unread: link 0 CRC" in finding.message  # the fault outranks


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


def test_an_unread_counter_is_unknown_and_says_what_else_is_over():
    facts = with_counts(1, 0, crc_errors=None, unavailable={"crc_errors": "NotSupported"})
    finding = run(facts)[1]
    assert finding.status == "unknown" and "link 0: crc_errors unavailable (NotSupported)" in finding.message
    facts["gpus"][1]["nvlinks"][3]["recovery_errors"] = 5
    assert "above the pack's figures: link 3: 5 recovery" in run(facts)[1].message
