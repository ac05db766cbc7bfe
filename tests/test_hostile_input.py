"""Hostile input and faults: every input error is exit 2 with one line naming the file (and key), never
a hang, never exit 3, never a lost file. The commands run in a subprocess with a memory and time bound,
so a regression hangs or exhausts nothing but the test."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from probe_fakes import ROOTS

REPO = Path(__file__).resolve().parent.parent
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"
SITE = REPO / "examples" / "site.toml"
CAPTURE = REPO / "tests" / "data" / "captures" / "nvidia-smi-q-x_Tesla-T4_driver515.105.01.xml"
MEMORY_BOUND = 2 * 2**30
BARE = ROOTS / "bare"  # a machine with nothing on it, for `collect --root`


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BOUND, MEMORY_BOUND))


def readycheck(*args, cwd=None, stdin=None, input=None, timeout=60, env=None):
    return subprocess.run([sys.executable, "-m", "readycheck", *map(str, args)], capture_output=True,
                          cwd=cwd, stdin=stdin, input=input, timeout=timeout, preexec_fn=_bounded,
                          env={**os.environ, **(env or {})})


def one_line_error(done, *words: str) -> str:
    """The run ended with exit 2 and one line on stderr holding every word; returns that line."""
    err = done.stderr.decode()
    assert done.returncode == 2, (done.returncode, err[-2000:])
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err[-2000:]
    for word in words:
        assert word in err, (word, err)
    return err


# --- 1. Reports are written atomically and never over an input ----------------------------------


@pytest.mark.parametrize("args, victim", [
    (["check", "a.json", "b.json", "-f", "html", "-o", "a.json"], "a.json"),
    (["check", "a.json", "-f", "json", "-o", "./a.json"], "a.json"),
    (["check", "a.json", "--site", "site.toml", "-f", "md", "-o", "site.toml"], "site.toml"),
    (["check", "a.json", "--rules", "pack.toml", "-f", "prom", "-o", "pack.toml"], "pack.toml"),
    (["check", "a.json", "--order", "order.toml", "-f", "junit", "-o", "order.toml"], "order.toml"),
    (["check", "snaps", "-f", "json", "-f", "md", "-o", "snaps"], "snaps/readycheck-report.json"),
    (["import", "capture.xml", "-o", "capture.xml"], "capture.xml"),
    (["slurm-health", "--snapshot", "a.json", "--dry-run", "-f", "json", "-o", "a.json"], "a.json"),
    (["collect", "--root", BARE, "--bmc-credentials", "bmc.env", "-o", "bmc.env"], "bmc.env"),
    (["scan", "--bmc-credentials", "bmc.env", "-f", "json", "-o", "bmc.env"], "bmc.env"),
])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, args, victim):
    (tmp_path / "bmc.env").write_text("READYCHECK_BMC_USER=ops\nREADYCHECK_BMC_PASSWORD=secret\n")
    os.chmod(tmp_path / "bmc.env", 0o600)
    for name in ("a.json", "b.json"):
        shutil.copy(HEALTHY, tmp_path / name)
    (tmp_path / "snaps").mkdir()
    shutil.copy(HEALTHY, tmp_path / "snaps" / "readycheck-report.json")  # a snapshot named like a report
    shutil.copy(SITE, tmp_path / "site.toml")
    shutil.copy(CAPTURE, tmp_path / "capture.xml")
    (tmp_path / "pack.toml").write_text('extends = "hgx-h100"\n')
    (tmp_path / "order.toml").write_text("gpu_count = 8\n")
    before = (tmp_path / victim).read_bytes()
    done = readycheck(*args, cwd=tmp_path)
    one_line_error(done, victim.split("/")[-1], "is also an input")
    assert (tmp_path / victim).read_bytes() == before


def test_a_report_that_fails_to_render_leaves_the_previous_report_whole(tmp_path, monkeypatch):
    from readycheck import cli
    from readycheck.engine import finish, judge
    from readycheck.facts import load_snapshot
    from readycheck.report import json_report
    from readycheck.rulepack import load

    pack = load("hgx-h100")
    report = finish([judge(load_snapshot(HEALTHY), pack)], None, pack)
    out = tmp_path / "report.json"
    out.write_text("the report of yesterday\n")

    def breaks_halfway(report, stream):
        stream.write('{"schema":')
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(json_report, "write", breaks_halfway)
    with pytest.raises(RuntimeError):
        cli._write(report, "json", str(out))
    assert out.read_text() == "the report of yesterday\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary file left behind


def test_a_report_replaces_the_old_one_whole_and_readable_by_others(tmp_path):
    out = tmp_path / "readycheck.prom"
    out.write_text("old\n")
    os.chmod(out, 0o644)
    done = readycheck("check", HEALTHY, "-f", "prom", "-o", out)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("# HELP readycheck_ready")
    assert out.stat().st_mode & 0o777 == 0o644  # node_exporter, another user, still reads it
    fresh = tmp_path / "fresh.prom"
    readycheck("check", HEALTHY, "-f", "prom", "-o", fresh)
    assert fresh.stat().st_mode & 0o044 == 0o044  # created with the usual mode, not a private temp file's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.prom", "readycheck.prom"]


def test_collect_replaces_its_snapshot_whole_on_the_fast_path_too(tmp_path):
    """A plain `collect -o FILE` (readycheck/entry.py, no click) writes through the same atomic writer."""
    out = tmp_path / "facts.json"
    out.write_text("yesterday's facts\n")
    os.chmod(out, 0o640)
    done = readycheck("collect", "--root", BARE, "-o", out)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["schema"] == "readycheck.facts/1"
    assert out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facts.json"]  # no temporary file left behind
    one_line_error(readycheck("collect", "--root", BARE, "-o", tmp_path), str(tmp_path), "is a directory")


def test_several_formats_into_an_existing_file_exit_2(tmp_path):
    existing = tmp_path / "report.txt"
    existing.write_text("keep me\n")
    done = readycheck("check", HEALTHY, "-f", "html", "-f", "junit", "-o", existing)
    one_line_error(done, "report.txt", "not a directory")
    assert existing.read_text() == "keep me\n"


def test_an_output_directory_that_cannot_be_created_exits_2(tmp_path):
    (tmp_path / "plain").write_text("")
    done = readycheck("check", HEALTHY, "-f", "html", "-f", "junit", "-o", tmp_path / "plain" / "reports")
    one_line_error(done, "reports", "cannot create")
    done = readycheck("check", HEALTHY, "-f", "json", "-o", tmp_path / "no" / "such" / "report.json")
    one_line_error(done, "report.json", "cannot write")


# --- 2. Special files: refused at once; standard input read through the same bound ---------------


def _special(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        path = tmp_path / "pipe.toml"
        os.mkfifo(path)
        return str(path)
    if kind == "directory":
        path = tmp_path / "folder.toml"
        path.mkdir()
        return str(path)
    return "/dev/zero"


WHERE = {
    "snapshot": lambda p: ["check", p],
    "rules": lambda p: ["check", HEALTHY, "--rules", p],
    "site": lambda p: ["check", HEALTHY, "--site", p],
    "order": lambda p: ["check", HEALTHY, "--order", p],
    "import": lambda p: ["import", p],
    "slurm snapshot": lambda p: ["slurm-health", "--dry-run", "--snapshot", p],
}


SPECIAL = (("fifo", "a FIFO"), ("zero", "a character device"), ("directory", "a directory"))


# A directory of snapshots stands for its *.json files: not a special file there.
def test_a_bmc_credentials_fifo_is_refused_without_hanging(tmp_path):
    """Its owner-only mode passes; what it is, a FIFO, is refused before a byte is read."""
    path = _special(tmp_path, "fifo")
    os.chmod(path, 0o600)
    done = readycheck("collect", "--root", BARE, "--bmc-credentials", path, timeout=20)
    one_line_error(done, "--bmc-credentials", path, "a FIFO")


@pytest.mark.parametrize("where, kind, words", [(where, kind, words) for where in WHERE for kind, words in SPECIAL
                                                if (where, kind) != ("snapshot", "directory")])
def test_special_files_are_refused_without_hanging(tmp_path, where, kind, words):
    path = _special(tmp_path, kind)
    done = readycheck(*WHERE[where](path), timeout=20)
    one_line_error(done, path, words)


def test_endless_standard_input_is_refused_at_the_bound():
    with open("/dev/zero", "rb") as zero:
        done = readycheck("check", "-", stdin=zero, timeout=30)
    one_line_error(done, "-: larger than 256 MiB")


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_a_snapshot_on_standard_input_is_judged(name):
    done = readycheck("check", name, input=HEALTHY.read_bytes())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("gpu-b07-03: READY")


def test_a_capture_and_a_site_file_on_standard_input():
    done = readycheck("import", "-", input=CAPTURE.read_bytes())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gpus"][0]["name"] == "Tesla T4"
    done = readycheck("check", HEALTHY, "--site", "-", input=SITE.read_bytes())
    from_file = readycheck("check", HEALTHY, "--site", SITE)
    assert "rack B07" in done.stdout.decode() and not done.stderr
    assert (done.returncode, done.stdout) == (from_file.returncode, from_file.stdout)


def test_standard_input_named_twice_is_refused():
    done = readycheck("check", "-", "--site", "/dev/stdin", input=HEALTHY.read_bytes())
    one_line_error(done, "standard input", "twice")


def test_a_snapshot_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + HEALTHY.read_bytes())
    done = readycheck("check", path)
    assert done.returncode == 0, done.stderr


# --- 3. Bad values in a snapshot are input errors naming the key, never exit 3 or an ERROR finding --


def _snapshot_with(tmp_path: Path, edit, name: str = "edited.json") -> Path:
    facts = json.loads(HEALTHY.read_text())
    edit(facts)
    path = tmp_path / name
    path.write_text(json.dumps(facts))
    return path


def _set(*keys, value):
    def edit(facts):
        target = facts
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return edit


@pytest.mark.parametrize("edit, key", [
    (_set("gpus", 0, "power_limit_w", value=10**400), "gpus[0].power_limit_w"),
    (_set("gpus", 0, "temperature_gpu_c", value=1e300), "gpus[0].temperature_gpu_c"),
    (_set("gpus", 3, "pcie_link_width_current", value=-16), "gpus[3].pcie_link_width_current"),
    (_set("nvidia", "attached_gpus", value="7"), "nvidia.attached_gpus"),
    (_set("infiniband", 0, "hca_type", value=4129), "infiniband[0].hca_type"),
    (_set("host", "hostname", value="gpu-" * 100_000), "host.hostname"),
    (_set("gpus", 0, "nvlinks", 0, "crc_errors", value=2**70), "gpus[0].nvlinks[0].crc_errors"),
], ids=["400-digit-integer", "1e300-degrees", "negative-width", "count-as-text", "hca-type-number",
        "huge-hostname", "counter-past-64-bits"])
def test_a_value_out_of_type_or_physical_range_names_file_and_key(tmp_path, edit, key):
    done = readycheck("check", _snapshot_with(tmp_path, edit), "-f", "json", "-o", tmp_path / "r.json")
    line = one_line_error(done, "edited.json", f"key {key}:")
    assert len(line) < 300
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("key, setting", [("driver_version", "min = \"535.54.03\""),
                                          ("cuda_driver_version", "min = \"12.2\"")])
def test_a_version_that_is_not_one_is_unknown_not_an_error_finding(tmp_path, key, setting):
    check_id = {"driver_version": "driver.version", "cuda_driver_version": "driver.cuda"}[key]
    (tmp_path / "pack.toml").write_text(f'extends = "hgx-h100"\n[checks."{check_id}"]\n{setting}\n')
    path = _snapshot_with(tmp_path, _set("nvidia", key, value="banana"))
    done = readycheck("check", path, "--rules", tmp_path / "pack.toml", "-f", "json", "-o", tmp_path / "r.json")
    assert done.returncode == 1, done.stderr
    findings = [f for f in json.loads((tmp_path / "r.json").read_text())["findings"] if f["check"] == check_id]
    assert [f["status"] for f in findings] == ["unknown"]
    assert "'banana' is not a dotted version number" in findings[0]["message"]
    assert key in findings[0]["message"]


def test_every_number_string_array_and_map_of_the_schema_is_bounded():
    from readycheck.facts.schema import FACTS_V1

    unbounded = []

    def walk(node, path):
        types = node.get("type")
        types = {types} if isinstance(types, str) else set(types or ())
        if types & {"integer", "number"} and not ("minimum" in node and "maximum" in node):
            unbounded.append(f"{path}: number")
        if "string" in types and "maxLength" not in node:
            unbounded.append(f"{path}: string")
        if "array" in types and "maxItems" not in node:
            unbounded.append(f"{path}: array")
        if isinstance(node.get("additionalProperties"), dict):
            if "maxProperties" not in node:
                unbounded.append(f"{path}: map")
            walk(node["additionalProperties"], f"{path}.*")
        for key, child in node.get("properties", {}).items():
            walk(child, f"{path}.{key}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(FACTS_V1, "")
    assert unbounded == []


@pytest.mark.parametrize("edit", [
    _set("gpus", 0, "power_limit_w", value=1e7), _set("host", "os", value="x" * 5000),
    lambda facts: facts["gpus"][0].update(nvlinks=[dict(facts["gpus"][0]["nvlinks"][0], link=i % 64)
                                                   for i in range(65)]),
    _set("nvidia", "kernel_modules", value={f"m{i}": None for i in range(1025)}),
])
def test_the_validator_and_jsonschema_agree_on_every_bound(edit):
    import jsonschema

    from readycheck.facts.schema import FACTS_V1, validate

    facts = json.loads(HEALTHY.read_text())
    jsonschema.validate(facts, FACTS_V1)
    edit(facts)
    assert validate(facts)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(facts, FACTS_V1)


# --- 5. Size: arrays bounded to what one node holds; findings bounded whatever the count ---------


def test_a_snapshot_of_8000_gpus_is_refused_naming_the_key(tmp_path):
    facts = json.loads(HEALTHY.read_text())
    facts["gpus"] = [dict(facts["gpus"][i % 8], index=i) for i in range(8000)]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(facts))
    done = readycheck("check", path)
    one_line_error(done, "huge.json", "key gpus: 8000 items, at most 64 allowed")


def test_a_capture_full_of_stray_lines_imports_with_its_notes_bounded(tmp_path):
    from readycheck.importers import import_files

    lines = (CAPTURE.parent / "ibstat_A100-node_IB-HDR200_all-active.txt").read_text().splitlines()
    path = tmp_path / "ibstat.txt"
    path.write_text("\n".join(lines[:8] + [f"stray line {i}" for i in range(3000)] + lines[8:]) + "\n")
    notes = import_files([path])["imported_from"][0]["notes"]
    assert len(notes) == 100
    assert notes[-1] == "and 2901 more skipped lines, not noted one by one"


# --- 4. Nonsense settings stop the run at load, naming the file and the key ---------------------


@pytest.mark.parametrize("table, words", [
    ('[checks."power.limit"]\nexpected_w = -700.0\n', "check 'power.limit': key 'expected_w' must be 0 or more"),
    ('[checks."gpu.count"]\nexpected = -8\n', "check 'gpu.count': key 'expected' must be 0 or more, found -8"),
    ('[checks."power.limit"]\nexpected_w = 1' + "0" * 400 + "\n", "key 'expected_w' must be at most 18446744073"),
    ('[checks."load.power_reached"]\nmin_share = 9.0\n', "key 'min_share' must be from 0 to 1, found 9.0"),
    ('[checks."health.xid"]\nignore = [13, -1]\n', "key 'ignore' must be 0 or more, found [13, -1]"),
    ('[checks."fleet.drift"]\nfields = ["driver"]\n', "check 'fleet.drift': key 'fields' may list driver_version"),
    ('[checks."power.limit"]\nallowed_default_w = [700.0, -1.0]\n', "key 'allowed_default_w' must be 0 or more"),
    ('[checks."pcie.replays"]\nmax_per_minute = -5.0\n', "key 'max_per_minute' must be 0 or more, found -5.0"),
    ('[checks."perf.gemm"]\nmax_below_median = 1.5\n', "key 'max_below_median' must be from 0 to 1, found 1.5"),
    ('[checks."perf.nccl"]\nmin_busbw_gb_per_s = -1\n', "key 'min_busbw_gb_per_s' must be 0 or more, found -1"),
    ('[checks."health.xid"]\nsince = "last tuesday"\n', "check 'health.xid': since 'last tuesday' is neither"),
    ('[platform]\nnameplate_max_w = 1e300\n', "platform: key 'nameplate_max_w' must be a number of watts above 0"),
    ('[platform]\ncompute_link_layer = "Banana"\n', "platform: key 'compute_link_layer' must be 'InfiniBand'"),
])
def test_a_nonsense_pack_setting_exits_2_naming_file_check_and_key(tmp_path, table, words):
    (tmp_path / "pack.toml").write_text(f'extends = "hgx-h100"\n{table}')
    done = readycheck("check", HEALTHY, HEALTHY, "--rules", tmp_path / "pack.toml")
    one_line_error(done, "pack.toml", words)


def test_a_negative_gpu_count_in_an_order_exits_2(tmp_path):
    (tmp_path / "order.toml").write_text("gpu_count = -8\n")
    done = readycheck("check", HEALTHY, "--order", tmp_path / "order.toml")
    one_line_error(done, "order.toml: key 'gpu_count' must be 0 or more, found -8")


@pytest.mark.parametrize("edit, words", [
    (("amps = 16", "amps = 1e-300"), "rack[0].feed[0].amps: must be from 1 to 6300, found 1e-300"),
    (("volts = 415", "volts = 415000"), "rack[0].feed[0].volts: must be from 12 to 1000"),
    (("power_factor = 0.95", "power_factor = 0.0001"), "rack[0].feed[0].power_factor: must be from 0.5 to 1"),
    (("air_cooling_kw = 40.0", "air_cooling_kw = 1e300"), "rack[0].air_cooling_kw: must be from 0 to 10000"),
])
def test_a_nonsense_site_value_exits_2_naming_file_and_key(tmp_path, edit, words):
    text = SITE.read_text()
    assert edit[0] in text
    (tmp_path / "site.toml").write_text(text.replace(edit[0], edit[1], 1))
    done = readycheck("check", HEALTHY, "--site", tmp_path / "site.toml")
    one_line_error(done, "site.toml", words)


RACK = """
[[rack]]
name = "{name}"
nodes = [{nodes}]

