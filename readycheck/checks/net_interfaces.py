"""net.interfaces: the network interfaces the site names are present and up, at the expected speed and MTU.

Besides the compute fabric a GPU node needs its Ethernet: the management
network it is provisioned and monitored over, and often a storage network
where a 1500-byte MTU against 9000-byte jumbo frames on the switch, or a link
that came up at 10 of 100 Gb/s, makes checkpoints and data loading crawl.
Which interfaces matter is a site decision, so the pack names them.

Each named interface gets a finding under its own name (`eno1`). It fails
when it is missing, not up (operstate `down`, `lowerlayerdown`, `dormant`),
slower than `min_speed_mbps`, or at another MTU than `mtu`. The operstate
`unknown` (a driver that does not report link state) is `unknown`, not down,
as is any value that could not be read. A missing interface is `unknown`
when the network probe itself failed.

The speed and MTU apply to every named interface: a site whose interfaces differ judges the one
that matters most.

NotSupported and MIG do not apply: the interfaces are read from the kernel.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import missing, probe_failure
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, listed

ID = "net.interfaces"
SETTINGS = {
    "interfaces": Setting("list[str]", [], "network interfaces that must be up, e.g. [\"eno1\", \"ens1f0np0\"]; empty: "
                                           "skipped"),
    "min_speed_mbps": Setting("int", None, "speed every named interface must reach, in Mb/s, e.g. 25000"),
    "mtu": Setting("int", None, "MTU every named interface must have, e.g. 9000"),
}

READ_LINK = "check the link by hand (`ip link`, `ethtool {name}`) and re-run readycheck as root"


def check(facts, settings):
    names = settings["interfaces"]
    if not names:
        yield not_configured(ID, "interfaces")
        return
    found = {interface["name"]: interface for interface in facts["network_interfaces"]}
    failed = probe_failure(facts, "network")
    for name in names:
        if name in found:
            yield _judge(found[name], settings["min_speed_mbps"], settings["mtu"])
        elif failed:
            yield Finding(ID, UNKNOWN, name, message=f"network interfaces not read: {failed}",
                          remedy=READ_LINK.format(name=name))
        else:
            yield Finding(ID, FAIL, name, sorted(found), name,
                          f"no interface named {name} (found: {listed(sorted(found)) or 'none'})",
                          f"check the NIC is seated and its driver loaded (`ip link`), or correct {name} in the "
                          "rule pack")


def _judge(interface, speed, mtu):
    name = interface["name"]
    observed = {field: interface.get(field) for field in ("operstate", "up", "speed_mbps", "mtu")}
    expected = {"up": True, "speed_mbps": f">= {speed}" if speed else None, "mtu": mtu}
    problems, unread = [], []
    if observed["operstate"] == "unknown":
        unread.append("operstate unknown: the driver does not report the link state")
    elif observed["up"] is None:
        unread.append(missing(interface, "up"))
    elif not observed["up"]:
        problems.append((f"link {observed['operstate'] or 'down'}",
                         f"connect the cable and check the switch port, then `ip link set {name} up`"))
    elif speed and observed["speed_mbps"] is None:
        unread.append(missing(interface, "speed_mbps"))
    elif speed and observed["speed_mbps"] < speed:
        problems.append((f"{observed['speed_mbps']} Mb/s, expected at least {speed}",
                         f"use a cable and transceiver rated for {speed} Mb/s and check the switch port speed "
                         f"(`ethtool {name}`)"))
    if mtu and observed["mtu"] is None:
        unread.append(missing(interface, "mtu"))
    elif mtu and observed["mtu"] != mtu:
        problems.append((f"MTU {observed['mtu']}, expected {mtu}",
                         f"set MTU {mtu} on {name} in the OS network configuration, matching the switch port"))
    if problems:
        note = f" (also {'; '.join(unread)})" if unread else ""
        return Finding(ID, FAIL, name, observed, expected, "; ".join(m for m, _ in problems) + note,
                       "; ".join(r for _, r in problems))
    if unread:
        return Finding(ID, UNKNOWN, name, observed, expected, "; ".join(unread), READ_LINK.format(name=name))
    speed_note = f" at {observed['speed_mbps']} Mb/s" if observed["speed_mbps"] is not None else ""
    return Finding(ID, PASS, name, observed, expected, f"up{speed_note}, MTU {observed['mtu']}")
