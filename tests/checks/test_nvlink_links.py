"""nvlink.links on the healthy HGX H100 facts (18 NVLink4 links per GPU), with one change each, and PCIe parts."""

from factsbuilder import hgx_h100, platform, run_check, with_gpu

from readycheck.checks import nvlink_links

ID = nvlink_links.ID

PACK = "base"
OVERRIDES = {"expected_links": 18, "expected_version": 4}  # the hgx-h100 pack's figures


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def with_inactive(facts, index, *links):
    for link in links:
        facts["gpus"][index]["nvlinks"][link]["active"] = False
    return facts


def test_eighteen_active_links_pass():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {f.status for f in findings} == {"pass"}
    assert findings[0].message == "18 NVLinks active at NVLink 4"
    assert findings[0].observed == {"active": 18, "links": 18, "inactive": [], "versions": [4]}


def test_inactive_links_fail_and_are_named():
    # the `nvidia-smi nvlink -s` excerpt in https://github.com/Azure/azhpc-diagnostics/issues/73: GPU 3, Link 3 and Link
    # 5 <inactive>.
    finding = run(with_inactive(hgx_h100(), 3, 3, 5))[3]
    assert (finding.subject, finding.status) == ("gpu3", "fail")
    assert finding.message == "16 of 18 NVLinks active (inactive: 3, 5)" and "reset the GPUs" in finding.remedy


def test_every_link_down_fails():
    # the `dcgmi nvlink --link-status` in https://github.com/NVIDIA/DCGM/issues/198: all 18 links of each GPU "D".
    finding = run(with_inactive(hgx_h100(), 0, *range(18)))[0]
    assert finding.status == "fail" and finding.message.startswith("0 of 18 NVLinks active")


def test_more_links_than_the_pack_says_is_the_wrong_pack():
    finding = run(hgx_h100(), expected_links=12, expected_version=3)[0]
    assert finding.status == "fail" and "the platform has 12" in finding.message and "rule pack" in finding.remedy


def test_a_link_at_another_version_fails():
    facts = hgx_h100()
    facts["gpus"][2]["nvlinks"][7]["version"] = 3
    finding = run(facts)[2]
    assert finding.status == "fail" and "on links 7" in finding.message and "NVLink 4" in finding.message


def test_an_unread_version_is_unknown_only_when_judged():
    facts = hgx_h100()
    link = facts["gpus"][1]["nvlinks"][4]
    link["version"] = None
    link["unavailable"] = {"version": "FunctionNotFound"}
    finding = run(facts)[1]
    assert finding.status == "unknown" and "link 4: version unavailable (FunctionNotFound)" in finding.message
    assert finding.remedy
    assert run(facts, expected_version=None)[1].status == "pass"


def test_the_a100_platform_passes_its_pack_values():
    findings = run(platform("dgx-a100"), expected_links=12, expected_version=3)
    assert {f.status for f in findings} == {"pass"} and findings[0].message == "12 NVLinks active at NVLink 3"


def test_pcie_parts_are_skipped_not_failed():
    # The l40s pack sets no expected_links: the platform has no NVLink.
    findings = list(run_check(ID, platform("l40s"), "l40s"))
    assert [f.status for f in findings] == ["skip"] and "expected_links" in findings[0].message


def test_a_gpu_that_reports_no_nvlink_on_an_nvlink_platform_fails():
    for facts in (with_gpu(hgx_h100(gpus=4), 2, nvlinks=None),  # nvlinks null, NotSupported
                  with_gpu(hgx_h100(gpus=4), 2, nvlinks=[])):    # no link at all, as the live probe writes it
        findings = run(facts)
        assert [f.status for f in findings] == ["pass", "pass", "fail", "pass"]
        assert "reports no NVLink" in findings[2].message and findings[2].remedy


def test_a_gpu_in_mig_mode_is_unknown_not_failed():
    facts = with_gpu(hgx_h100(gpus=2), 1, nvlinks=None, reason="MigMode", mig_mode_current=True)
    assert run(facts)[1].status == "unknown" and "MIG mode" in run(facts)[1].message


def test_links_whose_state_is_unread_are_unknown_unless_already_short():
    links = hgx_h100()["gpus"][0]["nvlinks"]
    unread = [dict(link, active=None) if link["link"] < 2 else link for link in links]
    assert run(with_gpu(hgx_h100(gpus=1), 0, nvlinks=unread))[0].status == "unknown"
    short = [dict(link, active=None if link["link"] < 2 else link["link"] != 5) for link in links]
    assert run(with_gpu(hgx_h100(gpus=1), 0, nvlinks=short))[0].status == "fail"


def test_links_that_could_not_be_read_are_unknown():
    finding = run(with_gpu(hgx_h100(), 5, reason="GpuIsLost", nvlinks=None))[5]
    assert finding.status == "unknown" and "nvlinks unavailable (GpuIsLost)" in finding.message and finding.remedy


def test_no_gpu_and_no_expectation():
    assert run(hgx_h100(gpus=0))[0].status == "unknown"
    finding = run(hgx_h100(), expected_links=None)[0]
    assert finding.status == "skip" and "expected_links" in finding.message


def test_all_active_needs_no_link_count_and_fails_any_inactive_link():
    # HGX B200: no NVIDIA source gives the link count; every link an NVSwitch board lists is wired.
    assert {f.status for f in run(hgx_h100(), expected_links=None, all_active=True)} == {"pass"}
    finding = run(with_inactive(hgx_h100(), 5, 17), expected_links=None, all_active=True)[5]
    assert finding.status == "fail" and finding.message == "17 of 18 NVLinks active (inactive: 17)"
    assert finding.expected == {"active": "all", "version": 4}