[[rack.feed]]
name = "A"
volts = 415
amps = 32
phases = 3
"""


@pytest.mark.parametrize("first, second", [('"gpu-b07-*"', '"gpu-b0*"'), ('"gpu-b07-03"', '"gpu-b0?-0*"')],
                         ids=["two-globs-at-judging", "a-listed-name-at-load"])
def test_a_node_two_racks_claim_exits_2_naming_both_keys(tmp_path, first, second):
    (tmp_path / "site.toml").write_text('[site]\nname = "hall"\n' + RACK.format(name="B07", nodes=first)
                                        + RACK.format(name="B0x", nodes=second))
    done = readycheck("check", HEALTHY, "--site", tmp_path / "site.toml")
    one_line_error(done, "site.toml: rack[0].nodes and rack[1].nodes both match node 'gpu-b07-03'")


# --- 7. A fleet check that raises is an error finding on the fleet; the run finishes --------------

RAISING_FLEET_CHECK = """
import sys
from readycheck.checks import fleet_drift
def check_fleet(fleet, settings):
    raise RuntimeError("boom")
fleet_drift.check_fleet = check_fleet
from readycheck.cli import main
sys.argv = ["readycheck", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize("debug", [False, True])
def test_a_fleet_check_that_raises_is_an_error_on_the_fleet_and_every_report_is_written(tmp_path, debug):
    args = ["check", HEALTHY, HEALTHY, "--site", SITE, *[a for f in ("json", "md", "html", "junit", "prom")
                                                          for a in ("-f", f)], "-o", tmp_path]
    done = subprocess.run([sys.executable, "-c", RAISING_FLEET_CHECK, *map(str, args)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "READYCHECK_DEBUG": "1" if debug else ""})
    assert done.returncode == 1, done.stderr
    report = json.loads((tmp_path / "readycheck-report.json").read_text())
    errors = [f for f in report["findings"] if f["check"] == "fleet.drift"]
    assert [(f["status"], f["subject"]) for f in errors] == [("error", "fleet")] * 2
    assert all(node["verdict"] == "not-ready" for node in report["nodes"])
    assert "fleet.drift fleet: check raised RuntimeError: boom" in done.stdout
    assert len(list(tmp_path.iterdir())) == 5
    assert ("Traceback" in done.stderr and "RuntimeError: boom" in done.stderr) == debug


# --- 6. Control characters from the facts never reach a report raw ------------------------------

HOSTILE_TEXT = "gpu\x1b[31m\r\x00\x07\x9b2J\x7f-x\ny\t"
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_control_characters_never_reach_html_markdown_prometheus_or_junit(tmp_path):
    from lxml import etree, html
    from prometheus_client.parser import text_string_to_metric_families

    facts = json.loads(HEALTHY.read_text())
    facts["host"]["hostname"] = HOSTILE_TEXT
    facts["gpus"][0]["name"] = f"NVIDIA H100 80GB HBM3 {HOSTILE_TEXT}"
    facts["gpus"][1]["serial"] = HOSTILE_TEXT
    facts["host"]["dmi"]["product_serial"] = HOSTILE_TEXT
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(facts))
    out = tmp_path / "reports"
    done = readycheck("check", path, "--rules", "hgx-h100", *[a for f in ("md", "html", "junit", "prom", "json")
                                                              for a in ("-f", f)], "-o", out)
    assert done.returncode == 1, done.stderr
    for name in ("md", "html", "xml", "prom"):
        text = (out / f"readycheck-report.{name}").read_text()
        assert not RAW_CONTROL.search(text), (name, RAW_CONTROL.search(text))
        assert all(f"\\{escape}" in text for escape in ("x1b", "r", "x00", "x07", "x9b", "x7f")), name
    html.fromstring((out / "readycheck-report.html").read_bytes())
    etree.fromstring((out / "readycheck-report.xml").read_bytes())
    families = list(text_string_to_metric_families((out / "readycheck-report.prom").read_text()))
    nodes = {s.labels["Hostname"] for f in families for s in f.samples if "Hostname" in s.labels}
    assert nodes == {"gpu\\x1b[31m\\r\\x00\\x07\\x9b2J\\x7f-x\ny\t"}  # line feed and tab kept, escaped
    report = json.loads((out / "readycheck-report.json").read_text())
    assert report["nodes"][0]["facts"]["host"]["hostname"] == HOSTILE_TEXT  # JSON keeps the facts exact


