"""Captures are untrusted: hostile XML, huge, binary or unknown files are refused with one line naming the file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from readycheck.facts import SnapshotError, load_snapshot
from readycheck.importers import CaptureError, import_files, load_input

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
XML = CAPTURES / "nvidia-smi-q-x_Tesla-T4_driver515.105.01.xml"
HEALTHY = Path(__file__).resolve().parent.parent / "examples" / "hgx-h100-healthy.json"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<nvidia_smi_log><driver_version>&lol3;</driver_version></nvidia_smi_log>
"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<nvidia_smi_log><driver_version>&secret;</driver_version></nvidia_smi_log>
"""
INTERNAL_SUBSET = """<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd" [<!ATTLIST gpu id CDATA "x">]>
<nvidia_smi_log></nvidia_smi_log>
"""
UNDEFINED_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">
<nvidia_smi_log><driver_version>&undefined;</driver_version></nvidia_smi_log>
"""


def readycheck(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "readycheck", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.mark.parametrize("text, message", [
    (BILLION_LAUGHS, r"XML declares entities \(<!ENTITY\): refused"),
    (EXTERNAL_ENTITY, r"XML declares entities \(<!ENTITY\): refused"),
    (INTERNAL_SUBSET, r"XML <!DOCTYPE> with an internal subset: refused"),
    (UNDEFINED_ENTITY, r"not well-formed XML \(undefined entity"),
    (XML.read_text()[:5000], r"not well-formed XML"),
], ids=["billion-laughs", "external-entity", "internal-subset", "undefined-entity", "truncated"])
def test_hostile_or_broken_xml_is_refused(tmp_path, text, message):
    path = tmp_path / "evil.xml"
    path.write_text(text)
    with pytest.raises(CaptureError, match=rf"evil.xml: {message}"):
        import_files([path])


def test_nvidia_smi_doctype_is_accepted():
    assert XML.read_text().splitlines()[1] == '<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v11.dtd">'
    assert import_files([XML])["gpus"][0]["name"] == "Tesla T4"


def test_oversized_binary_and_non_utf8_files_are_refused(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as stream:
        stream.truncate(64 * 2**20 + 1)  # sparse: nothing is written, nothing is read
    with pytest.raises(CaptureError, match="huge.txt: larger than 64 MiB, not a capture"):
        import_files([huge])
    binary = tmp_path / "core.bin"
    binary.write_bytes(b"CA 'mlx5_0'\n\x00\x01\x02")
    with pytest.raises(CaptureError, match=r"core.bin: binary data \(NUL bytes\)"):
        import_files([binary])
    latin = tmp_path / "latin.txt"
    latin.write_bytes("CA 'mlx5_0'\n\tCA type: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CaptureError, match="latin.txt: not UTF-8 text"):
        import_files([latin])


def test_an_unknown_format_names_the_file_and_the_formats_tried(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("the vendor says it is fine\n")
    with pytest.raises(CaptureError, match=r"notes.txt: not a format readycheck knows \(tried: nvidia-smi -q -x, "
                                           r"nvidia-smi -q, nvidia-smi topo -m, nvidia-smi nvlink -s, ibstat, "
                                           r"ibstatus\)"):
        import_files([path])
    with pytest.raises(CaptureError, match=r"tried: facts snapshot \(JSON\), nvidia-smi -q -x"):
        load_input(path)


def test_malformed_lines_are_named(tmp_path):
    """A line that is not ibstat's is skipped and named in the import's notes; the ports are kept."""
    path = tmp_path / "ibstat.txt"
    path.write_text("CA 'mlx5_0'\n\tCA type: MT4129\n\tPort 1:\n\t\tState: Active\ngarbage here\n")
    facts = import_files([path])
    assert [p["state"] for p in facts["infiniband"]] == ["ACTIVE"]
    assert facts["imported_from"][0]["notes"] == ["line 5 skipped, not ibstat output: 'garbage here'"]
    topo = tmp_path / "topo.txt"
    topo.write_text("\tGPU0\tGPU1\tCPU Affinity\tNUMA Affinity\nGPU0\t X \tNV18\t0-7\t0\n")
    with pytest.raises(CaptureError, match="topo.txt: the matrix has no row for GPU1"):
        import_files([topo])


def test_load_input_reads_a_snapshot_as_before(tmp_path):
    assert load_input(HEALTHY) == load_snapshot(HEALTHY)
    cut = tmp_path / "snapshot.txt"  # not named .json: recognised by its first character
    cut.write_text(HEALTHY.read_text()[:300])
    with pytest.raises(SnapshotError, match=r"snapshot.txt: not valid JSON .*truncated\?"):
        load_input(cut)
    with pytest.raises(SnapshotError, match="gone.json: cannot read"):
        load_input(tmp_path / "gone.json")


def test_import_command_writes_one_snapshot_that_check_reads(tmp_path):
    out = tmp_path / "node.json"
    done = readycheck("import", CAPTURES / "nvidia-smi-q_A10_driver535.129.03_remap-pending.txt",
                      CAPTURES / "ibstatus_A100-Azure-ND_HDR200.txt", "-o", out)
    assert done.returncode == 0, done.stderr
    snapshot = load_snapshot(out)
    assert snapshot["source"] == "nvidia-smi-text+ibstatus" and len(snapshot["infiniband"]) == 9
    done = readycheck("check", out, "--format", "json")
    assert done.returncode == 1 and json.loads(done.stdout)["nodes"][0]["verdict"] == "not-ready"


def test_import_errors_exit_2_with_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    for args in (("import", "notes.txt"), ("check", "notes.txt"), ("import", "missing.txt")):
        done = readycheck(*args, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and args[1] in done.stderr
        assert "Traceback" not in done.stderr
