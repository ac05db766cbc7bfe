"""Property-based fuzzing: snapshots, rule packs and site files drawn by Hypothesis (tests/facts_strategies.py)
go through the engine, every reporter and the command line.

Properties: no exception escapes; the command exits 0, 1 or 2, never 3; a valid snapshot never makes a
check raise (an `error` finding is a readycheck bug); a value that was not read (null, NotSupported or
any other reason) never yields a pass; every report parses (JSON; JUnit XML and HTML with lxml;
Prometheus text line by line with prometheus_client's parser).

Example counts are small by default, for every CI run (about 15 s in all on two cores). For a long
hunt: `HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py` (fifty times as many examples, failures
kept in .hypothesis/ to replay).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest
from facts_strategies import packs, sites, snapshots, strategy, toml
from factsbuilder import under_load
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from perfbuilder import healthy as with_perf
from prometheus_client.parser import text_string_to_metric_families

from readycheck import cli
from readycheck.engine import finish, judge
from readycheck.facts.schema import FACTS_V1, validate
from readycheck.findings import ERROR, PASS, gpu_subject, port_subject
from readycheck.report import FORMATS, render
from readycheck.rulepack import builtin_names
from readycheck.rulepack import load as load_pack

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = [json.loads(path.read_text()) for path in sorted((REPO / "examples").glob("*.json"))]


def _every_part() -> dict:
    """An HGX H100 with every optional part of the facts filled in as the probes write them: a --perf run
    (tests/perfbuilder.py), a load phase with its error counters and millisecond power peaks, and the BMC
    read over Redfish (PSUs, declared redundancy, fans, intake, chassis power)."""
    facts = under_load(with_perf())
    facts["load"]["power_peaks"] = {"window_ms": 20.0, "node_peak_w": 5600.0, "unavailable": {},
                                    "gpus": [{"gpu": g, "peak_w": 700.0, "samples": 500, "unavailable": {}}
                                             for g in range(8)]}
    facts["bmc"] = {"url": "https://10.0.0.5", "url_source": "--bmc", "tls": "verified", "redfish_version": "1.17.0",
                    "chassis": "/redfish/v1/Chassis/1", "resources": ["PowerSubsystem", "ThermalSubsystem"],
                    "error": None, "unavailable": {}}
    facts["host"].update(
        psus=[{"name": f"PSU{n}", "present": True, "ok": True, "health": "OK", "capacity_w": 3300.0,
               "input_voltage_type": "AC200To240V", "line_input_ok": True, "source": "redfish", "unavailable": {}}
              for n in range(6)],
        psu_redundancy=[{"mode": "NPlusM", "min_needed": 4, "max_in_group": 6, "members": [f"PSU{n}" for n in range(6)],
                         "state": "Enabled", "health": "OK", "source": "redfish", "unavailable": {}}],
        fans=[{"name": f"Fan{n}", "present": True, "ok": True, "health": "OK", "speed_pct": 40.0, "speed_rpm": 9000.0,
               "source": "redfish", "unavailable": {}} for n in range(4)],
        inlet_temperature_source="redfish", chassis_power_w=5200.0, chassis_power_limit_w=10200.0,
        chassis_power_source="redfish")
    facts["host"]["unavailable"].pop("psus", None)
    return facts


# What the drawn values go into: the bundled examples, and a node with every optional part (perf, BMC, load).
BASES = [*EXAMPLES, _every_part()]
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
# CI draws the same examples every run (derandomize), so a red run is a finding, never luck.
settings.register_profile("ci", deadline=None, database=None, derandomize=True, suppress_health_check=SLOW,
                          print_blob=True)
settings.register_profile("long", deadline=None, suppress_health_check=SLOW, print_blob=True)
settings.load_profile(PROFILE)
SCALE = int(os.environ.get("READYCHECK_FUZZ_SCALE") or (50 if PROFILE == "long" else 1))  # examples x SCALE
STATS: dict[str, int] = {}


def _count(name: str) -> None:
    STATS[name] = STATS.get(name, 0) + 1


# --- what a report must be -----------------------------------------------------------------------


def assert_reports_parse(report) -> None:
    """Every format renders, and each parses as what it claims to be."""
    out = {fmt: render(report, fmt) for fmt in FORMATS}
    parsed = json.loads(out["json"])
    assert parsed["verdict"] == report.verdict
    etree.fromstring(out["junit"].encode())
    lxml_html.document_fromstring(out["html"])
    for line in out["prom"].splitlines():  # line by line: a broken line names itself
        list(text_string_to_metric_families(line + "\n"))
    list(text_string_to_metric_families(out["prom"]))
    assert out["text"] and out["md"]


def assert_no_check_raised(report) -> None:
    errors = [f for f in report.findings if f.status == ERROR]
    assert not errors, [(f.check, f.subject, f.message) for f in errors]


# --- snapshots drawn from the schema alone ------------------------------------------------------


@settings(max_examples=25 * SCALE)
@given(facts=snapshots(), pack=st.sampled_from(builtin_names()))
def test_drawn_snapshots_through_the_engine_and_every_reporter(facts, pack):
    assert validate(facts) == []
    rules = load_pack(pack)
    report = finish([judge(facts, rules)], None, rules)
    assert_no_check_raised(report)
    assert_reports_parse(report)
    _count("drawn snapshots")


# --- real snapshots with drawn values put in ----------------------------------------------------


def _leaves(value, path=()):
    """Every (path, schema node) of a snapshot's values, objects and lists included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "unavailable":
                yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))


