"""ib.errors on the healthy HGX H100 facts (all counters 0), with one change each, and nodes without an HCA."""

from factsbuilder import hgx_h100, platform, run_check

from readycheck.checks import ib_errors

ID = ib_errors.ID

PACK = "hgx-h100"


def run(facts, **settings):
    return {f.subject: f for f in run_check(ID, facts, PACK, **settings)}


def with_counters(index, **counters):
    facts = hgx_h100()
    facts["infiniband"][index]["counters"].update(counters)
    return facts


def test_clean_ports_pass():
    findings = run(hgx_h100())
    assert len(findings) == 8 and {f.status for f in findings.values()} == {"pass"}
    assert findings["mlx5_0/1"].message == "no symbol, link or receive errors"


def test_symbol_errors_and_link_downs_fail():
    # tests/data/roots/ib-degraded mlx5_4: symbol_error 1204, link_downed 3, link_error_recovery 2.
    finding = run(with_counters(4, symbol_error=1204, link_downed=3, link_error_recovery=2))["mlx5_4/1"]
    assert finding.status == "fail"
    assert finding.message == "1204 symbol errors, 3 link downs, 2 link error recoveries since the HCA reset"
    assert "mlx5_4 port 1" in finding.remedy and "perfquery" in finding.remedy


def test_counts_within_a_raised_threshold_pass_and_are_shown():
    finding = run(with_counters(1, symbol_error=5), max_symbol_error=10)["mlx5_1/1"]
    assert finding.status == "pass" and finding.message == "5 symbol errors"


def test_an_unread_counter_is_unknown_unless_another_fails():
    facts = hgx_h100()
    port = facts["infiniband"][5]
    port["counters"]["port_rcv_errors"] = None
    port["unavailable"]["counters.port_rcv_errors"] = "NotFound"
    finding = run(facts)["mlx5_5/1"]
    assert finding.status == "unknown" and finding.message == "counters.port_rcv_errors unavailable (NotFound)"
    assert finding.remedy
    port["counters"]["link_downed"] = 1
    finding = run(facts)["mlx5_5/1"]
    assert finding.status == "fail" and "also counters.port_rcv_errors unavailable" in finding.message


def test_a_node_with_no_hca_is_skipped_saying_so():
    facts = hgx_h100()
    facts["infiniband"] = []
    [finding] = run(facts).values()
    assert finding.status == "skip" and "no InfiniBand or RoCE HCA" in finding.message
    assert [f.status for f in run(platform("rtx4090-workstation")).values()] == ["skip"]
