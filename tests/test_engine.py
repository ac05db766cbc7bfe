"""The engine applies the pack's policy: severity, required, errors from checks, and the verdict."""

from factsbuilder import hgx_h100, judged_node, with_gpu

from readycheck import rulepack
from readycheck.checks import gpu_count
from readycheck.engine import decide
from readycheck.findings import Finding


def test_healthy_hgx_h100_is_ready_with_every_check_run():
    result = judged_node(hgx_h100(), rulepack.load("hgx-h100"))
    assert result.verdict == "ready"
    assert {f.check for f in result.findings} == set(rulepack.load("hgx-h100").enabled())  # fleet checks too
    assert all(f.node == "gpu-b07-03" for f in result.findings)
    assert result.decision.blocking == () and result.decision.counts["fail"] == 0


def test_a_check_that_raises_becomes_an_error_and_the_others_still_run(monkeypatch):
    def broken(facts, settings):
        raise ZeroDivisionError("division by zero")
        yield

    monkeypatch.setattr(gpu_count, "check", broken)
    result = judged_node(hgx_h100(), rulepack.load("hgx-h100"))
    [error] = [f for f in result.findings if f.check == "gpu.count"]
    assert error.status == "error" and "ZeroDivisionError" in error.message
    assert result.verdict == "not-ready"
    assert any(f.check == "pcie.link" for f in result.findings)


def test_severity_warn_turns_failures_into_warnings(tmp_path):
    pack_file = tmp_path / "lenient.toml"
    pack_file.write_text('extends = "hgx-h100"\n[checks."gpu.count"]\nseverity = "warn"\n')
    result = judged_node(hgx_h100(gpus=7), rulepack.load(str(pack_file)))
    [count] = [f for f in result.findings if f.check == "gpu.count"]
    assert count.status == "warn"
    assert judged_node(hgx_h100(gpus=7), rulepack.load("hgx-h100")).verdict == "not-ready"


def test_unknown_blocks_only_when_required(tmp_path):
    facts = with_gpu(hgx_h100(), 2, pcie_link_width_current=None)
    assert judged_node(facts, rulepack.load("hgx-h100")).verdict == "not-ready"
    pack_file = tmp_path / "optional.toml"
    pack_file.write_text('extends = "hgx-h100"\n[checks."pcie.link"]\nrequired = false\n')
    result = judged_node(facts, rulepack.load(str(pack_file)))
    [unknown] = [f for f in result.findings if f.status == "unknown" and f.check == "pcie.link"]
    assert unknown.subject == "gpu2" and not unknown.required
    assert result.verdict == "ready"


def test_fail_on_warn():
    warning = [Finding("x.y", "warn", "host")]
    assert decide(warning).verdict == "ready"
    assert decide(warning, fail_on="warn").verdict == "not-ready"
