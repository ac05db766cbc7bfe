"""Writing what readycheck makes (reports, snapshots) so that nothing is ever lost or half-written.

Reports are picked up by other systems while readycheck writes them: node_exporter's textfile
directory, CI artifacts, a ticket. `replacing(path)` writes to a temporary file beside `path`,
syncs it and renames it onto `path`, so a reader sees the previous file or the new one, never a
truncated one, and a render that fails leaves the previous file whole. `refuse_clashes` stops a
run, before anything is read or written, whose output is one of its inputs (a report written over
the snapshot it judges) or that names standard input twice.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from readycheck.errors import InputError
from readycheck.inputs import file_key, is_stdin


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[TextIO]:
    """A text stream whose content replaces `path` whole once the block ends without an exception
    (with the mode of the file it replaces); a file that cannot be written is an `InputError`."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{path}: is a directory; name a file, or ask for several formats to fill a directory")
    try:
        temporary, stream = _temporary(target)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a power cut
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _temporary(target: Path) -> tuple[Path, TextIO]:
    """A new file beside `target`, readable by its owner only until it takes the target's mode, named so
    that no other writer (another readycheck, another user) can have made it: created with O_EXCL under a
    random name, as tempfile does, without the cost of importing tempfile on every run."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        name = target.parent / f".{target.name}.{os.urandom(6).hex()}.tmp"
        try:
            descriptor = os.open(name, flags, 0o600)
        except FileExistsError:
            continue
        return name, open(descriptor, "w", encoding="utf-8")
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(target.parent))


def _file_mode(target: Path) -> int:
    """The mode the file gets: the one it replaces, else what a plain open() would create."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def refuse_clashes(inputs: list[str | Path | None], outputs: list[str | Path | None]) -> None:
    """Standard input named at most once (it can be read once), and no output that is one of the inputs."""
    given = [str(path) for path in inputs if path is not None]
    if sum(map(is_stdin, given)) > 1:
        raise InputError("standard input (- or /dev/stdin) is named twice; it can be read once")
    existing = [(output, key) for output in outputs if output is not None and (key := file_key(output))]
    if not existing:  # the usual case: a report not written yet is no input, and no input need be looked at
        return
    inputs_by_file: dict[tuple[int, int], str] = {}
    for path in given:
        key = file_key(path)
        if key is not None:
            inputs_by_file.setdefault(key, path)  # the first input naming the file is the one reported
    for output, key in existing:
        if key in inputs_by_file:
            raise InputError(f"{output}: is also an input ({inputs_by_file[key]}); write the output elsewhere")
