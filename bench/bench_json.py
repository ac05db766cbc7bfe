"""Would a faster JSON parser (orjson, msgspec) pay for itself? Times readycheck's own work with each.

Run: python bench/bench_json.py [--nodes 1000]. For each parser that is installed, interleaved with the
standard library's `json`: reading, validating and judging N varied snapshots (as bench_fleet.py makes
them) plus writing their JSON report, in this process (CPU time: the work, not the scheduling), and the
whole command `readycheck check ONE.json --format json -o FILE` (wall time, the parser imported as it
would be). The parser replaces `json.loads` where snapshots are read (readycheck.facts.snapshot) and
`json.dumps` where the JSON report is written. Rule: keep one only if it makes these at least 1.5x faster
end to end; it stays an optional extra if it has no wheel for a supported Python (3.9+). Nothing is
changed outside the processes this starts.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_fleet import make_fleet
from timing import REPO, environment, figure, interleaved, machine

TARGET_SPEEDUP = 1.5


class Stdlib:
    name = "json (stdlib)"
    loads = staticmethod(json.loads)
    dumps = staticmethod(json.dumps)


def parsers() -> list:
    found = [Stdlib]
    with contextlib.suppress(ImportError):
        import orjson

        class Orjson:
            name = f"orjson {orjson.__version__}"
            loads = staticmethod(lambda text, **_: orjson.loads(text))  # refuses NaN and Infinity itself
            dumps = staticmethod(lambda value, **_: orjson.dumps(value).decode())

        found.append(Orjson)
    with contextlib.suppress(ImportError):
        import msgspec

        decoder, encoder = msgspec.json.Decoder(), msgspec.json.Encoder()

        class Msgspec:
            name = f"msgspec {msgspec.__version__}"
            loads = staticmethod(lambda text, **_: decoder.decode(text))
            dumps = staticmethod(lambda value, **_: encoder.encode(value).decode())

        found.append(Msgspec)
    return found


@contextlib.contextmanager
def parser_in_place(parser):
    """readycheck's snapshot reader and JSON reporter use `parser` for the duration."""
    from readycheck.facts import snapshot
    from readycheck.report import json_report

    saved = snapshot.json, json_report.json
    use(parser)
    try:
        yield
    finally:
        snapshot.json, json_report.json = saved


def use(parser) -> None:
    from readycheck.facts import snapshot
    from readycheck.report import json_report

    shim = type("json", (), {"loads": parser.loads, "dumps": parser.dumps, "JSONDecodeError": json.JSONDecodeError})
    snapshot.json = json_report.json = shim


def command(parser_name: str, out: Path) -> list[str]:
    """`readycheck check ONE.json --format json -o OUT` with the named parser in place."""
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_json\n"
            f"bench_json.use(next(p for p in bench_json.parsers() if p.name == {parser_name!r}))\n"
            f"sys.argv = ['readycheck', 'check', {str(REPO / 'examples' / 'hgx-h100-healthy.json')!r}, "
            f"'--format', 'json', '-o', {str(out)!r}]\nfrom readycheck.entry import main\nmain()")
    return [sys.executable, "-c", code]


def once(paths: list[str], site) -> float:
    from readycheck.report import write
    from readycheck.run import judge_files

    gc.collect()
    start = time.process_time()
    report = judge_files(paths, None, site, workers=1)
    write(report, "json", io.StringIO())
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from readycheck import site as sites

    found = parsers()
    print(f"JSON parsers against the standard library, CPU seconds in one process; {machine()}")
    if len(found) == 1:
        print("  neither orjson nor msgspec is installed: nothing to compare (pip install orjson msgspec)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "fleet"
        folder.mkdir()
        make_fleet(folder, args.nodes)
        site = sites.load(str(Path(tmp) / f"site-{args.nodes}.toml"))
        fleet = sorted(str(p) for p in folder.glob("*.json"))
        fleet_times: dict[str, list[float]] = {p.name: [] for p in found}
        for _ in range(args.rounds):
            for each in found:
                with parser_in_place(each):
                    fleet_times[each.name].append(once(fleet, site))
        single = interleaved({p.name: command(p.name, Path(tmp) / "r.json") for p in found}, 15 * args.rounds,
                             environment(XDG_CACHE_HOME=str(Path(tmp) / "cache")))
    for name, times in ((f"{args.nodes} snapshots + JSON report, CPU in one process", fleet_times),
                        ("check ONE.json --format json -o FILE, wall", {k: v.wall for k, v in single.items()})):
        base = statistics.median(times[Stdlib.name])
        print(f"  {name}: {Stdlib.name} {base:.3f} s (median of {len(times[Stdlib.name])})")
        for each in found[1:]:
            ours = statistics.median(times[each.name])
            print(f"    {each.name}: {ours:.3f} s")
            figure(f"{each.name} against json, {name}", base / ours, "x as fast", TARGET_SPEEDUP,
                   "kept" if base / ours >= TARGET_SPEEDUP else "not kept: the standard library stays", at_least=True)


if __name__ == "__main__":
    main()
