"""The storage read test: bounded by bytes and by time, read-only, never past a symbolic link."""

from __future__ import annotations

import os

from readycheck.probes import storage_test
from readycheck.probes.storage_test import run

MIB = 1024 * 1024


def data_dir(tmp_path, sizes=(3 * MIB, 2 * MIB, MIB)):
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    for n, size in enumerate(sizes):
        (folder / ("sub" if n == 2 else "") / f"shard{n}.bin").write_bytes(os.urandom(size))
    return folder


def snapshot(folder):
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


def test_all_files_read_to_the_end(tmp_path):
    result = run(data_dir(tmp_path), seconds=30, max_bytes=100 * MIB)
    assert (result["files"], result["bytes"], result["stopped_by"]) == (3, 6 * MIB, "end")
    assert result["gb_per_s"] > 0 and result["unavailable"] == {}


def test_never_reads_more_than_the_byte_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(storage_test, "CHUNK_BYTES", MIB)
    cap = 3 * MIB + 12345  # ends inside the second file
    result = run(data_dir(tmp_path), seconds=30, max_bytes=cap)
    assert (result["bytes"], result["files"], result["stopped_by"]) == (cap, 2, "bytes")


def test_stops_at_the_time_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(storage_test, "CHUNK_BYTES", MIB)
    ticks = iter(range(1000))
    monkeypatch.setattr(storage_test, "monotonic", lambda: float(next(ticks)))
    # the clock advances one second per look: start 0, deadline 2.5, one MiB read per look before it
    result = run(data_dir(tmp_path), seconds=2.5, max_bytes=100 * MIB)
    assert result["stopped_by"] == "seconds"
    assert result["bytes"] == 2 * MIB


def test_opens_files_read_only_and_changes_nothing(tmp_path, monkeypatch):
    folder = data_dir(tmp_path)
    before = snapshot(folder)
    flags_seen = []
    real_open = os.open

    def spy(path, flags, *args, **kwargs):
        flags_seen.append(flags)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(storage_test.os, "open", spy)
    run(folder, seconds=30, max_bytes=100 * MIB)
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    assert len(flags_seen) == 3 and all(flags & writing == 0 for flags in flags_seen)
    assert all(flags & os.O_ACCMODE == os.O_RDONLY for flags in flags_seen)
    assert snapshot(folder) == before


def test_symbolic_links_are_not_followed(tmp_path):
    folder = data_dir(tmp_path, sizes=(MIB,))
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"x" * MIB)
    (folder / "link.bin").symlink_to(outside)
    (folder / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    result = run(folder, seconds=30, max_bytes=100 * MIB)
    assert (result["files"], result["bytes"]) == (1, MIB)


def test_a_single_file_path_and_an_empty_directory(tmp_path):
    folder = data_dir(tmp_path, sizes=(MIB,))
    assert run(folder / "shard0.bin", seconds=30)["bytes"] == MIB
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", seconds=30)
    assert result["gb_per_s"] is None and result["unavailable"] == {"gb_per_s": "NothingRead"}
