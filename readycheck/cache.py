"""What readycheck keeps between runs so that a run does not redo work done before: compiled report templates
and parsed built-in rule packs, in the user's cache directory.

A one-node `check` is over in about the time Python takes to import click and jinja2; compiling the HTML
template on every run, or parsing every built-in rule pack to choose one, would double it.

Templates: Jinja's bytecode cache keeps each compiled template in a file, found again by the template's
name and used only while the template's source has the same checksum; the file name carries readycheck's
and Jinja's versions and a digest of the Environment's settings, and Jinja stamps the Python version inside,
so an upgrade of any of them compiles afresh instead of running stale code. Why a cache at first use rather
than templates compiled into the package when it is built (Jinja's `ModuleLoader`): compiled templates are
Python that calls Jinja's internals, so a wheel built against one Jinja would break, or silently misrender,
under another that pip may install beside it; and a source checkout, an editable install or a template
edited on site would need a build step before every run. The cache needs neither and costs one compile
per template, user and version.

Rule packs: the TOML of a built-in pack, parsed, stored with `marshal` under the SHA-256 of the file's
bytes and the Python version; the pack is still validated on every run, so a cache entry can never let
through what the checks of this version refuse.

What is loaded from the cache is trusted (Jinja's entries are code that is run), so it lives where only
the user can write: `$XDG_CACHE_HOME/readycheck`, else `~/.cache/readycheck`, created mode 0700 and used
only while it is a directory this user owns that nobody else may write to. Where there is none (a
read-only home, a container without one, someone else's directory), or a file cannot be read or written
(a full disk, a truncated entry), the work is done in memory as before: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import stat
import sys
from pathlib import Path
from typing import Any, Callable

from readycheck import __version__


@functools.cache
def directory() -> Path | None:
    """This user's readycheck cache directory, made if need be; None when there is no safe one."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec: a relative value is ignored
        home = os.path.expanduser("~")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".cache")
    path = Path(base) / "readycheck"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = path.lstat()
    except OSError:
        return None
    safe = (stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))
    return path if safe and os.access(path, os.W_OK | os.X_OK) else None


def remembered(kind: str, source: bytes, compute: Callable[[], Any]) -> Any:
    """`compute()`, a value of plain data (dicts, lists, strings, numbers, booleans) derived from `source`
    alone, read from the cache when it was computed from the same bytes before, else computed and stored."""
    import marshal

    folder = directory()
    if folder is None:
        return compute()
    path = folder / f"{kind}-{sys.implementation.cache_tag}-{hashlib.sha256(source).hexdigest()}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = compute()
    _write(path, marshal.dumps(value))
    return value


def _write(path: Path, data: bytes) -> None:
    """Write atomically (another run may read the file meanwhile); a failure only means no cache entry."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def template_bytecode(settings: dict[str, Any]) -> Any:
    """A Jinja bytecode cache in `directory()` for an Environment made with `settings`, or None."""
    import jinja2
    from jinja2.bccache import FileSystemBytecodeCache

    class Cache(FileSystemBytecodeCache):
        """Jinja's file cache, except that a file that cannot be read or written means compiling in memory."""

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, EOFError, ValueError):
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    folder = directory()
    if folder is None:
        return None
    digest = hashlib.sha256(repr(sorted(settings.items())).encode()).hexdigest()[:12]
    return Cache(str(folder), f"template-{__version__}-jinja2-{jinja2.__version__}-{digest}-%s.cache")
