"""The command line end to end: exit codes, one-line input errors, the bundled examples, lean start-up."""

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"
FAULTY = REPO / "examples" / "hgx-h100-faulty.json"


def readycheck(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "readycheck", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def test_version_and_help():
    done = readycheck("--version")
    assert done.returncode == 0 and "readycheck, version" in done.stdout
    for command in ("collect", "schema", "check", "scan", "checks", "packs"):
        done = readycheck(command, "--help")
        assert done.returncode == 0 and "Usage: readycheck" in done.stdout, command


def test_help_imports_neither_jinja2_nor_the_probes():
    code = ("import sys; sys.argv=['readycheck','--help']\n"
            "from readycheck.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = ('jinja2', 'readycheck.probes', 'pynvml', 'psutil')\n"
            "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_healthy_example_is_ready_and_faulty_is_not():
    done = readycheck("check", HEALTHY)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("gpu-b07-03: READY")
    assert "rules: dgx-h100 (8 x NVIDIA H100 80GB HBM3" in done.stdout and "DMI product 'DGXH100'" in done.stdout

    done = readycheck("check", FAULTY)
    assert done.returncode == 1
    out = done.stdout
    assert out.startswith("gpu-b07-04: NOT READY")
    for expected in ("driver.fabricmanager", "pcie.link gpu2", "thermal.throttle gpu5",
                     "health.remapped_rows gpu6", "health.xid gpu6"):
        assert expected in out, expected
    listed = re.findall(r"^  (FAIL|ERROR|UNKNOWN|WARN) ", out, re.MULTILINE)
    assert listed[0] == "FAIL" and listed == sorted(listed, key=["FAIL", "ERROR", "UNKNOWN", "WARN"].index)
    assert not re.search(r"^  PASS ", out, re.MULTILINE)  # the summary lists what needs attention only


def test_json_report_has_verdict_findings_and_facts(tmp_path):
    out = tmp_path / "report.json"
    done = readycheck("check", FAULTY, HEALTHY, "--format", "json", "--output", out)
    assert done.returncode == 1
    report = json.loads(out.read_text())
    assert report["schema"] == "readycheck.report/2" and report["verdict"] == "not-ready"
    assert [n["verdict"] for n in report["nodes"]] == ["not-ready", "ready"]
    assert report["summary"]["ready"] == 1 and report["summary"]["not_ready"] == 1
    assert len(report["nodes"][0]["pack"]["content_hash"]) == 64
    # Several nodes: each snapshot named by path and the SHA-256 of its bytes, the findings that need attention
    # listed, each node's passes and skips by check.
    assert report["findings_listed"] == "attention"
    for node, path in zip(report["nodes"], (FAULTY, HEALTHY)):
        assert "facts" not in node and node["source"] == str(path)
        assert node["source_sha256"] == hashlib.sha256(Path(path).read_bytes()).hexdigest()
    assert {f["status"] for f in report["findings"]} == {"fail", "unknown", "warn"}
    assert report["nodes"][1]["not_listed"]["pass"]["gpu.model"] == [f"gpu{i}" for i in range(8)]
    listed = len(report["findings"]) + sum(len(subjects) for node in report["nodes"]
                                           for by_check in node["not_listed"].values()
                                           for subjects in by_check.values())
    assert listed == sum(report["summary"]["findings"].values())  # every finding, in full or by name

    done = readycheck("check", FAULTY, HEALTHY, "--format", "json", "--output", out, "--embed-facts")
    report = json.loads(out.read_text())
    assert report["findings_listed"] == "all" and len(report["findings"]) == sum(report["summary"]["findings"].values())
    assert report["nodes"][0]["facts"]["host"]["hostname"] == "gpu-b07-04" and "not_listed" not in report["nodes"][0]
    assert {f["node"] for f in report["findings"]} == {"gpu-b07-03", "gpu-b07-04"}


def test_several_formats_go_to_a_directory(tmp_path):
    done = readycheck("check", FAULTY, "-f", "json", "-f", "md", "-o", tmp_path / "out")
    assert done.returncode == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["readycheck-report.json", "readycheck-report.md"]
    assert "NOT READY" in done.stdout


def test_markdown_escapes_a_hostile_hostname(tmp_path):
    facts = json.loads(FAULTY.read_text())
    facts["host"]["hostname"] = "<img src=x onerror=alert(1)>|*evil*"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(facts))
    done = readycheck("check", path, "--format", "md")
    assert not re.search(r"(?<!\\)[<|*]evil|(?<!\\)<img", done.stdout)
    assert "\\<img src=x onerror=alert(1)\\>\\|\\*evil\\*" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["check", "missing.json"], "missing.json: cannot read"),
    (["check", "truncated.json"], "truncated.json: not valid JSON"),
    (["check", "HEALTHY", "--rules", "hgx-h999"], "rule pack 'hgx-h999': no such built-in pack"),
    (["check", "HEALTHY", "--rules", "bad.toml"], "bad.toml: check 'gpu.count': key 'expected' must be int"),
    (["checks", "gpu.cout"], "no check 'gpu.cout'"),
    (["check", "HEALTHY", "--xid-since", "yesterday"], "--xid-since: check 'health.xid': since 'yesterday'"),
    (["slurm-health", "--snapshot", "HEALTHY", "--dry-run", "--xid-since", "1d"], "--xid-since"),
])
def test_input_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "truncated.json").write_text(HEALTHY.read_text()[:500])
    (tmp_path / "bad.toml").write_text('[checks."gpu.count"]\nexpected = "eight"\n')
    done = readycheck(*[str(HEALTHY) if a == "HEALTHY" else a for a in args], cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_xid_since_lists_the_xids_before_it_without_judging_them():
    # The faulty example's Xid 79 on gpu6 was logged at 11:58:02Z, two minutes before collection.
    done = readycheck("check", FAULTY, "--xid-since", "2026-11-27T11:59:00Z", "--format", "json")
    xid = [f for f in json.loads(done.stdout)["findings"] if f["check"] == "health.xid"]
    assert [(f["subject"], f["status"]) for f in xid] == [("gpu6", "pass")]
    assert "not judged: Xid 79" in xid[0]["message"]
    done = readycheck("check", FAULTY, "--xid-since", "1h", "--format", "json")
    xid = [f for f in json.loads(done.stdout)["findings"] if f["check"] == "health.xid"]
    assert [(f["subject"], f["status"]) for f in xid] == [("gpu6", "fail")]


def test_an_hgx_h100_whose_ecc_remapped_rows_and_fabric_read_not_supported_exits_1(tmp_path):
    snapshot = json.loads(HEALTHY.read_text())
    for gpu in snapshot["gpus"]:
        for field in ("ecc_mode_current", "ecc_mode_pending", "ecc_errors", "remapped_rows", "fabric"):
            gpu[field] = None
            gpu["unavailable"][field] = "NotSupported"
    path = tmp_path / "not-supported.json"
    path.write_text(json.dumps(snapshot))
    done = readycheck("check", path)
    assert done.returncode == 1 and "NOT READY" in done.stdout
    for check in ("gpu.ecc_mode", "health.ecc_errors", "health.remapped_rows", "nvlink.fabric"):
        assert f"UNKNOWN {check} gpu0" in " ".join(done.stdout.split()), check


def test_bad_flag_exits_2():
    assert readycheck("check", HEALTHY, "--fail-on", "maybe").returncode == 2


def test_checks_lists_every_check_and_documents_one():
    done = readycheck("checks")
    assert done.returncode == 0 and "health.remapped_rows" in done.stdout and "pcie.link" in done.stdout
    done = readycheck("checks", "health.remapped_rows")
    assert "pending" in done.stdout and "max_uncorrectable (int)" in done.stdout and "severity" in done.stdout


def test_packs_lists_and_resolves():
    done = readycheck("packs")
    assert done.returncode == 0 and "hgx-h100" in done.stdout and "rtx4090-workstation" in done.stdout
    done = readycheck("packs", "hgx-h200")
    assert "builtin:hgx-h200 -> builtin:hgx-h100 -> builtin:base" in done.stdout
    assert "min_mib = 140000" in done.stdout


def test_collect_on_this_machine_writes_a_valid_snapshot(tmp_path):
    from readycheck.facts import load_snapshot

    out = tmp_path / "f.json"
    done = readycheck("collect", "-o", out)
    assert done.returncode == 0, done.stderr
    facts = load_snapshot(out)
    assert facts["host"]["hostname"] and facts["host"]["kernel"] and facts["host"]["memory_total_mib"] > 0


def test_schema_command_prints_a_schema_that_judges_snapshots():
    import jsonschema

    printed = json.loads(readycheck("schema").stdout)
    jsonschema.Draft202012Validator.check_schema(printed)
    example = json.loads(Path(HEALTHY).read_text(encoding="utf-8"))
    jsonschema.validate(example, printed)
    example["gpus"][0]["power_limit_w"] = "700 W"
    with pytest.raises(jsonschema.ValidationError, match="'700 W' is not of type"):
        jsonschema.validate(example, printed)


def test_the_cli_offers_every_report_format_and_load_backend():
    """cli.py lists both by name so that --help imports neither the reporters nor the load phase."""
    from readycheck.cli import LOAD_BACKENDS, REPORT_FORMATS, SLOWEST_FIRST
    from readycheck.load.backends import NAMES
    from readycheck.report import FORMATS

    assert set(REPORT_FORMATS) == set(FORMATS)
    assert sorted(SLOWEST_FIRST) == sorted(FORMATS)  # the order a fleet's formats are written in
    assert LOAD_BACKENDS == NAMES


def test_terminal_escapes_in_a_hostname_are_shown_not_obeyed(tmp_path):
    facts = json.loads(FAULTY.read_text())
    facts["host"]["hostname"] = "evil\x1b]0;owned\x07\x1b[2J"
    path = tmp_path / "escape.json"
    path.write_text(json.dumps(facts))
    done = readycheck("check", path)
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert done.stdout.startswith("evil\\x1b]0;owned\\x07\\x1b[2J: NOT READY")


def test_a_rule_pack_on_standard_input_is_read_and_followed():
    """`--rules -` once crashed (exit 3): the stdin branch of rulepack.load left the TOML unparsed."""
    done = subprocess.run([sys.executable, "-m", "readycheck", "check", str(HEALTHY), "--rules", "-", "-f", "json"],
                          input='extends = "dgx-h100"\n', capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pack = json.loads(done.stdout)["nodes"][0]["pack"]
    assert pack["chain"] == ["-", "builtin:dgx-h100", "builtin:hgx-h100", "builtin:base"]
