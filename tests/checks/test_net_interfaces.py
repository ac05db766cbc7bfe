"""net.interfaces on the healthy HGX H100 facts (eno1 up at 25 Gb/s, MTU 1500), with one change each."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import net_interfaces

ID = net_interfaces.ID

PACK = "base"
OVERRIDES = {"interfaces": ["eno1"], "min_speed_mbps": 25000, "mtu": 1500}


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **{**OVERRIDES, **settings}))


def with_interface(reason="NotFound", **changes):
    facts = hgx_h100()
    interface = facts["network_interfaces"][0]
    interface.update(changes)
    interface["unavailable"].update({field: reason for field, value in changes.items() if value is None})
    return facts


def test_an_up_interface_at_speed_passes():
    [finding] = run(hgx_h100())
    assert (finding.subject, finding.status, finding.message) == ("eno1", "pass", "up at 25000 Mb/s, MTU 1500")


def test_a_down_interface_fails():
    # tests/data/roots/hgx-h100 eno2: operstate down, speed -1 (null with the reason LinkDown).
    [finding] = run(with_interface(reason="LinkDown", operstate="down", up=False, speed_mbps=None))
    assert finding.status == "fail" and finding.message == "link down" and "ip link set eno1 up" in finding.remedy


def test_a_slow_link_and_a_wrong_mtu_both_fail():
    [finding] = run(hgx_h100(), min_speed_mbps=100000, mtu=9000)
    assert finding.status == "fail"
    assert finding.message == "25000 Mb/s, expected at least 100000; MTU 1500, expected 9000"
    assert "ethtool eno1" in finding.remedy and "MTU 9000" in finding.remedy


def test_a_missing_interface_fails_unless_the_probe_failed():
    [finding] = run(hgx_h100(), interfaces=["ens1f0np0"])
    assert (finding.subject, finding.status) == ("ens1f0np0", "fail")
    assert finding.message == "no interface named ens1f0np0 (found: eno1)" and finding.remedy
    facts = hgx_h100()
    facts["probe_errors"] = [{"probe": "network", "error": "PermissionError: /sys/class/net"}]
    assert run(facts, interfaces=["ens1f0np0"])[0].status == "unknown"


def test_an_unknown_operstate_or_speed_is_unknown():
    [finding] = run(with_interface(operstate="unknown", up=False))
    assert finding.status == "unknown" and "operstate unknown" in finding.message and finding.remedy
    [finding] = run(with_interface(reason="Unknown", speed_mbps=None))
    assert finding.status == "unknown" and finding.message == "speed_mbps unavailable (Unknown)"


def test_without_named_interfaces_the_check_is_skipped():
    [finding] = run(hgx_h100(), interfaces=[])
    assert finding.status == "skip" and "interfaces" in finding.message
