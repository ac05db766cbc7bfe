"""ib.firmware on the healthy HGX H100 facts (one firmware on eight CX-7 HCAs), with one change each."""

from factsbuilder import hgx_h100, platform, run_check

from readycheck.checks import ib_firmware

ID = ib_firmware.ID


def run(facts):
    return list(run_check(ID, facts))


def test_uniform_firmware_passes():
    [finding] = run(hgx_h100())
    assert finding.status == "pass" and finding.message == "MT_0000000838: 28.39.1002 on 8 HCAs"


def test_an_odd_hca_fails_naming_both_versions():
    # 28.39.1002: tests/data/captures/ibstat_H100-node_IB-NDR400_3-ports-down.txt;
    # 28.41.1000: tests/data/captures/ibstat_H100-node_IB-NDR400_bond0-RoCE.txt (both CX-7, MT4129).
    facts = hgx_h100()
    facts["infiniband"][5]["fw_version"] = "28.41.1000"
    [finding] = run(facts)
    assert finding.status == "fail"
    assert finding.message == ("MT_0000000838: 28.39.1002 on mlx5_0 mlx5_1 mlx5_2 mlx5_3 mlx5_4 mlx5_6 mlx5_7, "
                               "28.41.1000 on mlx5_5")
    assert "mlxfwmanager" in finding.remedy


def test_cards_of_another_board_id_are_compared_only_with_their_own_kind():
    # The same capture's MT4125 Ethernet cards run 22.38.1002 beside the CX-7s' 28.39.1002.
    facts = hgx_h100()
    facts["infiniband"][7].update(board_id="MT_0000000359", fw_version="22.38.1002")
    [finding] = run(facts)
    assert finding.status == "pass" and "MT_0000000359: 22.38.1002 on 1 HCA" in finding.message


def test_the_ports_of_one_hca_count_once():
    facts = hgx_h100()
    facts["infiniband"].append({**facts["infiniband"][0], "port": 2})
    assert run(facts)[0].message == "MT_0000000838: 28.39.1002 on 8 HCAs"


def test_an_unread_firmware_version_is_unknown():
    facts = hgx_h100()
    facts["infiniband"][2].update(fw_version=None, unavailable={"fw_version": "NoPermission"})
    [finding] = run(facts)
    assert finding.status == "unknown" and finding.message == "mlx5_2: fw_version unavailable (NoPermission)"
    assert finding.remedy


def test_a_node_with_no_hca_is_skipped_saying_so():
    [finding] = run(platform("l40s"))
    assert finding.status == "skip" and "no InfiniBand or RoCE HCA" in finding.message


def test_odd_firmware_fails_even_when_another_hca_is_unread():
    facts = hgx_h100()
    facts["infiniband"][5]["fw_version"] = "28.41.1000"
    facts["infiniband"][2].update(fw_version=None, unavailable={"fw_version": "NoPermission"})
    [finding] = run(facts)
    assert finding.status == "fail" and "also unread: mlx5_2: fw_version unavailable (NoPermission)" in finding.message
    facts["infiniband"][5]["fw_version"] = "28.39.1002"
    assert run(facts)[0].status == "unknown"
