"""ib.ports on the healthy HGX H100 facts (8 NDR ports), with one change each, and nodes without an HCA."""

from factsbuilder import hgx_h100, platform, run_check

from readycheck.checks import ib_ports

ID = ib_ports.ID

PACK = "base"
OVERRIDES = {  # the hgx-h100 pack's figures
             "expected_ports": 8,
             "expected_rate_gbps": 400,
             "exclude_devices": ["mlx5_bond_*"]}
INFINIBAND = {"compute_link_layer": "InfiniBand"}  # hgx-h100's [platform]


def run(facts, platform=INFINIBAND, **settings):
    return list(run_check(ID, facts, PACK, platform=platform, **{**OVERRIDES, **settings}))


def by_subject(findings):
    return {f.subject: f for f in findings}


def with_port(index, reason="NotFound", **changes):
    facts = hgx_h100()
    port = facts["infiniband"][index]
    port.update(changes)
    port["unavailable"].update({field: reason for field, value in changes.items() if value is None})
    return facts


def port_like(facts, device, **changes):
    return {**facts["infiniband"][0], "device": device, "unavailable": {}, **changes}


def capture_node():
    """The HCAs of tests/data/captures/ibstat_H100-node_IB-NDR400_3-ports-down.txt: eight CX-7 NDR InfiniBand
    ports, Active at 400, and four MT4125 Ethernet ports (storage), three of them Down / Disabled at 40."""
    facts = hgx_h100()
    ib = [port_like(facts, f"mlx5_{n}", fw_version="28.39.1002") for n in (0, 3, 4, 5, 6, 9, 10, 11)]
    ethernet = dict(link_layer="Ethernet", fw_version="22.38.1002", board_id="MT_0000000359")
    down = dict(ethernet, state="DOWN", phys_state="Disabled", rate_gbps=40)
    facts["infiniband"] = [*ib, port_like(facts, "mlx5_1", rate_gbps=100, **ethernet),
                           *(port_like(facts, f"mlx5_{n}", **down) for n in (2, 7, 8))]
    return facts


def test_eight_active_ndr_ports_pass():
    findings = run(hgx_h100())
    assert len(findings) == 9 and {f.status for f in findings} == {"pass"}
    assert (findings[0].subject, findings[0].message) == ("host", "8 compute ports")
    assert by_subject(findings)["mlx5_3/1"].message == "ACTIVE / LinkUp at 400 Gb/s, InfiniBand"


def test_a_polling_port_fails_asking_for_the_cable():
    finding = by_subject(run(with_port(3, state="DOWN", phys_state="Polling", rate_gbps=40)))["mlx5_3/1"]
    assert finding.status == "fail" and finding.message == "port DOWN (Polling)"
    assert "cable" in finding.remedy


def test_a_disabled_port_and_one_without_subnet_manager_say_what_to_do():
    disabled = by_subject(run(with_port(1, state="DOWN", phys_state="Disabled")))["mlx5_1/1"]
    assert disabled.message == "port DOWN (Disabled)" and "enable it" in disabled.remedy
    init = by_subject(run(with_port(2, state="INIT")))["mlx5_2/1"]
    assert init.message == "port INIT (LinkUp)" and "subnet manager" in init.remedy


def test_a_port_at_a_lower_rate_fails():
    finding = by_subject(run(with_port(4, rate_gbps=200)))["mlx5_4/1"]
    assert finding.status == "fail" and finding.message == "running at 200 Gb/s, expected 400"
    assert "400 Gb/s" in finding.remedy


def test_a_faster_port_and_no_rate_expectation_pass():
    assert by_subject(run(with_port(4, rate_gbps=800)))["mlx5_4/1"].status == "pass"
    assert by_subject(run(with_port(4, rate_gbps=200), expected_rate_gbps=None))["mlx5_4/1"].status == "pass"


def test_a_compute_port_on_the_other_link_layer_is_left_out_and_missed_in_the_count():
    findings = by_subject(run(with_port(0, link_layer="Ethernet")))
    assert findings["mlx5_0/1"].status == "skip" and "compute_link_layer" in findings["mlx5_0/1"].message
    assert findings["host"].status == "fail" and findings["host"].message.startswith("7 compute ports found")


