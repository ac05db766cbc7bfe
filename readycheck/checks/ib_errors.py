"""ib.errors: no HCA port has more symbol errors, link downs, link recoveries or receive errors than allowed.

The port counters run from the HCA's last reset (normally the boot). Symbol
errors are bits the receiver could not decode: a dirty or damaged cable or
transceiver. Link downs and link error recoveries are a link that dropped or
retrained: a flapping cable, a loose transceiver, a failing switch port.
Receive errors are packets dropped as malformed. On a freshly booted node a
healthy port shows none; a port that already has them will stall or drop the
collectives of the job that uses it.

Every port is judged, compute or not (a storage port with errors is a problem
too). A port with a counter above its threshold fails, naming the counts; a
counter that could not be read makes the port `unknown`. A node with no HCA
is skipped, saying so (ib.ports judges whether it should have one).

NotSupported and MIG do not apply: the counters come from sysfs.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.fabric import no_hca
from readycheck.checks.lib.unread import reason
from readycheck.findings import FAIL, PASS, UNKNOWN, Finding, port_subject

ID = "ib.errors"
COUNTERS = {"symbol_error": "symbol errors", "link_downed": "link downs",
            "link_error_recovery": "link error recoveries", "port_rcv_errors": "receive errors"}
READ_COUNTERS = ("read the port counters by hand (`perfquery -x`, or the port's counters/ directory in sysfs) "
                 "and re-run readycheck as root")
SETTINGS = {f"max_{name}": Setting("int", 0, f"{words} on one port above which the port fails")
            for name, words in COUNTERS.items()}


def check(facts, settings):
    if not facts["infiniband"]:
        yield no_hca(ID, facts)
        return
    limits = {name: settings[f"max_{name}"] for name in COUNTERS}
    for port in facts["infiniband"]:
        yield _judge(port, limits)


def _judge(port, limits):
    subject = port_subject(port)
    counters = port.get("counters") or {}
    observed = {name: counters.get(name) for name in COUNTERS}
    expected = {name: f"<= {limit}" for name, limit in limits.items()}
    over = [f"{observed[name]} {words}" for name, words in COUNTERS.items()
            if observed[name] is not None and observed[name] > limits[name]]
    unread = [f"counters.{name} unavailable "
              f"({reason(port, f'counters.{name}', reason(port, 'counters'))})"
              for name, value in observed.items() if value is None]
    if over:
        note = f" (also {'; '.join(unread)})" if unread else ""
        return Finding(ID, FAIL, subject, observed, expected, f"{', '.join(over)} since the HCA reset{note}",
                       f"reseat or replace the cable and transceiver of {port['device']} port {port['port']}, clear "
                       "the counters (`perfquery -x -R`) and re-run; if they grow again, check the switch port")
    if unread:
        return Finding(ID, UNKNOWN, subject, observed, expected, "; ".join(unread), READ_COUNTERS)
    return Finding(ID, PASS, subject, observed, expected, "no symbol, link or receive errors"
                   if not any(observed.values()) else
                   ", ".join(f"{observed[name]} {words}" for name, words in COUNTERS.items() if observed[name]))
