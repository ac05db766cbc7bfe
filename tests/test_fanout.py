"""Pieces of work side by side in forked processes (readycheck/fanout.py), as a fleet's report formats are."""

from __future__ import annotations

import os

import pytest

from readycheck import fanout
from readycheck.errors import InputError


def test_each_piece_runs_once_in_a_child_and_sees_the_parents_data(tmp_path):
    shared = {"words": ["alpha", "beta", "gamma"]}  # not sent anywhere: the children inherit it

    def work(i):
        (tmp_path / f"{i}.txt").write_text(f"{shared['words'][i]} {os.getpid()}")

    fanout.each(work, 3, parallel=True)
    written = {path.name: path.read_text().split() for path in tmp_path.iterdir()}
    assert {name: words[0] for name, words in written.items()} == {"0.txt": "alpha", "1.txt": "beta", "2.txt": "gamma"}
    if (os.cpu_count() or 1) > 1:
        assert all(int(words[1]) != os.getpid() for words in written.values())


def test_a_childs_input_error_stops_the_run_with_its_line():
    def work(i):
        if i == 1:
            raise InputError("out/readycheck-report.html: cannot write: No space left on device")

    with pytest.raises(InputError, match="cannot write: No space left on device"):
        fanout.each(work, 2, parallel=True)


def test_without_parallel_the_pieces_run_here_in_order():
    done = []
    fanout.each(lambda i: done.append((i, os.getpid())), 3, parallel=False)
    assert done == [(0, os.getpid()), (1, os.getpid()), (2, os.getpid())]
