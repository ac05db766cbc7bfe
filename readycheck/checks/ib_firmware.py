"""ib.firmware: all HCAs of one board id run the same firmware version.

HCA firmware decides link training, congestion control and RDMA behaviour.
An HCA that came back from RMA or was swapped in the field often runs other
firmware than its neighbours; then one rail behaves differently (links that
train at another speed, adaptive routing or congestion settings that do not
match) and NVIDIA's support asks for uniform firmware first. HCAs are
grouped by board id (the PSID, e.g. `MT_0000000838`), so storage and compute
cards of different models are compared only with their own kind; a board id
whose HCAs report more than one firmware version fails, naming which HCA runs
which. An HCA whose board id or firmware could not be read makes the check
`unknown`. A node with no HCA is skipped, saying so (ib.ports judges whether
it should have one).

The check does not say which version is right: compare with the platform
vendor's current firmware bundle.

HCAs that already differ fail even when another HCA's firmware is unread; otherwise an unread
version is `unknown`. NotSupported and MIG do not apply: the versions come from sysfs.
"""

from __future__ import annotations

from collections import Counter

from readycheck.checks.lib.fabric import READ_PORTS, no_hca
from readycheck.checks.lib.unread import missing
from readycheck.checks.lib.versions import disagreement, versions_by
from readycheck.findings import PASS, Finding, listed

ID = "ib.firmware"
SETTINGS: dict = {}


def check(facts, settings):
    if not facts["infiniband"]:
        yield no_hca(ID, facts)
        return
    hcas = {}
    for port in facts["infiniband"]:
        hcas.setdefault(port["device"], port)  # the ports of one HCA share its firmware
    unread = {device: why for device, port in hcas.items() if (why := missing(port, "board_id", "fw_version"))}
    mixed, uniform = versions_by((port["board_id"], port["fw_version"], device) for device, port in hcas.items()
                                 if device not in unread)
    expected = "one firmware version per board id"
    fault = disagreement(ID, mixed, unread, expected,
                         "flash the odd HCAs with the vendor's firmware bundle (`mlxfwmanager -u`) so all match, "
                         "then reboot", READ_PORTS)
    if fault:
        yield fault
        return
    counts = Counter(port["board_id"] for port in hcas.values())
    yield Finding(ID, PASS, "host", uniform, expected,
                  listed(f"{board}: {version} on {counts[board]} HCA{'' if counts[board] == 1 else 's'}"
                         for board, version in uniform.items()))
