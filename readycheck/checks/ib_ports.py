"""ib.ports: the node has its compute InfiniBand ports, each ACTIVE / LinkUp at the expected rate and link layer.

A GPU node talks to the other nodes of a training job over one compute port
per GPU (8 x 400 Gb/s NDR on an HGX H100). One port that is down takes its
GPU's rail out of the fabric; one that trained at 200 Gb/s halves the speed
of every collective the job runs, since all ranks wait for the slowest.

The host finding counts the compute ports (all ports, less the storage and
management ports the pack excludes by HCA name or link layer): fewer than
`expected_ports` fails. Each compute port (`mlx5_3/1`) fails when it is not
ACTIVE with physical state LinkUp (the message names the state: Polling is
a cable or peer problem, Disabled a disabled port, INIT a link no subnet
manager has activated), when an active port runs below
`expected_rate_gbps`, or when its link layer is not `expected_link_layer`.
Ports left out get a `skip` naming why. A value that could not be read is
`unknown`.

A node with no HCA at all fails when the pack expects compute ports and is
skipped, saying so, when it expects none.

NotSupported and MIG do not apply: the ports are read from sysfs.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import NO_HCA, PORT_FILTER, READ_PORTS, excluded, exclusion, unread_ports
from readycheck.checks.lib.unread import missing
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, port_subject

ID = "ib.ports"
SETTINGS = {
    "expected_ports": Setting("int", None, "compute ports the platform has at least, e.g. 8; unset or 0: not judged"),
    "expected_rate_gbps": Setting("float", None, "rate every active compute port must reach, e.g. 400 (NDR), 200 "
                                                 "(HDR)"),
    "expected_link_layer": Setting("str", None, "link layer of every compute port: \"InfiniBand\" or \"Ethernet\""),
    **PORT_FILTER,
}

CABLE = "reseat or replace the cable and transceiver, and check that the switch port is up"
# Physical state -> what a technician does about a port that is not ACTIVE.
DOWN_REMEDIES = {
    "Polling": f"no link partner: {CABLE}",
    "Disabled": "the port is disabled: enable it on the switch (or with `ibportstate ... enable`) and re-run",
    "LinkUp": "the link is up but no subnet manager has activated it: check that the subnet manager runs and "
              "reaches this port (`sminfo`)",
}


def check(facts, settings):
    ports = facts["infiniband"]
    wanted = settings["expected_ports"]
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
        why = exclusion(port, settings)
        if why:
            findings.append(excluded(ID, port, why))
            continue
        findings.append(_judge(port, settings["expected_rate_gbps"], settings["expected_link_layer"]))
        if port.get("link_layer") is None and settings["exclude_link_layers"]:
            unsure += 1  # it may be a storage or management port the pack leaves out
        else:
            compute += 1
    left_out = f" ({len(ports) - compute - unsure} more left out as storage or management)" \
        if compute + unsure < len(ports) else ""
    if compute >= wanted:
        yield Finding(ID, PASS, "host", compute, f">= {wanted}", f"{compute} compute ports{left_out}")
    elif compute + unsure >= wanted:
        yield Finding(ID, UNKNOWN, "host", compute, f">= {wanted}",
                      f"{compute} compute ports found and {unsure} whose link layer was not read, the platform has "
                      f"{wanted}{left_out}", READ_PORTS)
    else:
        yield Finding(ID, FAIL, "host", compute + unsure, f">= {wanted}",
                      f"{compute + unsure} compute ports found, the platform has {wanted}{left_out}",
                      "seat the missing HCAs and check their firmware and driver (`lspci -d 15b3:`, `ibstat`)")
    yield from findings


def _judge(port, rate, layer):
    subject = port_subject(port)
    observed = {name: port.get(name) for name in ("state", "phys_state", "rate_gbps", "link_layer")}
    expected = {"state": "ACTIVE", "phys_state": "LinkUp", "rate_gbps": rate, "link_layer": layer}
    needed = ("state", "phys_state") + (("rate_gbps",) if rate else ()) + (("link_layer",) if layer else ())
    why = missing(port, *needed)
    if why:
        return Finding(ID, UNKNOWN, subject, observed, expected, why, READ_PORTS)
    problems = []
    if layer and observed["link_layer"] != layer:
        problems.append((f"link layer {observed['link_layer']}, expected {layer}",
                         f"set the port type with `mlxconfig ... set LINK_TYPE_P{port['port']}` and reboot, or "
                         "exclude the port in the rule pack if it is not a compute port"))
    if (observed["state"], observed["phys_state"]) != ("ACTIVE", "LinkUp"):
        problems.append((f"port {observed['state']} ({observed['phys_state']})",
                         DOWN_REMEDIES.get(observed["phys_state"], CABLE)))
    elif rate and observed["rate_gbps"] < rate:
        problems.append((f"running at {observed['rate_gbps']:g} Gb/s, expected {rate:g}",
                         f"use a cable and transceiver rated for {rate:g} Gb/s, reseat them, and check the switch "
                         "port speed"))
    if problems:
        return Finding(ID, FAIL, subject, observed, expected, "; ".join(message for message, _ in problems),
                       "; ".join(remedy for _, remedy in problems))
    at = f" at {observed['rate_gbps']:g} Gb/s" if observed["rate_gbps"] is not None else ""
    return Finding(ID, PASS, subject, observed, expected, f"ACTIVE / LinkUp{at}, {observed['link_layer']}")
