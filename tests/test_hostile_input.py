"""Hostile input and faults: every input error is exit 2 with one line naming the file (and key), never
a hang, never exit 3, never a lost file. The commands run in a subprocess with a memory and time bound,
so a regression hangs or exhausts nothing but the test."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"
SITE = REPO / "examples" / "site.toml"
CAPTURE = REPO / "tests" / "data" / "captures" / "nvidia-smi-q-x_Tesla-T4_driver515.105.01.xml"
MEMORY_BOUND = 2 * 2**30


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
])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(tmp_path, args, victim):
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
