"""topology.gpu_pairs on the healthy HGX H100 facts (NV18 between every pair), with one change each."""

from factsbuilder import hgx_h100, platform, run_check

from readycheck.checks import topology_gpu_pairs

ID = topology_gpu_pairs.ID

PACK = "base"
OVERRIDES = {"expected_link": "NV18"}  # the hgx-h100 pack's figures


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def with_link(facts, a, b, link, reason=None):
    pair = next(p for p in facts["topology"] if (p["gpu_a"], p["gpu_b"]) == (a, b))
    pair["link"] = link
    if reason:
        pair["unavailable"] = {"link": reason}
    return facts


def test_nv18_everywhere_passes_and_carries_the_matrix():
    # The GPU block of the `nvidia-smi topo -m` in https://github.com/sgl-project/sglang/issues/30401.
    [finding] = run(hgx_h100())
    assert (finding.subject, finding.status, finding.message) == ("host", "pass", "all 28 GPU pairs: NV18")
    assert list(finding.observed) == [f"GPU{i}" for i in range(8)]
    assert finding.observed["GPU0"] == ["X"] + ["NV18"] * 7
    assert finding.observed["GPU5"] == ["NV18"] * 5 + ["X"] + ["NV18"] * 2


def test_a_pair_over_pcie_fails_when_nvlink_is_expected():
    [finding] = run(with_link(hgx_h100(), 2, 6, "SYS"))
    assert finding.status == "fail" and finding.message == "1 of 28 GPU pairs below NV18: SYS: gpu2-gpu6"
    assert finding.observed["GPU6"][2] == "SYS" and finding.observed["GPU2"][6] == "SYS"
    assert "nvlink.links" in finding.remedy


def test_fewer_bonded_links_fail():
    # tests/data/captures/topo-m_8xH800_NV8_4NIC_driver525.105.17.txt: H800 pairs show NV8, not NV18.
    facts = hgx_h100()
    facts["topology"] = [dict(p, link="NV8") for p in facts["topology"]]
    [finding] = run(facts)
    assert finding.status == "fail" and finding.message.startswith("28 of 28 GPU pairs below NV18: NV8:")


def test_more_links_than_expected_meet_the_expectation():
    assert run(hgx_h100(), expected_link="NV12")[0].status == "pass"


def test_a_pcie_expectation_accepts_closer_pairs_and_fails_farther_ones():
    facts = platform("rtx4090-workstation")  # every pair SYS
    with_link(facts, 0, 1, "PHB")
    with_link(facts, 2, 3, "PIX")
    assert run(facts, expected_link="SYS")[0].status == "pass"
    [finding] = run(facts, expected_link="PHB")
    assert finding.status == "fail" and "4 of 6 GPU pairs below PHB: SYS:" in finding.message
    assert "PCIe" in finding.remedy


def test_an_unread_pair_is_unknown():
    [finding] = run(with_link(hgx_h100(), 0, 7, None, reason="GpuIsLost"))
    assert finding.status == "unknown" and "gpu0-gpu7 link unavailable (GpuIsLost)" in finding.message
    assert finding.observed["GPU0"][7] is None and finding.remedy


def test_a_missing_pair_is_unknown():
    facts = hgx_h100()
    facts["topology"] = facts["topology"][1:]
    [finding] = run(facts)
    assert finding.status == "unknown" and "gpu0-gpu1 not collected" in finding.message


def test_pcie_platforms_report_the_matrix_without_judging_it():
    [finding] = run(platform("l40s"), expected_link=None)
    assert finding.status == "skip" and "expected_link" in finding.message
    assert finding.observed["GPU1"] == ["SYS", "X"] + ["SYS"] * 6


def test_nvlink_expected_on_a_pcie_node_fails():
    [finding] = run(platform("l40s"))
    assert finding.status == "fail" and "28 of 28" in finding.message


def test_a_word_that_is_not_topo_m_is_a_pack_error():
    [finding] = run(hgx_h100(), expected_link="NVLINK")
    assert finding.status == "unknown" and "'NVLINK'" in finding.message and "rule pack" in finding.remedy


def test_one_gpu_has_no_pair_and_no_gpu_is_unknown():
    [finding] = run(hgx_h100(gpus=1))
    assert finding.status == "pass" and finding.observed == {"GPU0": ["X"]}
    assert run(hgx_h100(gpus=0))[0].status == "unknown"


def test_one_gpu_shown_of_more_attached_is_unknown():
    # An imported `nvidia-smi -q -i 0`: the header counts 8 GPUs, the capture shows one.
    facts = hgx_h100(gpus=1)
    facts["nvidia"]["attached_gpus"] = 8
    [finding] = run(facts)
    assert finding.status == "unknown" and "driver counts 8 GPUs, the facts show 1" in finding.message
    facts["nvidia"]["attached_gpus"] = 1
    assert run(facts)[0].status == "pass"


def test_one_gpu_shown_with_pairs_not_in_source_is_unknown():
    facts = hgx_h100(gpus=1)
    facts["topology"] = [{"gpu_a": 0, "gpu_b": 1, "link": None, "unavailable": {"link": "NotInSource"}}]
    [finding] = run(facts)
    assert finding.status == "unknown" and "link unavailable (NotInSource)" in finding.message


def test_every_gpu_reaches_its_nvlink_peers():
    # H100 NVL: cards in bridged pairs; each has one NVLink peer, every other pair is PCIe.
    nvl = platform("h100-nvl")
    [finding] = run(nvl, expected_link=None, nvlink_peers=1)
    assert finding.status == "pass" and finding.message == "every GPU has >= 1 NVLink peers"
    down = with_link(platform("h100-nvl"), 2, 3, "PHB")
    [finding] = run(down, expected_link=None, nvlink_peers=1)
    assert finding.status == "fail" and "gpu2 (0), gpu3 (0)" in finding.message
    # An NVSwitch board: 7 peers each; one pair over PCIe leaves two GPUs with 6.
    [finding] = run(with_link(hgx_h100(), 0, 5, "SYS"), expected_link=None, nvlink_peers=7)
    assert finding.status == "fail" and "gpu0 (6), gpu5 (6)" in finding.message
    # Fewer GPUs than peers asked for: every other GPU is enough.
    assert run(hgx_h100(gpus=4), expected_link=None, nvlink_peers=7)[0].status == "pass"
