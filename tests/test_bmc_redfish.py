"""readycheck against a real Redfish service: DMTF's Redfish Mockup Server on a loopback port serving
DMTF's public-rackmount1 mockup and edited copies (tests/redfish_mockup.py), and small stdlib servers for
the faults it cannot play (a 401, a BMC that never answers). The credentials are a password chosen to be
easy to find, and no output of any kind may hold it."""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from factsbuilder import hgx_h100
from redfish_mockup import MOCKUP, TLS, mockup, mockup_server, refusing_server, silent_server

from readycheck.checks import bmc_tls, power_psu_redundancy, thermal_inlet
from readycheck.facts.schema import validate
from readycheck.probes import ProbeContext, bmc, redfish_client
from readycheck.probes.bmc_target import BmcTarget

REPO = Path(__file__).resolve().parent.parent
USER = "readycheck-ops"
PASSWORD = "Grep-Me-Pa55word"  # noqa: S105 - chosen to be easy to grep in any output
SECRETS = (PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())
FORMATS = ("text", "json", "md", "html", "junit", "prom")


def readycheck(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("READYCHECK_BMC_")}
    return subprocess.run([sys.executable, "-m", "readycheck", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env={**environ, **(env or {})})


def read_bmc(target: BmcTarget) -> dict:
    return bmc.probe(ProbeContext(bmc=target))


def judged(facts: dict) -> dict:
    """The checks that use the BMC's facts, on a node whose host facts are those the probe read."""
    snapshot = hgx_h100()
    snapshot["host"].update(facts["host"])
    snapshot["bmc"] = facts["bmc"]
    assert validate(snapshot) == []
    # The mockup is a 1U server with 400 W supplies: held against a 350 W nameplate maximum.
    [psus] = power_psu_redundancy.check(snapshot, {"min_psus": None}, platform={"nameplate_max_w": 350})
    [inlet] = thermal_inlet.check(snapshot, {}, site=None)
    [tls] = bmc_tls.check(snapshot, {})
    return {finding.check: finding for finding in (psus, inlet, tls)}


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_scan_against_the_mockup_shows_its_psus_and_intake(tmp_path):
    """The issue's done-when: Bay 1 present with Warning health, Bay 2 absent, power.psu_redundancy fails,
    thermal.inlet shows the 24.8 °C intake."""
    with mockup_server(MOCKUP) as url:
        done = readycheck("scan", "--bmc", url, "-f", "text", "-f", "json", "-o", str(tmp_path))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert ("FAIL    power.psu_redundancy host: PSU not healthy: Power Supply Bay 1 (Warning), Power Supply Bay 2 "
            "(absent)") in done.stdout
    report = json.loads((tmp_path / "readycheck-report.json").read_text())
    facts = report["nodes"][0]["facts"]
    assert validate(facts) == []
    bay1, bay2 = facts["host"]["psus"]
    assert (bay1["name"], bay1["present"], bay1["health"], bay1["source"]) == ("Power Supply Bay 1", True, "Warning",
                                                                               "redfish")
    assert (bay2["name"], bay2["present"]) == ("Power Supply Bay 2", False)
    findings = {f["check"]: f for f in report["findings"]}
    assert findings["power.psu_redundancy"]["status"] == "fail"
    inlet = findings["thermal.inlet"]
    assert inlet["status"] == "pass" and inlet["observed"] == 24.8
    assert inlet["message"] == "inlet 24.8 °C (the BMC's intake sensor over Redfish) within ASHRAE A2 (no --site given)"
    assert facts["bmc"]["url"] == url and facts["bmc"]["url_source"] == "--bmc" and facts["bmc"]["tls"] == "none"
    assert facts["bmc"]["resources"] == ["PowerSubsystem", "ThermalSubsystem", "EnvironmentMetrics"]
    assert findings["bmc.tls"]["status"] == "warn" and "plain HTTP" in findings["bmc.tls"]["message"]


def test_the_password_appears_in_no_output_log_or_error(tmp_path, caplog):
    env = {"READYCHECK_BMC_USER": USER, "READYCHECK_BMC_PASSWORD": PASSWORD, "READYCHECK_DEBUG": "1"}
    with mockup_server(MOCKUP) as url:
        scanned = readycheck("scan", "--bmc", url, *(x for f in FORMATS for x in ("-f", f)), "-o", str(tmp_path),
                             env=env)
        caplog.set_level(logging.DEBUG)  # every logger, the Redfish library's included, at its most talkative
        facts = read_bmc(BmcTarget(url=url, user=USER, password=PASSWORD))
    assert scanned.returncode == 1 and facts["host"]["inlet_temperature_c"] == 24.8  # read with the credentials
    files = sorted(tmp_path.glob("readycheck-report.*"))
    assert len(files) == len(FORMATS)  # the facts are in the JSON report
    assert_no_secret(scanned.stdout, scanned.stderr, json.dumps(facts), caplog.text, *(p.read_text() for p in files))


@pytest.mark.parametrize("variant, psu_status, psu_words, inlet_status, inlet", [
    ("failed-psu", "fail", "Power Supply Bay 1 (Critical, no line input)", "pass", 24.8),
    ("healthy", "pass", "the BMC's Failover redundancy (1 needed of 2) holds", "pass", 24.8),
    ("hot-intake", "fail", "Power Supply Bay 2 (absent)", "fail", 41.0),
    ("legacy-only", "fail", "Power Supply Bay (Warning)", "pass", 25.0),
])
def test_edited_mockups(tmp_path, variant, psu_status, psu_words, inlet_status, inlet):
    with mockup_server(mockup(tmp_path, variant)) as url:
        facts = read_bmc(BmcTarget(url=url))
    assert facts["bmc"]["error"] is None
    found = judged(facts)
    assert found["power.psu_redundancy"].status == psu_status and psu_words in found["power.psu_redundancy"].message
    assert found["thermal.inlet"].status == inlet_status and found["thermal.inlet"].observed == inlet
    assert facts["host"]["chassis_power_w"] == (344.0 if variant == "legacy-only" else 374.0)


def test_tls_is_verified_unless_asked_not_to(tmp_path):
    with mockup_server(mockup(tmp_path, "healthy"), tls=True) as url:
        default = read_bmc(BmcTarget(url=url))
        wrong_ca = read_bmc(BmcTarget(url=url, ca_file=str(TLS / "other-ca.pem")))
        right_ca = read_bmc(BmcTarget(url=url, ca_file=str(TLS / "bmc-cert.pem")))
        insecure = read_bmc(BmcTarget(url=url, insecure=True))
        scanned = readycheck("scan", "--bmc", url, "--bmc-insecure", *(x for f in FORMATS for x in ("-f", f)),
                             "-o", str(tmp_path / "r"))
    for refused in (default, wrong_ca):
        assert refused["host"]["psus"] == [] and refused["host"]["unavailable"]["psus"] == "BadCertificate"
        assert "--bmc-ca FILE" in refused["bmc"]["error"]
        found = judged(refused)
        assert found["power.psu_redundancy"].status == "unknown" and "BadCertificate" in \
            found["power.psu_redundancy"].message
    assert right_ca["bmc"]["tls"] == "verified" and right_ca["host"]["inlet_temperature_c"] == 24.8
    assert judged(right_ca)["bmc.tls"].status == "pass"
    assert insecure["bmc"]["tls"] == "insecure" and insecure["host"]["inlet_temperature_c"] == 24.8
    # --bmc-insecure is in the facts and in every report format.
    assert "bmc.tls" in scanned.stdout and "--bmc-insecure" in scanned.stdout
    for path in (tmp_path / "r").iterdir():
        text = path.read_text()
        assert "bmc.tls" in text and ("bmc-insecure" in text or 'tls="insecure"' in text), path.name


def test_a_slow_bmc_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(redfish_client, "REQUEST_TIMEOUT_S", 0.3)
    with mockup_server(MOCKUP, delay_s=0.6) as url:
        began = time.monotonic()
        slow = read_bmc(BmcTarget(url=url))
        took = time.monotonic() - began
    assert slow["bmc"]["unavailable"]["chassis"] == "Timeout" and "did not answer in time" in slow["bmc"]["error"]
    assert took < 3.0  # two tries of 0.3 s and the library's 1 s pause
    monkeypatch.setattr(redfish_client, "REQUEST_TIMEOUT_S", 2.0)
    monkeypatch.setattr(redfish_client, "BUDGET_S", 2.0)
    with mockup_server(MOCKUP, delay_s=0.25) as url:
        began = time.monotonic()
        partial = read_bmc(BmcTarget(url=url))
        took = time.monotonic() - began
    # Each answer takes 0.25 s and the read needs more than eight: the budget ends it with what it had.
    assert took < 2.0 + 1.5
    reasons = set(partial["host"]["unavailable"].values())
    assert "Timeout" in reasons and "within 2 s" in partial["bmc"]["error"]


def test_the_load_phase_samples_chassis_power_over_redfish_without_ipmitool(monkeypatch):
    import fake_nvml
    from probe_fakes import LiveTree
    from probe_fakes import runner as commands

    from readycheck.load import runner
    from readycheck.load.backends import Backend, Running

    monkeypatch.setattr(runner, "choose", lambda name: Backend("fake", lambda: None, lambda seconds: []))
    burn = [sys.executable, "-c", "import time; time.sleep(1.0)"]
    with mockup_server(MOCKUP) as url:
        asked = []
        ctx = LiveTree(nvml_backend=fake_nvml.hgx_h100_8gpu, run=commands({}, asked), bmc=BmcTarget(url=url))
        load = runner.run(ctx, 1.0, interval=0.2, start=lambda backend, seconds: Running(burn))
    assert load["chassis"] and {c["power_w"] for c in load["chassis"]} == {374.0}
    assert load["chassis_source"] == "redfish" and load["chassis_unavailable"] is None
    assert asked == [("ipmitool", "dcmi", "power", "reading")]  # asked once, then Redfish


def test_an_unreachable_bmc_is_plain_and_quick():
    with silent_server() as url:
        port = url.rsplit(":", 1)[1]
    began = time.monotonic()
    facts = read_bmc(BmcTarget(url=f"http://127.0.0.1:{port}", user=USER, password=PASSWORD))
    assert time.monotonic() - began < 4.0
    assert facts["bmc"]["unavailable"]["chassis"] == "Unreachable" and "cannot connect" in facts["bmc"]["error"]
    found = judged(facts)
    psus = found["power.psu_redundancy"]
    assert psus.status == "unknown" and "cannot connect" in psus.message
    assert found["thermal.inlet"].status == "unknown" and "Unreachable" in found["thermal.inlet"].message
    assert_no_secret(json.dumps(facts), *(f.message for f in found.values()))


def test_a_bmc_that_never_answers_is_cut_off(monkeypatch):
    monkeypatch.setattr(redfish_client, "BUDGET_S", 2.0)
    with silent_server() as url:
        began = time.monotonic()
        facts = read_bmc(BmcTarget(url=url))
        took = time.monotonic() - began
    assert took < 3.5 and facts["bmc"]["unavailable"]["chassis"] == "Timeout"


def test_a_refused_login(caplog):
    caplog.set_level(logging.DEBUG)
    with refusing_server() as (url, seen):
        refused = read_bmc(BmcTarget(url=url, user=USER, password=PASSWORD))
        anonymous = read_bmc(BmcTarget(url=url))
    assert f"Basic {SECRETS[1]}" in seen  # the credentials were sent, and refused
    assert refused["bmc"]["unavailable"]["chassis"] == "LoginRefused"
    assert "refused the login (HTTP 401)" in refused["bmc"]["error"]
    assert "wants credentials" in anonymous["bmc"]["error"] and "READYCHECK_BMC_USER" in anonymous["bmc"]["error"]
    found = judged(refused)
    assert {f.status for f in found.values()} == {"unknown", "warn"}  # bmc.tls: plain HTTP
    assert_no_secret(json.dumps(refused), caplog.text, *(f.message for f in found.values()))


def test_refused_options_exit_2_in_one_line(tmp_path):
    secret = tmp_path / "bmc.env"
    secret.write_text(f"READYCHECK_BMC_USER={USER}\nREADYCHECK_BMC_PASSWORD={PASSWORD}\n")
    os.chmod(secret, 0o644)
    for args in (["--bmc", "https://10.0.0.5", "--bmc-credentials", str(secret)],
                 ["--bmc", f"https://{USER}:{PASSWORD}@10.0.0.5"]):
        done = readycheck("collect", *args)
        assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1, done.stderr
        assert_no_secret(done.stderr)
    done = readycheck("slurm-health", "--snapshot", "x.json", "--bmc", "https://10.0.0.5", "--dry-run")
    assert done.returncode == 2 and "--snapshot" in done.stderr


def test_without_the_library_bmc_says_how_to_get_it(monkeypatch, capsys):
    from readycheck import cli

    monkeypatch.setattr("readycheck.probes.bmc_target.library_installed", lambda: False)
    monkeypatch.setattr(sys, "argv", ["readycheck", "scan", "--bmc", "https://10.0.0.5"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert capsys.readouterr().err == ("readycheck: --bmc needs DMTF's Redfish library: pip install 'readycheck[bmc]' "
                                       "(PyPI package redfish)\n")