def _schema_at(path):
    node = FACTS_V1
    for part in path:
        node = node["items"] if isinstance(part, int) else node.get("properties", {}).get(part) or node.get(
            "additionalProperties")
        if not isinstance(node, dict):
            return None
    return node


@st.composite
def mutated(draw, base=None):
    """One of the bundled examples with one to five of its values (or whole objects and lists)
    replaced by values the schema admits; a value made null gets a reason."""
    facts = copy.deepcopy(base if base is not None else draw(st.sampled_from(BASES)))
    paths = [p for p in _leaves(facts) if p and _schema_at(p) is not None]
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=5)):
        parent = facts
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]]  # noqa: B018 - the path may be gone after an earlier replacement
        except (KeyError, IndexError, TypeError):
            continue
        name = next((p for p in reversed(path) if isinstance(p, str)), "")
        parent[path[-1]] = value = draw(strategy(_schema_at(path), name))
        if value is None and isinstance(parent, dict) and isinstance(parent.get("unavailable"), dict):
            parent["unavailable"][path[-1]] = draw(st.sampled_from(["NotSupported", "NoPermission", "Timeout"]))
    assume(validate(facts) == [])
    return facts


@settings(max_examples=40 * SCALE)
@given(facts=mutated(), pack=st.sampled_from(builtin_names()))
def test_real_snapshots_with_drawn_values_through_the_engine_and_every_reporter(facts, pack):
    rules = load_pack(pack)
    report = finish([judge(facts, rules)], None, rules)
    assert_no_check_raised(report)
    assert_reports_parse(report)
    _count("mutated snapshots")


# --- a value not read never passes --------------------------------------------------------------

REASON = st.sampled_from(["NotSupported", "NoPermission", "Timeout", "GpuIsLost", "NotInSource"])


def _unread(obj: dict, reason: str, keep: tuple[str, ...]) -> None:
    """Every value of `obj` (its groups too) null with `reason`, except `keep`."""
    unavailable = obj.setdefault("unavailable", {})
    for key in list(obj):
        if key not in keep and key != "unavailable":
            obj[key] = None
            unavailable[key] = reason


