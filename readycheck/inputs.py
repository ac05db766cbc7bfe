"""Reading what the user hands readycheck: one bounded reader for every input file.

Snapshots, captures, rule packs, site and order files come from vendors, tickets and other
machines; every one of them is read here, and only here, so the same rules hold for all:

- `-` (and `/dev/stdin`) is standard input, read through the same bound;
- anything else must be a regular file. A FIFO would block the run forever, `/dev/zero` never
  ends, a directory is not a file: they are refused before a byte is read. The file is opened
  non-blocking (opening a FIFO with no writer returns at once) and judged by `fstat` on the open
  descriptor, so nothing can swap it between the check and the read;
- at most `limit` bytes are read, whatever `st_size` says (a device or a /proc file says 0):
  one byte more and the file is refused.

Every refusal is an `InputError` (or the caller's subclass of it) naming the file: exit 2.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from readycheck.errors import InputError

STDIN_NAMES = ("-", "/dev/stdin")
# What a file that is not a regular one is, in words.
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def is_stdin(path: str | Path) -> bool:
    return str(path) in STDIN_NAMES


def size_words(limit: int) -> str:
    """`64 MiB`, `1 MiB`, `512 KiB`."""
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 2**10} KiB"


def read_bytes(path: str | Path, limit: int, what: str, error: type[InputError] = InputError) -> bytes:
    """The bytes of `path` (or standard input), at most `limit` of them; `error` names the file and
    says why it cannot be `what` ("rule pack", "site file"...)."""
    if is_stdin(path):
        try:
            data = _read_descriptor(sys.stdin.fileno(), limit)
        except (AttributeError, OSError, ValueError):  # a stream without a descriptor (a test's, an IDE's)
            data = sys.stdin.buffer.read(limit + 1)
    else:
        data = _read_file(path, limit, what, error)
    if len(data) > limit:
        raise error(f"{path}: larger than {size_words(limit)}, not a {what}")
    return data


def read_text(path: str | Path, limit: int, what: str, error: type[InputError] = InputError) -> str:
    """`read_bytes` decoded by `decode_text`."""
    return decode_text(path, read_bytes(path, limit, what, error), what, error)


def decode_text(path: str | Path, data: bytes, what: str, error: type[InputError] = InputError) -> str:
    """An input's bytes as UTF-8 text; a byte order mark in front (Windows editors write one) is dropped.
    For a caller that keeps the bytes too (a digest, a cache key)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text, not a {what}") from None


def _read_file(path: str | Path, limit: int, what: str, error: type[InputError]) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = next((words for test, words in _KINDS if test(status.st_mode)), "not a regular file")
            raise error(f"{path}: {kind}, not a {what} (give a regular file, or - for standard input)")
        if status.st_size > limit:  # said at once; the read below is bounded all the same
            raise error(f"{path}: larger than {size_words(limit)}, not a {what}")
        return _read_descriptor(descriptor, limit)
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)


def _read_descriptor(descriptor: int, limit: int) -> bytes:
    """At most `limit` + 1 bytes: asked for in one read (a regular file answers it whole, without a
    copy), then as many more reads as a pipe needs."""
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(descriptor, limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def file_key(path: str | Path) -> tuple[int, int] | None:
    """What names one existing file whatever the path (device and inode, as os.path.samefile compares);
    None for standard input, which is no file, and for a path that does not exist (it cannot be another)."""
    if is_stdin(path):
        return None
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino
