"""HTML report: one self-contained file a procurement ticket can carry and a browser opens offline.

Inline CSS only: no script, no font, no URL. The page puts the verdict first,
then what needs attention with its remedy, then every check by area (a skipped
check with the reason it was skipped), the inventory procurement asks for
(system, BIOS, memory, PSUs, network interfaces, each GPU, HCA and drive with
serials and firmware), the collection and report times, tool version and rule
pack hash, and pictures: per-GPU temperature and power bars, the GPU topology
matrix, load-phase series when the facts have them, a gauge per rack budget. A
run of several nodes adds a fleet table, a section per rack and, at the end, one
table of every serial number (node, part, serial), still one file.

Colour never carries meaning alone: every badge, bar and matrix cell also says
its status or link in words, and every colour pair meets WCAG AA contrast
(tests/test_report_contrast.py). The page reads on a phone (wide tables scroll
inside their own box, the findings table reflows) and prints: a one-node report
from page 1, rows never split across pages, the topology matrix whole.

A fleet of 1,000 nodes stays under 10 MB whatever the verdicts: values shared
by every GPU (HCA port, drive) of a node are said once above its table, a
topology matrix identical to one already drawn names that node instead, and
load-phase series are drawn for the first `FLEET_SERIES_NODES` nodes whose load
checks did not pass (the JSON report has every sample).

This module only arranges what the engine decided for the template
(`templates/report.html.j2`). Colours come from the findings' statuses: a bar
takes the status of the check that judges its reading (`BAR_CHECKS`), a rack
gauge the status of the findings about its rack, and is neutral when none was
judged. jinja2 autoescapes everything; the template never marks data safe, and
the `code` filter marks up only what backticks delimit in already-escaped text.
jinja2 is imported here, when an HTML report is rendered, never at start-up.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from readycheck.budget import RackBudget
from readycheck.engine import NodeResult, Report
from readycheck.findings import PASS, READY, SKIP, STATUSES, Finding, gpu_subject
from readycheck.report import CODE_SPAN, needs_attention, plain, printable, timestamp
from readycheck.report.perf import view as perf_view
from readycheck.resources import folder

TEMPLATE = "report.html.j2"

# Check id prefix -> the area the report lists it under, in page order; other prefixes follow, titled as they are.
AREAS = {
    "nvml": "Drivers", "driver": "Drivers", "gpu": "GPUs", "health": "GPU health", "thermal": "Thermal",
    "power": "Power", "cooling": "Cooling", "bmc": "BMC", "pcie": "PCIe", "nvlink": "NVLink", "topology": "Topology",
    "ib": "InfiniBand", "net": "Network", "load": "Load", "perf": "Performance", "fleet": "Fleet",
}
# The check that judges each bar's reading, and only that one: thermal.margin judges the temperature
# against its slowdown threshold (thermal.throttle's power brake says nothing about the temperature),
# power.limit the enforced power limit the draw is drawn against.
BAR_CHECKS = {"temperature": ("thermal.margin",), "power": ("power.limit",)}
# nvidia-smi `topo -m` words, nearest first; `NV<n>` is NVLink.
LINK_KINDS = {"NV": "NVLink", "PIX": "one PCIe switch", "PXB": "several PCIe switches",
              "PHB": "PCIe host bridge", "NODE": "within a NUMA node", "SYS": "across NUMA nodes (SMP link)"}
# Inventory columns a node's parts often share; said once above the table when every part has the same value.
GPU_SHARED = (("name", "model", ""), ("board_part_number", "board part number", ""), ("vbios_version", "VBIOS", ""),
              ("inforom_version", "InfoROM", ""), ("memory_total_mib", "memory", "MiB"))
HCA_SHARED = (("hca_type", "model", ""), ("fw_version", "firmware", ""), ("board_id", "board id (PSID)", ""),
              ("state", "state", ""), ("rate_gbps", "rate", "Gb/s"))
DRIVE_SHARED = (("model", "model", ""), ("size_tb", "size", "TB"), ("transport", "transport", ""),
                ("link", "PCIe link", ""), ("numa_node", "NUMA node", ""))
SERIES_POINTS = 120  # load-phase samples drawn per GPU and reading; longer runs are thinned evenly
FLEET_SERIES_NODES = 20  # nodes of a fleet report whose load-phase series are drawn
SERIES_READINGS = (("power_draw_w", "Power draw", "W"), ("temperature_gpu_c", "GPU temperature", "°C"))
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}


def worst(statuses) -> str | None:
    """The worst of some statuses (fail first), or None when there are none."""
    return min(statuses, key=STATUS_RANK.__getitem__, default=None)


def area_of(check_id: str) -> str:
    prefix = check_id.split(".", 1)[0]
    return AREAS.get(prefix, prefix.capitalize())


def checks_by_area(findings: list[Finding]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every check of a node under its area, as rows: a check with findings of several statuses has a row
    of its own (its pass count, then the subjects of each other status); checks that passed on every
    subject share one row, and so do checks skipped on the same subjects for the same reason, which is
    shown (the other statuses' messages are in the attention table)."""
    by_check: dict[str, list[Finding]] = {}
    for item in findings:
        by_check.setdefault(item.check, []).append(item)
    order = list(dict.fromkeys(AREAS.values()))
    areas: dict[str, dict[Any, dict[str, Any]]] = {}
    for check_id, items in by_check.items():
        statuses = {f.status for f in items}
        rows = areas.setdefault(area_of(check_id), {})
        if statuses == {PASS}:
            key: Any = PASS
        elif statuses == {SKIP} and len({f.message for f in items}) == 1:
            key = (SKIP, tuple(f.subject for f in items), items[0].message)
        else:
            key = check_id
        row = rows.setdefault(key, {"checks": [], "status": worst(statuses), "passed": 0, "others": []})
        row["checks"].append(check_id)
        row["passed"] += sum(1 for f in items if f.status == PASS)
        if key == PASS:
            continue
        others: dict[tuple[str, str], list[str]] = {}
        for item in items:
            if item.status != PASS:
                others.setdefault((item.status, item.message if item.status == SKIP else ""), []).append(item.subject)
        row["others"] = [(status, subjects, reason) for (status, reason), subjects
                         in sorted(others.items(), key=lambda pair: STATUS_RANK[pair[0][0]])]
    ranked = sorted(areas.items(), key=lambda pair: (order.index(pair[0]) if pair[0] in order else len(order), pair[0]))
    return [(area, sorted(rows.values(), key=lambda row: STATUS_RANK[row["status"]])) for area, rows in ranked]


def common_checks(report: Report) -> set[str]:
    """In a fleet, the checks that read the same on every node: each finding pass or skip, on the same
    subjects, a skip for the same reason. The report lists them once; each node's section lists the rest."""
    if len(report.nodes) < 2:
        return set()

    def said(node: NodeResult) -> dict[str, Any]:
        by_check: dict[str, list] = {}
        for f in node.decision.findings:
            by_check.setdefault(f.check, []).append((f.status, f.subject, f.message if f.status == SKIP else ""))
        return {check: None if any(status not in (PASS, SKIP) for status, _, _ in items) else items
                for check, items in by_check.items()}

    first = said(report.nodes[0])
    common = {check for check, items in first.items() if items is not None}
    for node in report.nodes[1:]:
        other = said(node)
        common = {check for check in common if other.get(check) == first[check]}
    return common


def bar(value: float | None, limit: float | None, status: str | None) -> dict[str, Any] | None:
    """A reading against its limit as a bar 0-100 wide (full when at or past the limit), with its status
    in words ("not judged" when no check judged it); None when unread."""
    if value is None or not limit:
        return None
    return {"value": value, "limit": limit, "width": round(max(0.0, min(value / limit, 1.0)) * 100),
            "status": status or "none", "word": status or "not judged"}


def shared(items: list[dict[str, Any]], columns) -> tuple[list, list]:
    """Split inventory columns into those every item has alike (said once) and those that vary (a column each).
    An unread value is alike only with the same reason. One item alone keeps every column."""
    def seen(item, key):
        return item.get(key), (item.get("unavailable") or {}).get(key) if item.get(key) is None else None

    alike = [c for c in columns if len(items) > 1 and len({seen(i, c[0]) for i in items}) == 1]
    return alike, [c for c in columns if c not in alike]


def gpu_view(gpu: dict[str, Any], status_of) -> dict[str, Any]:
    subject = gpu_subject(gpu)
    return {
        "gpu": gpu,
        "temperature": bar(gpu.get("temperature_gpu_c"), gpu.get("temperature_slowdown_c"),
                           status_of(subject, BAR_CHECKS["temperature"])),
        "power": bar(gpu.get("power_draw_w"), gpu.get("power_limit_w"), status_of(subject, BAR_CHECKS["power"])),
    }


