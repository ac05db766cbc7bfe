"""The optional storage read test (`readycheck scan --storage-test PATH`): how fast existing files read back.

A bounded, sequential, read-only test: the regular files under PATH (PATH
itself when it is a file) are read one after another, in name order, from
start to end, until the byte limit or the time limit is reached or the files
run out. Nothing is created, written or truncated: every file is opened
`O_RDONLY`, symbolic links are not followed (a link could lead off the
filesystem under test), and a file that changed into something other than a
regular file between listing and opening is passed over. Not one byte past
the limit is read.

Files already in the page cache would read at memory speed, so the kernel is
asked to drop each file's cached pages before reading it
(`POSIX_FADV_DONTNEED`, which it does for clean pages without privileges);
pages it keeps make the figure optimistic. One stream reads: a striped array
or a parallel filesystem may deliver more to several readers.

The result is `host.storage_test` (beyond facts v1): `{path, files, bytes,
seconds, gb_per_s (decimal GB/s), stopped_by ("bytes", "seconds" or
"end"), unavailable}`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from time import monotonic
from typing import Any

from readycheck.facts import Record

CHUNK_BYTES = 8 * 1024 * 1024
DEFAULT_SECONDS = 10.0
DEFAULT_MAX_BYTES = 64 * 1024**3
NOTHING_READ = "NothingRead"


def files(path: Path) -> Iterator[Path]:
    """The regular files under `path`, depth first in name order, without following symbolic links."""
    if path.is_file() and not path.is_symlink():
        yield path
        return
    for directory, subdirectories, names in os.walk(path):
        subdirectories.sort()
        for name in sorted(names):
            candidate = Path(directory, name)
            if candidate.is_file() and not candidate.is_symlink():
                yield candidate


def run(path: Path, seconds: float = DEFAULT_SECONDS, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read files under `path` for at most `seconds` and `max_bytes`; return the `host.storage_test` object."""
    buffer = bytearray(min(CHUNK_BYTES, max_bytes) or 1)
    view = memoryview(buffer)
    total, count, stopped_by = 0, 0, "end"
    start = monotonic()
    deadline = start + seconds
    for candidate in files(path):
        read, stopped_by = _read_file(candidate, view, max_bytes - total, deadline)
        total += read
        count += 1 if read else 0
        if stopped_by != "end":
            break
    elapsed = monotonic() - start
    record = Record(path=str(path), files=count, bytes=total, seconds=round(elapsed, 3), stopped_by=stopped_by)
    if total and elapsed > 0:
        record.set("gb_per_s", round(total / elapsed / 1e9, 3))
    else:
        record.missing("gb_per_s", NOTHING_READ)
    return record.as_dict()


def _read_file(path: Path, view: memoryview, budget: int, deadline: float) -> tuple[int, str]:
    """Read one file sequentially within `budget` bytes and the deadline; (bytes read, what stopped it)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return 0, "end"  # vanished or unreadable since it was listed: the next file
    read = 0
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0, "end"
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        while True:
            if read >= budget:
                return read, "bytes"
            if monotonic() >= deadline:
                return read, "seconds"
            got = os.readv(fd, [view[:min(len(view), budget - read)]])
            if not got:
                return read, "end"
            read += got
    except OSError:
        return read, "end"
    finally:
        os.close(fd)
