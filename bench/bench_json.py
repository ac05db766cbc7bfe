"""Would a faster JSON parser (orjson, msgspec) pay for itself? Times readycheck's own work with each.

Run: python bench/bench_json.py [--nodes 1000]. For each parser that is installed, in this process and
interleaved with the standard library's `json`: reading, validating and judging N varied snapshots (as
bench_fleet.py makes them, one process, so the figure is CPU work and not scheduling) plus writing their
JSON report, and the same for one snapshot. The parser replaces `json.loads` where snapshots are read
(readycheck.facts.snapshot) and `json.dumps` where the JSON report is written. Rule: keep one only if it
makes these at least 1.5x faster end to end; it stays an optional extra if it has no wheel for a supported
Python (3.9+). Nothing is changed outside this process.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench_fleet import make_fleet
from timing import REPO, figure, machine

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

    shim = type("json", (), {"loads": parser.loads, "dumps": parser.dumps, "JSONDecodeError": json.JSONDecodeError})
    saved = snapshot.json, json_report.json
    snapshot.json = json_report.json = shim
    try:
        yield
    finally:
        snapshot.json, json_report.json = saved


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
        single = [str(REPO / "examples" / "hgx-h100-healthy.json")]
        for name, paths, repeat in ((f"{args.nodes} snapshots + JSON report", fleet, 1),
                                    ("1 snapshot + JSON report, x200", single, 200)):
            times: dict[str, list[float]] = {p.name: [] for p in found}
            for _ in range(args.rounds):
                for each in found:
                    with parser_in_place(each):
                        times[each.name].append(sum(once(paths, site if len(paths) > 1 else None)
                                                    for _ in range(repeat)))
            base = statistics.median(times[Stdlib.name])
            print(f"  {name}: {Stdlib.name} {base:.2f} s (median of {args.rounds})")
            for each in found[1:]:
                ours = statistics.median(times[each.name])
                speedup = base / ours
                print(f"    {each.name}: {ours:.2f} s")
                figure(f"{each.name} against json, {name}", speedup, "x as fast", TARGET_SPEEDUP,
                       "kept" if speedup >= TARGET_SPEEDUP else "not kept: the standard library stays", at_least=True)


if __name__ == "__main__":
    main()