def test_storage_ports_are_left_out_and_say_so():
    findings = by_subject(run(capture_node()))
    assert findings["host"].status == "pass"
    assert findings["host"].message == "8 compute ports (4 more left out as storage or management)"
    assert findings["mlx5_2/1"].status == "skip" and "link layer Ethernet" in findings["mlx5_2/1"].message
    # Without a compute link layer every port counts: the disabled storage ports are judged and fail.
    unexcluded = by_subject(run(capture_node(), platform=None))["mlx5_7/1"]
    assert unexcluded.status == "fail" and "port DOWN (Disabled)" in unexcluded.message


def test_a_bond_is_left_out_by_name():
    # tests/data/captures/ibstat_H100-node_IB-NDR400_bond0-RoCE.txt: mlx5_bond_0, BlueField-3, Ethernet at 200.
    facts = hgx_h100()
    facts["infiniband"].append(port_like(facts, "mlx5_bond_0", link_layer="Ethernet", rate_gbps=200))
    finding = by_subject(run(facts))["mlx5_bond_0/1"]
    assert finding.status == "skip" and "'mlx5_bond_*'" in finding.message


def test_too_few_compute_ports_fail():
    facts = hgx_h100()
    del facts["infiniband"][6:]
    finding = run(facts)[0]
    assert (finding.subject, finding.status) == ("host", "fail")
    assert finding.message == "6 compute ports found, the platform has 8" and "lspci" in finding.remedy


def test_an_unread_state_is_unknown():
    finding = by_subject(run(with_port(5, reason="NoPermission", state=None)))["mlx5_5/1"]
    assert finding.status == "unknown" and finding.message == "state unavailable (NoPermission)" and finding.remedy


def test_a_node_with_no_hca_fails_when_the_pack_expects_ports():
    facts = hgx_h100()
    facts["infiniband"] = []
    [finding] = run(facts)
    assert finding.status == "fail"
    assert finding.message == ("no InfiniBand or RoCE HCA on this node (/sys/class/infiniband is empty); "
                               "the platform has 8 compute ports")
    facts["probe_errors"] = [{"probe": "infiniband", "error": "Timeout: no answer within 10s"}]
    [finding] = run(facts)
    assert finding.status == "unknown" and "Timeout" in finding.message


def test_pcie_platforms_expect_no_port():
    [finding] = run(platform("l40s"), expected_ports=None)
    assert finding.status == "skip" and finding.message.endswith("and the rule pack expects none")
    [finding] = run(hgx_h100(), expected_ports=0)  # hgx-h20: the reference gives no figure
    assert finding.status == "skip" and "8 HCA ports found, not judged" in finding.message


def test_a_definite_fault_outranks_an_unread_rate():
    # The port states of the real ibstat captures (tests/data/captures/ibstat_H100-node_IB-NDR400_3-ports-down.txt:
    # "State: Down", "Physical state: Disabled"), with the rate not read.
    for state, phys in (("DOWN", "Polling"), ("DOWN", "Disabled"), ("INIT", "LinkUp"), ("DOWN", None)):
        facts = with_port(3, reason="NotInSource", state=state, phys_state=phys, rate_gbps=None)
        finding = by_subject(run(facts))["mlx5_3/1"]
        assert finding.status == "fail" and finding.message.startswith(f"port {state} ("), (state, phys)
    polling = by_subject(run(with_port(3, reason="NotInSource", state=None, phys_state="Polling")))["mlx5_3/1"]
    assert polling.status == "fail" and "state unread" in polling.message and "cable" in polling.remedy
    # Nothing read is wrong and the rate is unread: unknown, as before.
    unread = by_subject(run(with_port(3, reason="NotInSource", rate_gbps=None)))["mlx5_3/1"]
    assert unread.status == "unknown" and "rate_gbps unavailable (NotInSource)" in unread.message


def test_one_link_layer_setting_is_shared_with_topology_nic_affinity():
    # A RoCE node: every compute port Ethernet. Judged as InfiniBand both checks leave the ports out.
    facts = hgx_h100()
    for port in facts["infiniband"]:
        port["link_layer"] = "Ethernet"
    as_ib = run_check("topology.nic_affinity", facts, PACK, platform=INFINIBAND)
    assert {f.status for f in as_ib} == {"skip"}
    as_roce = run_check("topology.nic_affinity", facts, PACK, platform={"compute_link_layer": "Ethernet"})
    assert {f.status for f in as_roce} == {"pass"} and len(as_roce) == 8
    assert by_subject(run(facts, platform={"compute_link_layer": "Ethernet"}))["host"].status == "pass"
    hint = by_subject(run(facts))["host"]
    assert hint.status == "fail" and "8 Ethernet ports at the compute rate" in hint.message
    assert 'compute_link_layer = "Ethernet"' in hint.remedy