def _crowded_node() -> dict:
    """A node at the size bounds' scale: 64 GPUs of as many VBIOS versions, 1000 HCA ports on as many
    firmware versions, all down, 2000 interfaces, 2000 different Xids, 300 drives of unknown size."""
    facts = json.loads((REPO / "examples" / "hgx-h100-faulty.json").read_text())
    gpu, port, interface = facts["gpus"], facts["infiniband"][0], facts["network_interfaces"][0]
    facts["gpus"] = [dict(gpu[i % 8], index=i, serial=f"S{i}", uuid=f"GPU-{i}", vbios_version=f"96.00.{i}.00.01",
                          pci_bus_id=f"00000000:{i:02X}:00.0") for i in range(64)]
    facts["infiniband"] = [dict(port, device=f"mlx5_{i}", fw_version=f"28.{i}.1", state="DOWN") for i in range(1000)]
    facts["network_interfaces"] = [dict(interface, name=f"veth{i}") for i in range(2000)]
    facts["xid_events"] = [dict(facts["xid_events"][0], xid=1000 + i) for i in range(2000)]
    drive = facts["host"]["block_devices"][0]
    facts["host"]["block_devices"] = [dict(drive, name=f"nvme{i}n1", serial=f"N{i}", size_bytes=None)
                                      for i in range(300)]
    return facts


def test_findings_and_the_terminal_summary_stay_short_however_many_parts_a_node_has(tmp_path):
    from readycheck.engine import finish, judge
    from readycheck.facts.schema import validate
    from readycheck.order import Order
    from readycheck.report import plain, render
    from readycheck.rulepack import load

    facts = _crowded_node()
    assert validate(facts) == []
    (tmp_path / "pack.toml").write_text('extends = "hgx-h100"\n[checks."net.interfaces"]\ninterfaces = ["eth9"]\n')
    pack = load(str(tmp_path / "pack.toml"))
    order = Order("order.toml", {"gpu_serials": [f"X{i}" for i in range(200)], "gpu_model": "A100",
                                 "nvme_serials": [f"Y{i}" for i in range(200)], "nvme_count": 4})
    report = finish([judge(facts, pack, order=order)], None, pack)
    longest = max(report.findings, key=lambda f: len(f.message))
    assert len(longest.message) < 1000, (longest.check, len(longest.message))
    assert max(len(f.remedy) for f in report.findings) < 1000
    assert max(len(plain(f.observed)) + len(plain(f.expected)) for f in report.findings) < 2000
    assert len(render(report, "text")) < 20_000
