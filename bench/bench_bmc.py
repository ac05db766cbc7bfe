"""Times the BMC read over Redfish and prints the figures: how long, how many requests, and the bound.

Run: READYCHECK_REDFISH_MOCKUP_SERVER=<checkout of DMTF/Redfish-Mockup-Server> python bench/bench_bmc.py
[--delay 0.5]. Serves DMTF's public-rackmount1 mockup (tests/data/redfish) on a loopback port with DMTF's
server, reads it with the BMC probe as `--bmc` would, first as fast as the server answers, then with every
answer delayed by --delay seconds (a slow BMC: the read must stop within the budget), then against a port
that accepts and never answers (a hung BMC).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.5, help="seconds each answer is delayed in the slow run")
    args = parser.parse_args()

    from redfish_mockup import MOCKUP, SERVER, mockup_server, silent_server

    from readycheck.probes import ProbeContext, bmc, redfish_client
    from readycheck.probes.bmc_target import BmcTarget

    if not SERVER.is_file():
        sys.exit("set READYCHECK_REDFISH_MOCKUP_SERVER to a checkout of DMTF/Redfish-Mockup-Server")
    asked: list[str] = []
    original = redfish_client.Session.get

    def counting(self, path):
        asked.append(path)
        return original(self, path)

    redfish_client.Session.get = counting

    def read(url: str) -> tuple[float, dict]:
        asked.clear()
        began = time.perf_counter()
        facts = bmc.probe(ProbeContext(bmc=BmcTarget(url=url)))
        return time.perf_counter() - began, facts

    print(f"budget {redfish_client.BUDGET_S:g} s (+1 s backstop), {redfish_client.REQUEST_TIMEOUT_S:g} s a request, "
          f"{redfish_client.MAX_RETRY} retry")
    for delay in (0.0, args.delay):
        with mockup_server(MOCKUP, delay_s=delay) as url:
            read(url)  # the first read imports the library
            took, facts = read(url)
        print(f"mockup, answers delayed {delay:g} s: {took:.2f} s, {len(asked)} GETs besides the service root, "
              f"resources {facts['bmc']['resources']}, error: {facts['bmc']['error']}")
    with silent_server() as url:
        took, facts = read(url)
    print(f"BMC that never answers: {took:.2f} s, error: {facts['bmc']['error']}")


if __name__ == "__main__":
    main()
