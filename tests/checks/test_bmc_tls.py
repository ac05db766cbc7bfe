"""bmc.tls: how the BMC's facts travelled is part of the evidence."""

import pytest
from factsbuilder import hgx_h100

from readycheck.checks import bmc_tls


@pytest.mark.parametrize("bmc, status, words", [
    (None, "skip", "no BMC read over Redfish"),
    ({"url": None, "tls": None}, "skip", "no BMC read over Redfish"),
    ({"url": "https://10.0.0.5", "tls": "verified", "resources": ["Power"]}, "pass", "certificate verified"),
    ({"url": "https://10.0.0.5", "tls": "verified", "resources": []}, "skip", "nothing was read"),
    ({"url": "https://10.0.0.5", "tls": "insecure"}, "warn", "without checking its certificate (--bmc-insecure)"),
    ({"url": "http://10.0.0.5", "tls": "none"}, "warn", "plain HTTP"),
])
def test_tls(bmc, status, words):
    facts = hgx_h100()
    if bmc is not None:
        facts["bmc"] = bmc
    [finding] = bmc_tls.check(facts, {})
    assert finding.status == status and words in finding.message
    assert (finding.remedy != "") == (status == "warn")
