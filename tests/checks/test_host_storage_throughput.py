"""host.storage_throughput: skipped without a storage read test, judged against the pack's rate with one."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import host_storage_throughput
from readycheck.probes.storage_test import run as read_test

ID = host_storage_throughput.ID


def run(facts, min_gb_per_s=None):
    [finding] = run_check(ID, facts, "base", min_gb_per_s=min_gb_per_s)
    return finding


def with_test(**result):
    facts = hgx_h100()
    facts["host"]["storage_test"] = {"path": "/raid/imagenet", "files": 120, "bytes": 64000000000, "seconds": 10.0,
                                     "stopped_by": "seconds", "gb_per_s": 6.4, "unavailable": {}, **result}
    return facts


def test_no_test_run_is_skipped():
    finding = run(hgx_h100(), 5.0)
    assert finding.status == "skip" and "--storage-test" in finding.remedy


def test_fast_enough_passes_and_slow_fails():
    assert run(with_test(), 5.0).status == "pass"
    slow = run(with_test(gb_per_s=1.2), 5.0)
    assert slow.status == "fail" and slow.subject == "storage:/raid/imagenet"
    assert slow.message == "1.2 GB/s (64.0 GB from 120 files in 10 s), less than 5 GB/s"


def test_without_an_expectation_the_rate_is_reported_not_judged():
    finding = run(with_test())
    assert finding.status == "skip" and finding.observed == 6.4


def test_a_test_that_read_nothing_is_unknown(tmp_path):
    facts = hgx_h100()
    facts["host"]["storage_test"] = read_test(tmp_path, seconds=1)
    finding = run(facts, 5.0)
    assert finding.status == "unknown" and finding.message.startswith("gb_per_s unavailable (NothingRead)")
