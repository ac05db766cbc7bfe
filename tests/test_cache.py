"""What readycheck keeps between runs (readycheck/cache.py): compiled templates and parsed rule packs are
reused, never trusted beyond what a fresh run would accept, and never needed."""

from __future__ import annotations

import hashlib
import marshal
import os
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import pytest

from readycheck import cache, rulepack
from readycheck.errors import InputError
from readycheck.facts import load_snapshot
from readycheck.report import html
from readycheck.run import judge_snapshots

REPO = Path(__file__).resolve().parent.parent
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"


def _forget() -> None:
    for cached in (cache.directory, html.template, rulepack._parsed_builtin, rulepack._builtin, rulepack.choose_for):
        cached.cache_clear()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A cache home of this test's own; the run's memoised lookups forgotten before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    _forget()
    yield tmp_path / "cache-home"
    _forget()


def _report():
    report = judge_snapshots([load_snapshot(HEALTHY)], None, None)
    report.generated_at = datetime(2026, 1, 1, tzinfo=timezone.utc)  # two renders compare equal
    return report


def test_the_template_is_compiled_once_then_read_from_the_cache(home, monkeypatch):
    first = html.render(_report())
    folder = home / "readycheck"
    assert len(list(folder.glob("template-*.cache"))) == 2  # the report and the perf part it includes
    assert os.stat(folder).st_mode & 0o777 == 0o700

    html.template.cache_clear()

    def compile_again(*args, **kwargs):
        raise AssertionError("compiled although the cache holds the template")

    monkeypatch.setattr(jinja2.Environment, "compile", compile_again)
    assert html.render(_report()) == first


def test_a_changed_template_is_compiled_afresh(home, monkeypatch, tmp_path):
    html.render(_report())
    html.template.cache_clear()
    copied = tmp_path / "templates"
    copied.mkdir()
    for source in (REPO / "templates").glob("*.j2"):
        (copied / source.name).write_text(source.read_text().replace("</body>", "<!-- edited on site --></body>"))
    monkeypatch.setattr(html, "folder", lambda name: copied)
    assert "<!-- edited on site -->" in html.render(_report())


@pytest.mark.parametrize("make", [
    lambda home: home.write_text("a file, not a folder"),  # no cache directory can be made
    lambda home: (home / "readycheck").mkdir(parents=True, mode=0o777) or os.chmod(home / "readycheck", 0o777),
])
def test_without_a_safe_cache_everything_works_in_memory(home, make):
    home.parent.mkdir(parents=True, exist_ok=True)
    make(home)
    assert cache.directory() is None
    assert "READY" in html.render(_report())
    assert rulepack.load("hgx-h100").name == "hgx-h100"
    assert not list(home.parent.rglob("*.cache")) and not list(home.parent.rglob("*.marshal"))


def test_a_broken_entry_is_computed_again(home):
    calls = []

    def compute():
        calls.append(1)
        return {"a": [1, 2.5, "x", None, True]}

    assert cache.remembered("test", b"source", compute) == {"a": [1, 2.5, "x", None, True]}
    (entry,) = (home / "readycheck").glob("test-*.marshal")
    entry.write_bytes(b"\x00truncated")
    assert cache.remembered("test", b"source", compute) == {"a": [1, 2.5, "x", None, True]}
    assert cache.remembered("test", b"source", compute) == {"a": [1, 2.5, "x", None, True]}
    assert len(calls) == 2  # first run, then once more for the broken entry; the third read the cache


def test_a_cached_rule_pack_is_validated_like_a_parsed_one(home):
    rulepack.load("base")  # parses base.toml and keeps it
    digest = hashlib.sha256((REPO / "rules" / "base.toml").read_bytes()).hexdigest()
    (entry,) = (home / "readycheck").glob(f"rule-pack-*-{digest}.marshal")
    tampered = marshal.loads(entry.read_bytes())
    tampered["checks"]["gpu.count"] = {"no_such_setting": 1}
    entry.write_bytes(marshal.dumps(tampered))
    _forget()
    with pytest.raises(InputError, match=r"builtin:base: check 'gpu.count': unknown key 'no_such_setting'"):
        rulepack.load("base")
