"""Fleet checks over several snapshots and a site file: rack power, rack heat, drift, projection."""

import copy
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from factsbuilder import hgx_h100

from readycheck import inputs, rulepack
from readycheck.engine import PackedFindings
from readycheck.facts import schema
from readycheck.report import FORMATS, render
from readycheck.run import judge_files, judge_snapshots
from readycheck.site import parse

REPO = Path(__file__).resolve().parent.parent

SITE = """
[site]
name = "DC1 hall B"
ashrae_class = "A2"

[[rack]]
name = "B07"
nodes = ["gpu-b07-*"]
redundancy = "2N"
air_cooling_kw = {air}
liquid_cooling_kw = 0.0
node_count = {count}

[[rack.feed]]
name = "A"
volts = 415
amps = {amps}
phases = 3
power_factor = 0.95

[[rack.feed]]
name = "B"
volts = 415
amps = {amps}
phases = 3
power_factor = 0.95
"""


# A site pack as a DGX H100 site writes it: the built-in pack sets no power maximum (NVIDIA's figure was
# not at hand for it), so the site adds the 10.2 kW its DGX H100 user guide gives.
SITE_PACK = 'description = "DC1 DGX H100"\nextends = "dgx-h100"\n[platform]\nnameplate_max_w = 10200\n'