def _load_phase(facts: dict) -> dict:
    gpus = [gpu["index"] for gpu in facts["gpus"] if gpu["index"] is not None]
    samples = [{"t": float(t), "gpu": gpu, "power_draw_w": 690.0, "temperature_gpu_c": 60.0,
                "temperature_memory_c": 65.0, "clocks_sm_mhz": 1980.0, "clocks_event_reasons": ["sw_power_cap"]}
               for t in range(3) for gpu in gpus]
    return {"backend": "builtin", "seconds": 3, "interval_s": 1.0, "samples": samples, "errors": [],
            "status": "completed", "reason": None, "elapsed_s": 3.0, "chassis": [], "chassis_unavailable": None}


@settings(max_examples=30 * SCALE)
@given(data=st.data(), reason=REASON, loaded=st.booleans(), pack=st.sampled_from(builtin_names()))
def test_a_gpu_or_port_whose_values_were_not_read_never_passes(data, reason, loaded, pack):
    facts = data.draw(mutated(EXAMPLES[data.draw(st.sampled_from(range(len(EXAMPLES))))]))
    if loaded:
        facts["load"] = _load_phase(facts)
    subjects = [gpu_subject(g) for g in facts["gpus"]] + [port_subject(p) for p in facts["infiniband"]]
    # Only a part that its subject names alone: a drawn duplicate index would mix two GPUs' findings.
    gpus = [g for g in facts["gpus"] if g.get("index") is not None and subjects.count(gpu_subject(g)) == 1]
    ports = [p for p in facts["infiniband"] if subjects.count(port_subject(p)) == 1]
    assume(gpus or ports)
    unread = set()
    for gpu in data.draw(st.lists(st.sampled_from(gpus), max_size=2, unique_by=id)) if gpus else []:
        unread.add(gpu_subject(gpu))
        _unread(gpu, reason, keep=("index",))
        for sample in (facts.get("load") or {}).get("samples", []):
            if sample["gpu"] == gpu["index"]:
                sample.update({k: None for k in sample if k not in ("t", "gpu", "unavailable")})
    for port in data.draw(st.lists(st.sampled_from(ports), max_size=2, unique_by=id)) if ports else []:
        unread.add(port_subject(port))
        _unread(port, reason, keep=("device", "port", "counters"))
        port["counters"] = dict.fromkeys(port["counters"])
        port["unavailable"].update({f"counters.{name}": reason for name in port["counters"]})
    assume(unread)
    assert validate(facts) == [], validate(facts)
    rules = load_pack(pack)
    report = finish([judge(facts, rules)], None, rules)
    passed = [(f.check, f.subject, f.message) for f in report.findings if f.status == PASS and f.subject in unread]
    assert not passed, passed
    assert_no_check_raised(report)
    _count("unread GPUs and ports")


# --- rule packs, site files and snapshots through the command line --------------------------------


