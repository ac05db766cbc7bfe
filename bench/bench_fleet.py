"""Times `readycheck check DIR --site site.toml` over a fleet, writing every report format in one run.

Run: python bench/bench_fleet.py [--nodes 10000]. Makes N snapshots as `collect` writes them (indented
JSON, 67 kB) from the bundled HGX H100 examples, every tenth the faulty one, each with its own hostname,
DMI serial, GPU serials and UUIDs, temperatures and power draws (so nothing is the same from node to node
but the shape), in racks of 4 with a site file for them (10,000 nodes: 2,500 racks); then runs
`check DIR --site S -f text -f json -f md -f html -f junit -f prom -o OUT` for N/10 and for N nodes and
prints wall and CPU time, the peak RSS of the largest process, and each report's size.
Targets: N = 10,000 in at most 15 s and 1 GB, 10k/1k at most 11x, the JSON report under 100 MB.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import tempfile
from pathlib import Path

from timing import REPO, Runs, environment, figure, machine, readycheck_command, timed

EXAMPLES = REPO / "examples"
PER_RACK = 4
FORMATS = ("text", "json", "md", "html", "junit", "prom")
TARGET_S, TARGET_MB, TARGET_GROWTH, TARGET_JSON_MB = 15.0, 1000.0, 11.0, 100.0
MB = 1.048576  # per MiB

RACK = """
[[rack]]
name = "R{rack:04d}"
nodes = ["gpu-r{rack:04d}-*"]
redundancy = "2N"
air_cooling_kw = 45.0
[[rack.feed]]
name = "A"
side = "A"
volts = 415
amps = 63
phases = 3
[[rack.feed]]
name = "B"
side = "B"
volts = 415
amps = 63
phases = 3
"""


def template(name: str) -> str:
    """The example as `collect` writes it, its per-node values replaced by @key@ markers."""
    facts = json.loads((EXAMPLES / name).read_text())
    facts["host"]["hostname"] = "@host@"
    facts["host"]["dmi"]["product_serial"] = "@serial@"
    for i, gpu in enumerate(facts["gpus"]):
        gpu["serial"], gpu["uuid"] = f"@gpu{i}serial@", f"@gpu{i}uuid@"
        gpu["temperature_gpu_c"], gpu["power_draw_w"] = f"@gpu{i}temp@", f"@gpu{i}power@"
    return json.dumps(facts, indent=2) + "\n"


def values(n: int) -> dict[str, str]:
    """Node n's own values, as JSON text."""
    out = {"host": f'"gpu-r{n // PER_RACK:04d}-{n % PER_RACK}"', "serial": f'"SN{n:08d}"'}
    for i in range(8):
        out[f"gpu{i}serial"] = f'"{1650000000000 + n * 8 + i}"'
        out[f"gpu{i}uuid"] = f'"GPU-{n:08x}-{i:04x}-4000-8000-{n * 8 + i:012x}"'
        out[f"gpu{i}temp"] = str(28 + (n * 7 + i * 3) % 17)
        out[f"gpu{i}power"] = f"{68 + (n * 13 + i * 5) % 50}.{(n + i) % 10}"
    return out


def _value(own: dict[str, str], marker: re.Match) -> str:
    return own[marker.group(1)]


def make_fleet(folder: Path, count: int) -> None:
    """`count` snapshots in `folder`, and their site file beside it (site-COUNT.toml)."""
    healthy, faulty = template("hgx-h100-healthy.json"), template("hgx-h100-faulty.json")
    marker = re.compile(r'"@(\w+)@"')
    for n in range(count):
        text = marker.sub(functools.partial(_value, values(n)), faulty if n % 10 == 0 else healthy)
        (folder / f"node-{n:05d}.json").write_text(text)
    racks = "".join(RACK.format(rack=r) for r in range((count + PER_RACK - 1) // PER_RACK))
    (folder.parent / f"site-{count}.toml").write_text('[site]\nname = "bench"\n' + racks)


def run(count: int, tmp: Path, formats: tuple[str, ...] = FORMATS) -> tuple[Runs, dict[str, float]]:
    """`check` of `count` snapshots writing `formats` (none: the terminal summary only, the default)."""
    folder = tmp / f"fleet-{count}"
    if not folder.exists():
        folder.mkdir()
        make_fleet(folder, count)
    out = tmp / f"reports-{count}-{len(formats)}"
    command = [*readycheck_command(), "check", str(folder), "--site", str(tmp / f"site-{count}.toml")]
    if formats:
        command += ["-o", str(out)]
    for fmt in formats:
        command += ["-f", fmt]
    runs = Runs()
    timed(command, runs, environment(XDG_CACHE_HOME=str(tmp / "cache")), memory=True)
    sizes = {path.suffix[1:]: path.stat().st_size / 1e6 for path in out.iterdir()} if formats else {}
    return runs, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=10000)
    args = parser.parse_args()
    print(f"readycheck check of a fleet with a site file, every format in one run; {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        small, _ = run(args.nodes // 10, Path(tmp))
        large, sizes = run(args.nodes, Path(tmp))
        summary, _ = run(args.nodes, Path(tmp), formats=())
    print(f"  {args.nodes:>6} nodes, the terminal summary only (no --format): wall {summary.wall[0]:.1f} s, "
          f"CPU {summary.cpu[0]:.1f} s, peak memory {summary.peak_total_mib * MB:.0f} MB (all processes, PSS)")
    for count, runs in ((args.nodes // 10, small), (args.nodes, large)):
        print(f"  {count:>6} nodes, every format: wall {runs.wall[0]:.1f} s, CPU {runs.cpu[0]:.1f} s (all "
              f"processes), peak memory {runs.peak_total_mib * MB:.0f} MB (all processes, PSS), "
              f"{runs.peak_mib * MB:.0f} MB (RSS of the largest)")
    print("  report sizes for", args.nodes, "nodes:", ", ".join(f"{fmt} {mb:.1f} MB" for fmt, mb in sizes.items()))
    figure(f"{args.nodes} nodes, all formats, wall", large.wall[0], "s", TARGET_S, f"CPU {large.cpu[0]:.1f} s")
    figure(f"{args.nodes} nodes, peak memory of all its processes", large.peak_total_mib * MB, "MB", TARGET_MB,
           f"largest process {large.peak_mib * MB:.0f} MB RSS")
    figure(f"{args.nodes} / {args.nodes // 10} nodes, wall", large.wall[0] / small.wall[0], "x", TARGET_GROWTH,
           f"CPU {large.cpu[0] / small.cpu[0]:.1f}x")
    figure(f"JSON report of {args.nodes} nodes", sizes["json"], "MB", TARGET_JSON_MB)
    figure(f"{args.nodes} nodes, terminal summary only, wall", summary.wall[0], "s", TARGET_S)
    figure(f"{args.nodes} nodes, terminal summary only, peak memory", summary.peak_total_mib * MB, "MB", TARGET_MB)


if __name__ == "__main__":
    main()