def link_kind(link: str | None) -> str:
    """The CSS class and legend key of a topology word: `NV` for any NVLink count, else the word."""
    if link and link.startswith("NV"):
        return "NV"
    return link if link in LINK_KINDS else "other"


def topology(facts: dict[str, Any]) -> dict[str, Any] | None:
    """The GPU pair matrix of `facts["topology"]`, both halves filled; None without pairs."""
    pairs = facts.get("topology") or []
    if not pairs:
        return None
    links = {}
    for pair in pairs:
        links[pair["gpu_a"], pair["gpu_b"]] = links[pair["gpu_b"], pair["gpu_a"]] = pair.get("link")
    indices = sorted({i for pair in links for i in pair})
    rows = [[None if a == b else (links.get((a, b)), link_kind(links.get((a, b)))) for b in indices]
            for a in indices]
    kinds = {cell[1] for row in rows for cell in row if cell}
    legend = [(kind, text) for kind, text in LINK_KINDS.items() if kind in kinds]
    return {"indices": indices, "rows": list(zip(indices, rows)),
            "legend": legend + ([("other", "other or unread")] if "other" in kinds else [])}


def series(load: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Load-phase readings over time, one chart per reading, one polyline per GPU, in a 0-300 x 0-100 box."""
    samples = (load or {}).get("samples") or []
    charts = []
    for key, title, unit in SERIES_READINGS:
        points = [(s["t"], s["gpu"], s[key]) for s in samples
                  if all(s.get(field) is not None for field in ("t", "gpu", key))]
        if not points:
            continue
        t_max = max(t for t, _, _ in points) or 1
        top = max(v for _, _, v in points) or 1
        lines = {}
        for t, gpu, value in points:
            lines.setdefault(gpu, []).append(f"{t / t_max * 300:.1f},{100 - value / top * 100:.1f}")
        thinned = {gpu: pts[::math.ceil(len(pts) / SERIES_POINTS)] for gpu, pts in sorted(lines.items())}
        charts.append({"title": title, "unit": unit, "top": top, "seconds": t_max,
                       "lines": [(gpu, " ".join(pts)) for gpu, pts in thinned.items()]})
    return charts


def has_series(load: dict[str, Any] | None) -> bool:
    """Whether `series(load)` draws any chart (a sample with its time, GPU and one of the readings), without
    drawing it: a fleet report asks this of every node and draws the charts of a few."""
    return any(s.get("t") is not None and s.get("gpu") is not None
               and any(s.get(key) is not None for key, _, _ in SERIES_READINGS)
               for s in (load or {}).get("samples") or [])


class Pictures:
    """What a fleet report draws once or a bounded number of times, so its size does not grow with the
    verdicts: each distinct topology matrix once (later nodes with the same links name the first),
    load-phase series for the first FLEET_SERIES_NODES nodes whose load checks did not pass, and the --perf
    results of nodes not ready. A one-node report draws everything."""

    def __init__(self, fleet: bool) -> None:
        self.fleet = fleet
        self.matrices: dict[Any, tuple[str, str]] = {}
        self.series_left = FLEET_SERIES_NODES

    def topology(self, facts: dict[str, Any], node: str, anchor: str) -> tuple[dict | None, tuple | None]:
        """(the matrix to draw, or None; the (node, anchor) already drawn with the same links, or None)."""
        matrix = topology(facts)
        if matrix is None or not self.fleet:
            return matrix, None
        key = repr((matrix["indices"], matrix["rows"]))
        if key in self.matrices:
            return None, self.matrices[key]
        self.matrices[key] = (node, anchor)
        return matrix, None

    def series(self, facts: dict[str, Any], findings: list[Finding]) -> tuple[list[dict[str, Any]], bool]:
        """(the charts to draw; whether the node's charts were left out to bound a fleet report's size).
        A fleet's node is drawn only once it is known to be one of the few drawn."""
        load = facts.get("load")
        if not self.fleet:
            return series(load), False
        if not has_series(load):
            return [], False
        if not any(f.check.startswith("load.") and f.status not in (PASS, SKIP) for f in findings):
            return [], True
        if self.series_left == 0:
            return [], True
        self.series_left -= 1
        return series(load), False

    def perf(self, node: NodeResult, facts: dict[str, Any], status_of) -> dict[str, Any] | None:
        """The --perf view to draw (templates/perf.html.j2), or None: a fleet draws it for nodes not ready only."""
        if self.fleet and node.verdict == READY:
            return None
        return perf_view(facts, status_of)


def gauge(fraction: float | None) -> dict[str, Any] | None:
    """End point of a half-circle arc (radius 80 about 100,100) filled to `fraction` of its sweep."""
    if fraction is None:
        return None
    shown = max(0.0, min(fraction, 1.0))
    angle = math.pi * shown
    return {"x": round(100 - 80 * math.cos(angle), 1), "y": round(100 - 80 * math.sin(angle), 1),
            "percent": "over budget" if math.isinf(fraction) else f"{fraction * 100:.0f}%"}


def drive_view(drive: dict[str, Any]) -> dict[str, Any]:
    """A drive's row: its size in decimal TB, as drives are sold, and its PCIe link ("x2 Gen4 of x4 Gen4"
    when short), read values beside the drive's own fields (an unread one keeps its reason)."""
    size = drive.get("size_bytes")
    width, gen = drive.get("pcie_link_width_current"), drive.get("pcie_link_gen_current")
    width_max, gen_max = drive.get("pcie_link_width_max"), drive.get("pcie_link_gen_max")
    link = None if width is None or gen is None else f"x{width} Gen{gen}"
    if link and (width_max, gen_max) not in ((width, gen), (None, None)):
        link += f" of x{width_max} Gen{gen_max}"
    why = drive.get("unavailable") or {}
    return {**drive, "size_tb": None if size is None else f"{size / 1e12:.2f}", "link": link,
            "unavailable": {**why, "size_tb": why.get("size_bytes"),
                            "link": why.get("pcie_link_width_current") or why.get("pcie_link_gen_current")}}


def serials(facts: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every serial number of a node as (part, {"serial": value, "unavailable": ...}): system, board, each
    GPU, each drive. The facts carry no serial for PSUs or HCAs (an HCA's board id is its PSID, a model)."""
    host = facts.get("host") or {}
    dmi = host.get("dmi") or {}

    def own(obj: dict[str, Any], key: str) -> dict[str, Any]:
        return {"serial": obj.get(key), "unavailable": {"serial": (obj.get("unavailable") or {}).get(key)}}

    parts = [("system", own(dmi, "product_serial")), ("board", own(dmi, "board_serial"))]
    parts += [(gpu_subject(gpu), own(gpu, "serial")) for gpu in facts.get("gpus") or []]
    parts += [(drive.get("name") or "drive", own(drive, "serial")) for drive in host.get("block_devices") or []]
    return parts


def rack_view(rack: RackBudget, findings: list[Finding], anchors: dict[str, str]) -> dict[str, Any]:
    """A rack's budget, its gauge coloured by the worst finding about the rack, and links to its nodes."""
    return {"rack": rack, "gauge": gauge(rack.used_fraction), "status": worst(f.status for f in findings) or "none",
            "attention": needs_attention(findings), "nodes": [(name, anchors.get(name)) for name in rack.nodes]}


def node_view(node: NodeResult, anchor: str, pictures: Pictures, common: set[str]) -> dict[str, Any]:
    """One node's section: what the engine decided about it (its rack's findings included, since they
    decide its verdict too), its inventory and pictures."""
    facts = node.load_facts()
    findings = node.decision.findings
    by_subject: dict[str, list[Finding]] = {}
    for item in findings:
        by_subject.setdefault(item.subject, []).append(item)

    def status_of(subject: str, check_ids: tuple[str, ...]) -> str | None:
        return worst(f.status for f in by_subject.get(subject, ()) if f.check in check_ids)

    host = facts.get("host") or {}
    gpus = facts.get("gpus") or []
    hcas = facts.get("infiniband") or []
    drives = host.get("block_devices") or []
    drive_rows = [drive_view(d) for d in drives]
    matrix, same_as = pictures.topology(facts, node.node, anchor)
    charts, charts_left_out = pictures.series(facts, list(findings))
    return {
        "node": node, "anchor": anchor, "facts": facts, "host": host,
        "dmi": host.get("dmi") or {}, "nvidia": facts.get("nvidia") or {},
        "attention": needs_attention(findings),
        "areas": checks_by_area([f for f in findings if f.check not in common]),
        "gpus": [gpu_view(g, status_of) for g in gpus], "gpu_columns": shared(gpus, GPU_SHARED),
        "hcas": hcas, "hca_columns": shared(hcas, HCA_SHARED),
        "drives": drive_rows, "drive_columns": shared(drive_rows, DRIVE_SHARED),
        "psus": host.get("psus") or [], "nics": facts.get("network_interfaces") or [],
        "memory_gib": None if host.get("memory_total_mib") is None else host["memory_total_mib"] / 1024,
        "topology": matrix, "topology_same_as": same_as, "series": charts, "series_left_out": charts_left_out,
        "order": [f for f in node.findings if f.check == "inventory.match" and f.subject.startswith("order:")],
        "perf": pictures.perf(node, facts, status_of),
    }


def shared_pack(report: Report):
    """In a fleet, the rule pack every node was judged with, chosen for the same reason (said once at the
    top instead of in every node's section), or None."""
    if len(report.nodes) < 2:
        return None
    packs = {(n.pack.name, n.pack.content_hash, tuple(n.pack.chain), n.pack.reason) for n in report.nodes}
    return report.nodes[0].pack if len(packs) == 1 else None


def reading(value: Any) -> Any:
    """A read value as the inventory prints it: a whole float without its `.0` (3300 W, not 3300.0 W)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def code(text: Any):
    """Text with its backtick spans as <code>: escaped first, then only what the escaped text's
    backticks delimit is marked up, so nothing from the facts can become markup."""
    from markupsafe import Markup, escape

    return Markup(CODE_SPAN.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(printable(text)))))


@functools.cache
def template():
    import jinja2
    import markupsafe

    from readycheck.cache import template_bytecode

    templates = folder("templates")
    settings = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "undefined": jinja2.StrictUndefined}
    env = jinja2.Environment(loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text("utf-8")),
                             bytecode_cache=template_bytecode({**settings, "finalize": "printable"}), **settings,
                             finalize=lambda value: value if isinstance(value, markupsafe.Markup) or not isinstance(
                                 value, str) else printable(value))
    env.filters["plain"] = plain
    env.filters["num"] = lambda value: f"{value:g}"
    env.filters["reading"] = reading
    env.filters["code"] = code
    return env.get_template(TEMPLATE)


def render(report: Report) -> str:
    return template().render(**_context(report))


def write(report: Report, stream) -> None:
    """The page written as the template produces it: a fleet's page (140 MB for 10,000 nodes) is never
    held whole, nor the million pieces it is joined from."""
    pieces: list[str] = []
    for piece in template().generate(**_context(report)):
        pieces.append(piece)
        if len(pieces) >= 4096:
            stream.write("".join(pieces))
            pieces.clear()
    stream.write("".join(pieces))


def _context(report: Report) -> dict[str, Any]:
    anchors: dict[str, str] = {}
    for index, node in enumerate(report.nodes):
        anchors.setdefault(node.node, f"node-{index}")
    fleet = len(report.nodes) > 1
    pictures = Pictures(fleet)
    common = common_checks(report)
    serial_rows: list[tuple[str, list[tuple[str, dict[str, Any]]]]] = []

    def views():
        """Node views one at a time (a fleet's facts are unpacked one node at a time, never all at once),
        gathering each node's serials for the fleet's table, which the template writes after the last node."""
        for index, node in enumerate(report.nodes):
            view = node_view(node, f"node-{index}", pictures, common)
            if fleet:
                serial_rows.append((node.node, serials(view["facts"])))
            yield view

    return dict(
        report=report, ready=report.verdict == READY, summary=report.summary(), fleet=fleet,
        generated=timestamp(report.generated_at), shared_pack=shared_pack(report),
        nodes=views(), serials=serial_rows,
        common=checks_by_area([f for f in report.nodes[0].decision.findings if f.check in common]),
        common_count=len(common),
        racks=[rack_view(rack, report.about_rack(rack.name), anchors) for rack in report.racks],
        rack_of={name: rack.name for rack in report.racks for name in rack.nodes},
        statuses=STATUSES, link_kinds=LINK_KINDS, series_nodes=FLEET_SERIES_NODES,
    )
