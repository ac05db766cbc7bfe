"""Renders every report format for a fleet of judged nodes and prints each one's size and time.

Run: python bench/bench_report.py [--nodes 1000] [--per-rack 8] [--faulty-every 10]. Nodes are the
bundled HGX H100 examples (every `--faulty-every`th one the faulty node, so 1 makes every node NOT
READY) with distinct hostnames, judged once and their facts packed as a fleet's are (each report
unpacks them); racks are hand-built budgets of `--per-rack` nodes each. Where a fleet's time goes,
format by format (bench_fleet.py times the whole command). The bar: the HTML for 1,000 nodes stays
under 10 MB whatever the verdicts (`--faulty-every 1`).
"""

from __future__ import annotations

import argparse
import time

from timing import REPO, figure

EXAMPLES = REPO / "examples"


def fleet(count: int, per_rack: int, faulty_every: int = 10):
    from readycheck import rulepack
    from readycheck.budget import FeedBudget, RackBudget
    from readycheck.engine import finish, judge
    from readycheck.facts import load_snapshot

    healthy = load_snapshot(EXAMPLES / "hgx-h100-healthy.json")
    faulty = load_snapshot(EXAMPLES / "hgx-h100-faulty.json")
    pack = rulepack.load("hgx-h100")
    nodes = []
    for n in range(count):
        snapshot = faulty if n % faulty_every == 0 else healthy
        nodes.append(judge(dict(snapshot, host=dict(snapshot["host"], hostname=f"gpu-{n:04d}")), pack))
    racks = []
    for r in range(0, count, per_rack):
        members = [node.node for node in nodes[r:r + per_rack]]
        worst = 10.2 * len(members)
        feeds = [FeedBudget(f"PDU-{side}", 415.0, 60.0, 3, 0.95, 0.8, 32.8) for side in "AB"]
        racks.append(RackBudget(name=f"R{r // per_rack:03d}", redundancy="2N", feeds=feeds, budget_kw=32.8,
                                worst_case_kw=worst, nodes=members, projected=False,
                                basis="nameplate maximum from the rule pack", air_heat_kw=worst, liquid_heat_kw=0.0,
                                air_cooling_kw=40.0, liquid_cooling_kw=0.0))
    report = finish(nodes, None, pack)
    report.racks = racks
    for node in nodes:
        node.pack_facts()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--per-rack", type=int, default=8)
    parser.add_argument("--faulty-every", type=int, default=10, help="every Nth node is the faulty one (1: all)")
    args = parser.parse_args()

    from readycheck.report import FORMATS, render

    start = time.perf_counter()
    report = fleet(args.nodes, args.per_rack, args.faulty_every)
    not_ready = sum(1 for node in report.nodes if node.verdict != "ready")
    print(f"judged {args.nodes} nodes ({not_ready} not ready), {len(report.racks)} racks: "
          f"{time.perf_counter() - start:.2f} s")
    for fmt in FORMATS:
        start = time.perf_counter()
        size = len(render(report, fmt).encode("utf-8"))
        seconds = time.perf_counter() - start
        print(f"{fmt:6} {size / 1e6:8.2f} MB  {seconds:6.2f} s  ({size / args.nodes / 1e3:.1f} kB and "
              f"{seconds / args.nodes * 1e3:.2f} ms a node)")
        if fmt == "html" and args.nodes == 1000:
            figure("HTML for 1,000 nodes", size / 1e6, "MB", 10)


if __name__ == "__main__":
    main()