@pytest.fixture(scope="module")
def dgx(tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "dc1-dgx-h100.toml"
    path.write_text(SITE_PACK)
    return rulepack.load(str(path))


def site(air=40.0, amps=63, count=4):
    # 415 V x 63 A three-phase x 0.95 x 0.8 = 34.4 kW per feed; 2N: one feed carries the rack.
    return parse("site.toml", SITE.format(air=air, amps=amps, count=count))


def nodes(count, **host):
    out = []
    for n in range(count):
        facts = hgx_h100()
        facts["host"].update(hostname=f"gpu-b07-{n:02d}", **host)
        out.append(facts)
    return out


def by(report, check):
    return {(f.subject, f.node): f for f in report.findings if f.check == check}


def test_three_dgx_h100_fit_a_2n_rack_of_two_63a_feeds(dgx):
    report = judge_snapshots(nodes(3), dgx, site(count=3))
    [finding] = by(report, "power.rack_budget").values()
    assert finding.subject == "rack:B07" and finding.status == "pass"  # 30.6 kW of 34.4 kW: 89%
    assert "nameplate" in finding.message
    assert report.verdict == "ready"


def test_four_dgx_h100_overload_the_rack_and_every_node_in_it_is_not_ready(dgx):
    report = judge_snapshots(nodes(4), dgx, site(count=4))
    [finding] = by(report, "power.rack_budget").values()
    assert finding.status == "fail" and finding.observed == "40.80 kW" and "over budget" in finding.message
    assert report.verdict == "not-ready" and {n.verdict for n in report.nodes} == {"not-ready"}
    [rack] = report.racks
    assert rack.budget_kw == pytest.approx(34.41, abs=0.01) and rack.headroom_kw < 0


def test_one_node_projects_its_rack(dgx):
    report = judge_snapshots(nodes(1), dgx, site(count=4))
    [finding] = by(report, "power.rack_budget").values()
    assert finding.status == "fail" and "projected" in finding.message and "1 of 4 nodes" in finding.message
    assert report.racks[0].projected


def test_rack_heat_against_air_cooling(dgx):
    report = judge_snapshots(nodes(3), dgx, site(air=25.0, count=3))
    [finding] = by(report, "cooling.rack_heat").values()
    assert finding.status == "fail" and "air 30.6 kW of 25.0 kW" in finding.message
    assert "104,411 BTU/h" in finding.observed["air"]


def test_without_site_the_rack_checks_skip_on_each_node():
    report = judge_snapshots(nodes(2), rulepack.load("hgx-h100"), None)
    skips = by(report, "power.rack_budget")
    assert {f.status for f in skips.values()} == {"skip"} and len(skips) == 2


def test_a_node_in_no_rack_is_unknown():
    snapshots = nodes(1)
    snapshots[0]["host"]["hostname"] = "gpu-c01-01"
    report = judge_snapshots(snapshots, rulepack.load("hgx-h100"), site())
    [finding] = by(report, "power.rack_budget").values()
    assert finding.status == "unknown" and "matches no rack" in finding.message


def test_drift_fails_the_odd_node_out():
    snapshots = nodes(3)
    odd = snapshots[2]["nvidia"]
    odd.update(driver_version="550.54.14")
    report = judge_snapshots(snapshots, rulepack.load("hgx-h100"), None)
    drift = {f.node: f for f in report.findings if f.check == "fleet.drift"}
    assert drift["gpu-b07-02"].status == "fail" and drift["gpu-b07-02"].observed == {"driver_version": "550.54.14"}
    assert drift["gpu-b07-00"].status == "pass"


def test_drift_between_two_nodes_only_warns():
    snapshots = nodes(2)
    snapshots[1]["gpus"][0]["vbios_version"] = "96.00.99.00.01"
    snapshots[1]["nvidia"]["driver_version"] = "550.54.14"
    report = judge_snapshots(snapshots, rulepack.load("hgx-h100"), None)
    drift = [f for f in report.findings if f.check == "fleet.drift"]
    assert {f.status for f in drift} == {"warn"} and "no majority" in drift[0].message


def test_fleet_of_files_reads_and_validates_each_once_and_matches_in_memory(tmp_path, monkeypatch):
    snapshots = nodes(4)
    paths = []
    for facts in snapshots:
        path = tmp_path / f"{facts['host']['hostname']}.json"
        path.write_text(json.dumps(facts))
        paths.append(str(path))
    reads, validations = [], []
    read_file, validate = inputs._read_file, schema.validate

    def reading(path, *rest):
        reads.append(Path(path).name)
        return read_file(path, *rest)

    monkeypatch.setattr(inputs, "_read_file", reading)
    monkeypatch.setattr(schema, "validate", lambda data, *args: validations.append(1) or validate(data, *args))
    from_files = judge_files(paths, None, site(count=4))
    for fmt in FORMATS:  # every report shows facts of every node, from memory
        render(from_files, fmt)
    assert sorted(name for name in reads if name.endswith(".json")) == sorted(Path(p).name for p in paths)
    assert len(validations) == 4
    in_memory = judge_snapshots(copy.deepcopy(snapshots), None, site(count=4))
    assert all(n.facts is None and n.packed_facts and n.source for n in from_files.nodes)
    assert [n.load_facts() for n in from_files.nodes] == snapshots
    assert [n.source_sha256 for n in from_files.nodes] == [hashlib.sha256(Path(p).read_bytes()).hexdigest()
                                                           for p in paths]
    assert [f.as_dict() for f in from_files.findings] == [f.as_dict() for f in in_memory.findings]
    # Each node's findings are kept packed, its rack's joining them, and decide the same as in memory.
    assert all(isinstance(n.decision.findings, PackedFindings) for n in from_files.nodes)
    assert [(list(n.decision.findings), n.decision.counts, n.decision.blocking) for n in from_files.nodes] == \
        [(list(n.decision.findings), n.decision.counts, n.decision.blocking) for n in in_memory.nodes]


def test_cli_check_of_a_directory_with_a_site_file(tmp_path):
    for facts in nodes(4):
        (tmp_path / f"{facts['host']['hostname']}.json").write_text(json.dumps(facts))
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE.format(air=40.0, amps=63, count=4))
    pack = tmp_path / "dc1-dgx-h100.toml"
    pack.write_text(SITE_PACK)
    done = subprocess.run([sys.executable, "-m", "readycheck", "check", str(tmp_path), "--site", str(site_file),
                           "--rules", str(pack), "-f", "json", "-o", str(tmp_path / "r.out")],
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "FAIL    power.rack_budget rack:B07" in done.stdout
    report = json.loads((tmp_path / "r.out").read_text())
    assert report["racks"][0]["name"] == "B07" and report["racks"][0]["worst_case_kw"] == pytest.approx(40.8)
    assert len(report["nodes"]) == 4 and report["nodes"][0]["source"] == str(tmp_path / "gpu-b07-00.json")


def test_cli_bad_site_file_exits_2(tmp_path):
    site_file = tmp_path / "site.toml"
    site_file.write_text(SITE.format(air='"lots"', amps=63, count=4))
    done = subprocess.run([sys.executable, "-m", "readycheck", "check", str(REPO / "examples/hgx-h100-healthy.json"),
                           "--site", str(site_file)], capture_output=True, text=True)
    assert done.returncode == 2 and "site.toml: rack[0].air_cooling_kw: must be a number" in done.stderr


def test_drift_does_not_count_an_unread_version_as_a_value():
    snapshots = nodes(3)
    for facts in snapshots[:2]:
        facts["nvidia"]["driver_version"] = None
        facts["nvidia"]["unavailable"]["driver_version"] = "NoPermission"
    report = judge_snapshots(snapshots, rulepack.load("hgx-h100"), None)
    drift = {f.node: f for f in report.findings if f.check == "fleet.drift"}
    assert drift["gpu-b07-00"].status == "unknown" and "driver_version" in drift["gpu-b07-00"].message
    assert drift["gpu-b07-02"].status == "pass"  # the one node whose driver was read is not the odd one out


def test_nodes_without_hostnames_stay_apart(tmp_path):
    paths = []
    for n, facts in enumerate(nodes(3)):
        facts["host"]["hostname"] = None
        facts["host"]["unavailable"]["hostname"] = "NotInSource"
        if n == 1:
            facts["nvidia"]["driver_version"] = "550.54.14"
        path = tmp_path / f"capture-{n}.json"
        path.write_text(json.dumps(facts))
        paths.append(str(path))
    report = judge_files(paths, "hgx-h100", None)
    assert [n.node for n in report.nodes] == [f"unknown-host (capture-{n}.json)" for n in range(3)]
    drift = {f.node: f.status for f in report.findings if f.check == "fleet.drift"}
    assert drift == {"unknown-host (capture-0.json)": "pass", "unknown-host (capture-1.json)": "fail",
                     "unknown-host (capture-2.json)": "pass"}


@pytest.mark.parametrize("amps, status", [(63, "unknown"), (8, "fail")])
def test_a_worst_case_of_the_gpus_alone_is_a_lower_bound(amps, status):
    """dgx-h100 without the site's 10.2 kW: each node counts 8 x 700 W and nothing else. Within the budget that
    proves nothing (the CPUs and fans may tip it over): unknown, naming the figure to set; over it, a fault."""
    report = judge_snapshots(nodes(4), rulepack.load("dgx-h100"), site(amps=amps))
    for check in ("power.rack_budget", "cooling.rack_heat"):
        [finding] = by(report, check).values()
        if check == "power.rack_budget" or status == "unknown":
            assert finding.status == status, (check, finding)
        if status == "unknown":
            assert "a lower bound" in finding.message and "nameplate_max_w" in finding.remedy

