"""ib.ports: the node has its compute InfiniBand or RoCE ports, each ACTIVE / LinkUp at the expected rate.

A GPU node talks to the other nodes of a training job over one compute port
per GPU (8 x 400 Gb/s NDR on an HGX H100). One port that is down takes its
GPU's rail out of the fabric; one that trained at 200 Gb/s halves the speed
of every collective the job runs, since all ranks wait for the slowest.

The compute fabric's link layer is the pack's `[platform] compute_link_layer`:
"InfiniBand", or "Ethernet" for a RoCE fabric (many H20 and H800 clusters run
RoCE v2 at 400 Gb/s); the same setting tells topology.nic_affinity which ports
to judge. Ports of the other layer are storage or management and are left
out, as are HCAs whose name matches `exclude_devices` (a BlueField bond,
`mlx5_bond_*`); unset, every port counts. Each port left out gets a `skip`
naming why.

The host finding counts the compute ports: fewer than `expected_ports` fails.
When the node has none of the compute layer but has ports of the other layer
at the expected rate on its compute HCAs (a RoCE fabric judged as
InfiniBand), the finding says to set `compute_link_layer`. Each compute port
(`mlx5_3/1`) fails when it is not ACTIVE with physical state LinkUp (the
message names the state: Polling is a cable or peer problem, Disabled a
disabled port, INIT a link no subnet manager has activated), and when an
active port runs below `expected_rate_gbps`. A definite fault outranks an
unread value: a port read as DOWN, POLLING, INIT or DISABLED fails even when
its rate was not read; `unknown` is only for a port where nothing read is
wrong and something needed was not read.

A node with no HCA at all fails when the pack expects compute ports and is
skipped, saying so, when it expects none.

NotSupported and MIG do not apply: the ports are read from sysfs.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import (
    NO_HCA,
    PORT_FILTER,
    READ_PORTS,
    compute_layer,
    excluded,
    excluded_device,
    exclusion,
    unread_ports,
)
from readycheck.checks.lib.unread import missing
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, port_subject

ID = "ib.ports"
SETTINGS = {
    "expected_ports": Setting("int", None, "compute ports the platform has at least, e.g. 8; unset or 0: not judged"),
    "expected_rate_gbps": Setting("float", None, "rate every active compute port must reach, e.g. 400 (NDR), 200 "
                                                 "(HDR)"),
    **PORT_FILTER,
}
NEEDS = ("platform",)

CABLE = "reseat or replace the cable and transceiver, and check that the switch port is up"
# Physical state -> what a technician does about a port that is not ACTIVE.
DOWN_REMEDIES = {
    "Polling": f"no link partner: {CABLE}",
    "Disabled": "the port is disabled: enable it on the switch (or with `ibportstate ... enable`) and re-run",
    "LinkUp": "the link is up but no subnet manager has activated it: check that the subnet manager runs and "
              "reaches this port (`sminfo`)",
}
OTHER_LAYER = {"InfiniBand": "Ethernet", "Ethernet": "InfiniBand"}


def check(facts, settings, platform=None):
    ports = facts["infiniband"]
    wanted = settings["expected_ports"]
    layer = compute_layer(platform)
    if not wanted:
        if not ports:
            yield unread_ports(ID, facts) or Finding(ID, SKIP, "host", 0, message=f"{NO_HCA}, and the rule pack "
                                                     "expects none")
            return
        yield Finding(ID, SKIP, "host", len(ports), message=f"the rule pack sets no compute port count "
                      f"(expected_ports): {len(ports)} HCA ports found, not judged",
                      remedy=f"set [checks.\"{ID}\"] expected_ports in the rule pack to judge them")
        return
    if not ports:
        yield unread_ports(ID, facts) or Finding(
            ID, FAIL, "host", 0, f">= {wanted}", f"{NO_HCA}; the platform has {wanted} compute ports",
            "seat the HCAs and load their driver (check `lspci -d 15b3:` and `ibstat`), then re-run")
        return
    findings, compute, unsure = [], 0, 0
    for port in ports:
        why = exclusion(port, settings, layer)
        if why:
            findings.append(excluded(ID, port, why))
            continue
        findings.append(_judge(port, settings["expected_rate_gbps"]))
        if port.get("link_layer") is None and layer:
            unsure += 1  # it may be a storage or management port of the other layer
        else:
            compute += 1
    left_out = f" ({len(ports) - compute - unsure} more left out as storage or management)" \
        if compute + unsure < len(ports) else ""
    expected = f">= {wanted}" + (f" {layer}" if layer else "")
    if compute >= wanted:
        yield Finding(ID, PASS, "host", compute, expected, f"{compute} compute ports{left_out}")
    elif compute + unsure >= wanted:
        yield Finding(ID, UNKNOWN, "host", compute, expected,
                      f"{compute} compute ports found and {unsure} whose link layer was not read, the platform has "
                      f"{wanted}{left_out}", READ_PORTS)
    else:
        message = f"{compute + unsure} compute ports found, the platform has {wanted}{left_out}"
        remedy = "seat the missing HCAs and check their firmware and driver (`lspci -d 15b3:`, `ibstat`)"
        other = _other_layer_ports(ports, settings, layer) if compute + unsure == 0 else []
        if other:
            message += (f"; {len(other)} {OTHER_LAYER[layer]} ports at the compute rate on the compute HCAs "
                        f"({', '.join(other)}): is the compute fabric {OTHER_LAYER[layer]}?")
            remedy = (f"if the compute fabric runs {OTHER_LAYER[layer]} (RoCE), set compute_link_layer = "
                      f"\"{OTHER_LAYER[layer]}\" in the [platform] table of a site pack that extends this one; "
                      f"else {remedy}")
        yield Finding(ID, FAIL, "host", compute + unsure, expected, message, remedy)
    yield from findings


def _other_layer_ports(ports, settings, layer):
    """The ports, on HCAs not excluded by name, of the link layer the pack does not count, at the expected
    rate: the compute fabric itself when the pack names the wrong layer."""
    rate = settings["expected_rate_gbps"]
    return [port_subject(port) for port in ports
            if layer and port.get("link_layer") == OTHER_LAYER.get(layer) and not excluded_device(port, settings)
            and (rate is None or (port.get("rate_gbps") or 0) >= rate)]


def _judge(port, rate):
    """A compute port: what is read and wrong fails; only then does something unread make it `unknown`."""
    subject = port_subject(port)
    observed = {name: port.get(name) for name in ("state", "phys_state", "rate_gbps", "link_layer")}
    expected = {"state": "ACTIVE", "phys_state": "LinkUp", "rate_gbps": rate}
    state, phys = observed["state"], observed["phys_state"]
    problems = []
    if (state is not None and state != "ACTIVE") or (phys is not None and phys != "LinkUp"):
        shown = state if state is not None else f"state unread: {missing(port, 'state')}"
        problems.append((f"port {shown} ({phys if phys is not None else missing(port, 'phys_state')})",
                         DOWN_REMEDIES.get(phys, CABLE)))
    elif rate and observed["rate_gbps"] is not None and observed["rate_gbps"] < rate:
        problems.append((f"running at {observed['rate_gbps']:g} Gb/s, expected {rate:g}",
                         f"use a cable and transceiver rated for {rate:g} Gb/s, reseat them, and check the switch "
                         "port speed"))
    if problems:
        return Finding(ID, FAIL, subject, observed, expected, "; ".join(message for message, _ in problems),
                       "; ".join(remedy for _, remedy in problems))
    why = missing(port, "state", "phys_state", *(("rate_gbps",) if rate else ()))
    if why:
        return Finding(ID, UNKNOWN, subject, observed, expected, why, READ_PORTS)
    at = f" at {observed['rate_gbps']:g} Gb/s" if observed["rate_gbps"] is not None else ""
    layer = f", {observed['link_layer']}" if observed["link_layer"] is not None else ""
    return Finding(ID, PASS, subject, observed, expected, f"ACTIVE / LinkUp{at}{layer}")
