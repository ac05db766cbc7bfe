"""bmc.tls: the BMC's facts were read over HTTPS with the BMC's certificate verified.

With `--bmc URL` (or a Redfish host interface the firmware describes in SMBIOS
type 42) readycheck reads the PSUs, the intake temperature and the chassis
power from the BMC, and those facts decide power.psu_redundancy and
thermal.inlet, so how they travelled is part of the evidence. HTTPS with the
certificate verified (against the certifi trust store, or the CA given with
`--bmc-ca FILE`) passes. `--bmc-insecure` (the certificate was not checked:
anything on the network path could have answered for the BMC) warns, and so
does plain `http://` (nothing authenticated, credentials sent in clear), so
that every report format says it. No BMC read over Redfish (none given or
found, or nothing read from it) is `skip`.

NotSupported and MIG do not apply: the check judges how the BMC's facts were read.
"""

from __future__ import annotations

from readycheck.findings import PASS, SKIP, WARN, Finding

ID = "bmc.tls"
SETTINGS: dict = {}

WORDS = {
    "verified": "HTTPS, certificate verified",
    "insecure": "HTTPS without certificate verification (--bmc-insecure)",
    "none": "plain HTTP",
}


def check(facts, settings):
    bmc = facts.get("bmc") or {}
    url, tls = bmc.get("url"), bmc.get("tls")
    if not url or tls not in WORDS:
        yield Finding(ID, SKIP, "host", message="no BMC read over Redfish (no --bmc, no host interface in SMBIOS)")
        return
    observed, expected = WORDS[tls], WORDS["verified"]
    if tls == "verified" and not bmc.get("resources"):
        yield Finding(ID, SKIP, "host", observed, expected, f"nothing was read from the BMC at {url}")
    elif tls == "verified":
        yield Finding(ID, PASS, "host", observed, expected,
                      f"BMC facts read from {url} over HTTPS, certificate verified")
    elif tls == "insecure":
        yield Finding(ID, WARN, "host", observed, expected,
                      f"BMC facts read from {url} without checking its certificate (--bmc-insecure): anything on "
                      "the path could have answered for the BMC",
                      "give the BMC's CA with --bmc-ca FILE (or install a certificate the trust store accepts)")
    else:
        yield Finding(ID, WARN, "host", observed, expected,
                      f"BMC facts read from {url} over plain HTTP: not authenticated, credentials sent in clear",
                      "use the BMC's https:// address")