def _run_cli(args: list[str]) -> tuple[int, str]:
    """`readycheck ARGS` in this process: its exit code and what it wrote on stderr."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            cli.main()
        except SystemExit as done:
            return done.code, err.getvalue()
        finally:
            sys.argv = ["pytest"]
    raise AssertionError("main() returned without exiting")


@settings(max_examples=25 * SCALE)
@given(data=st.data(), pack=packs(), with_site=st.booleans(), broken=st.none() | st.binary(max_size=8))
def test_drawn_packs_and_site_files_through_the_command_line(data, pack, with_site, broken):
    nodes = data.draw(st.lists(mutated(), min_size=1, max_size=3))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        paths = []
        for i, facts in enumerate(nodes):
            paths.append(folder / f"node{i}.json")
            paths[-1].write_bytes(json.dumps(facts).encode())
        if broken is not None:  # the last file cut short somewhere, and some bytes put in its place
            text = paths[-1].read_bytes()
            paths[-1].write_bytes(text[:data.draw(st.integers(0, len(text) - 1))] + broken)
        (folder / "pack.toml").write_text(toml(pack))
        args = ["check", *map(str, paths), "--rules", str(folder / "pack.toml")]
        if with_site:
            hostnames = [n["host"]["hostname"] or "" for n in nodes]
            (folder / "site.toml").write_text(toml(data.draw(sites(hostnames))))
            args += ["--site", str(folder / "site.toml")]
        args += [a for fmt in FORMATS if fmt != "text" for a in ("-f", fmt)] + ["-o", str(folder / "out")]
        sys.argv = ["readycheck", *args]
        code, err = _run_cli(args)
        assert code in (0, 1, 2), err
        if code == 2:
            assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
            _count("command lines refused (exit 2)")
            return
        report = json.loads((folder / "out" / "readycheck-report.json").read_text())
        assert [f for f in report["findings"] if f["status"] == ERROR] == []
        etree.parse(str(folder / "out" / "readycheck-report.xml"))
        lxml_html.parse(str(folder / "out" / "readycheck-report.html"))
        list(text_string_to_metric_families((folder / "out" / "readycheck-report.prom").read_text()))
        _count("command lines judged (exit 0 or 1)")


@pytest.fixture(scope="module", autouse=True)
def _figures():
    """Print what the fuzzing ran (pytest -s shows it): examples per property."""
    yield
    print("\nfuzzing figures:", ", ".join(f"{count} {name}" for name, count in STATS.items()))



# --- what the fuzzing found, kept as plain examples ------------------------------------------------


def _with_load(facts):
    facts["load"] = _load_phase(facts)


FOUND = {
    # host.storage_throughput divided an unread byte count: TypeError
    "storage test with unread sizes": lambda f: f["host"].update(storage_test={
        "path": "/raid", "files": None, "bytes": None, "seconds": None, "gb_per_s": 1.5, "stopped_by": None,
        "unavailable": {"files": "NotSupported", "bytes": "NotSupported", "seconds": "NotSupported"}}),
    # power.psu_redundancy joined PSU names, one of them null: TypeError
    "a PSU without a name": lambda f: f["host"].update(psus=[{"name": None, "present": True, "ok": False,
                                                              "capacity_w": 3300}]),
    # the load checks sorted GPU indices, one of them null: TypeError
    "a GPU without an index, under load": lambda f: (_with_load(f), f["gpus"][7].update(index=None)),
    # load.clocks and load.power_reached divided by a maximum clock or a power limit of 0
    "a maximum SM clock and a power limit of 0, under load": lambda f: (
        _with_load(f), f["gpus"][0].update(clocks_max_sm_mhz=0, power_limit_w=0)),
    # the perf summary formatted an all-reduce it could not measure (TypeError), and the HTML report read
    # a port's optional `memory` and an absent reason (jinja2's UndefinedError)
    "an all-reduce and an HCA port --perf did not measure": lambda f: f.update(perf=_unmeasured_perf()),
}


def _unmeasured_perf() -> dict:
    perf = with_perf()["perf"]
    perf["nccl"][0].update(busbw_gb_per_s=None, unavailable={"busbw_gb_per_s": "Timeout"})
    perf["ib"][0].update(bandwidth_gbps=None, unavailable={})
    perf["ib"][0].pop("memory", None)
    return perf


@pytest.mark.parametrize("edit", FOUND.values(), ids=FOUND.keys())
def test_what_the_fuzzing_found_is_judged_without_an_error(edit, tmp_path):
    facts = copy.deepcopy(EXAMPLES[1])
    edit(facts)
    assert validate(facts) == []
    (tmp_path / "pack.toml").write_text('extends = "hgx-h100"\n'
                                        '[checks."host.storage_throughput"]\nmin_gb_per_s = 1.0\n')
    pack = load_pack(str(tmp_path / "pack.toml"))
    report = finish([judge(facts, pack)], None, pack)
    assert_no_check_raised(report)
    assert_reports_parse(report)


def test_a_branch_prefix_is_no_minimum_version():
    """Found by the long run: `[checks."driver.cuda"] min = "550."` loaded (a prefix is allowed in a list of
    versions), then driver.cuda raised comparing with it."""
    from readycheck.checks import load

    assert load("driver.version").SETTINGS["allowed"].accepts(["550.", "570.133.20"])
    for check_id in ("driver.cuda", "driver.version"):
        assert load(check_id).SETTINGS["min"].problem("550.") == "must be version, found '550.'"
