"""HTML report: one self-contained file a procurement ticket can carry and a browser opens offline.

Inline CSS and inline SVG only: no script, no font, no URL. The page puts the
verdict first, then what needs attention with its remedy, then every check by
area, the inventory procurement asks for (system, BIOS, each GPU and HCA with
serials and firmware), the collection time, tool version and rule pack hash,
and pictures: per-GPU temperature and power bars, the GPU topology matrix,
load-phase series when the facts have them, a gauge per rack budget. A run of
several nodes adds a fleet table and a section per rack, still one file; there
the per-GPU pictures are drawn for the nodes that are not ready (a ready node
keeps its checks and inventory), which keeps 1,000 nodes under 10 MB.

This module only arranges what the engine decided for the template
(`templates/report.html.j2`). Colours come from the findings' statuses: a
temperature bar takes the status of the thermal findings about its GPU, a rack
gauge the status of the findings about its rack, and is neutral when none was
judged. jinja2 autoescapes everything; the template never marks data safe.
jinja2 is imported here, when an HTML report is rendered, never at start-up.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from readycheck.budget import RackBudget
from readycheck.engine import NodeResult, Report
from readycheck.findings import READY, STATUSES, Finding, gpu_subject
from readycheck.report import attention_first, plain
from readycheck.report.perf import view as perf_view
from readycheck.resources import folder

TEMPLATE = "report.html.j2"

# Check id prefix -> the area the report lists it under, in page order; other prefixes follow, titled as they are.
AREAS = {
    "nvml": "Drivers", "driver": "Drivers", "gpu": "GPUs", "health": "GPU health", "thermal": "Thermal",
    "power": "Power", "cooling": "Cooling", "bmc": "BMC", "pcie": "PCIe", "nvlink": "NVLink", "topology": "Topology",
    "ib": "InfiniBand", "net": "Network", "load": "Load", "perf": "Performance", "fleet": "Fleet",
}
# Which findings colour a GPU's bars.
BAR_CHECKS = {"temperature": ("thermal.margin", "thermal.throttle"), "power": ("power.limit",)}
# nvidia-smi `topo -m` words, nearest first; `NV<n>` is NVLink.
LINK_KINDS = {"NV": "NVLink", "PIX": "one PCIe switch", "PXB": "several PCIe switches",
              "PHB": "PCIe host bridge", "NODE": "within a NUMA node", "SYS": "across NUMA nodes (SMP link)"}
SERIES_POINTS = 120  # load-phase samples drawn per GPU and reading; longer runs are thinned evenly
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}


def worst(statuses) -> str | None:
    """The worst of some statuses (fail first), or None when there are none."""
    return min(statuses, key=STATUS_RANK.__getitem__, default=None)


def area_of(check_id: str) -> str:
    prefix = check_id.split(".", 1)[0]
    return AREAS.get(prefix, prefix.capitalize())


def checks_by_area(findings: list[Finding], brief: bool = False) -> tuple[list[tuple[str, list[dict]]], int]:
    """Every check of a node, one row each, under its area (worst status, pass count, other subjects),
    and how many checks were left out: `brief` (a ready node of a fleet) leaves out the checks that
    passed on every subject, and the page says how many, so a fleet of thousands stays one small file."""
    by_check: dict[str, list[Finding]] = {}
    for item in findings:
        by_check.setdefault(item.check, []).append(item)
    order = list(dict.fromkeys(AREAS.values()))
    areas: dict[str, list[dict[str, Any]]] = {}
    left_out = 0
    for check_id, items in by_check.items():
        others: dict[str, list[str]] = {}
        for item in items:
            if item.status != "pass":
                others.setdefault(item.status, []).append(item.subject)
        if others == {"skip": ["host"]} and len(items) == 1:
            others = {}  # a check skipped as a whole: the status says it all (and a fleet report stays small)
        status = worst(f.status for f in items)
        if brief and status == "pass":
            left_out += 1
            continue
        areas.setdefault(area_of(check_id), []).append({
            "check": check_id, "status": status,
            "passed": sum(1 for f in items if f.status == "pass"),
            "others": sorted(others.items(), key=lambda pair: STATUS_RANK[pair[0]]),
        })
    rank = {area: i for i, area in enumerate(order)}
    return sorted(areas.items(), key=lambda pair: (rank.get(pair[0], len(order)), pair[0])), left_out


def bar(value: float | None, limit: float | None, status: str | None) -> dict[str, Any] | None:
    """A reading against its limit as a bar 0-100 wide (full when at or past the limit); None when unread."""
    if value is None or not limit:
        return None
    return {"value": value, "limit": limit, "width": round(max(0.0, min(value / limit, 1.0)) * 100, 1),
            "status": status or "none"}


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
    for key, title, unit in (("power_draw_w", "Power draw", "W"), ("temperature_gpu_c", "GPU temperature", "°C")):
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


def gauge(fraction: float | None) -> dict[str, Any] | None:
    """End point of a half-circle arc (radius 80 about 100,100) filled to `fraction` of its sweep."""
    if fraction is None:
        return None
    shown = max(0.0, min(fraction, 1.0))
    angle = math.pi * shown
    return {"x": round(100 - 80 * math.cos(angle), 1), "y": round(100 - 80 * math.sin(angle), 1),
            "percent": "over budget" if math.isinf(fraction) else f"{fraction * 100:.0f}%"}


def drive_view(drive: dict[str, Any]) -> dict[str, Any]:
    """A drive's size in decimal TB, as drives are sold, and its PCIe link ("x2 Gen4 of x4 Gen4" when short)."""
    size = drive.get("size_bytes")
    width, gen = drive.get("pcie_link_width_current"), drive.get("pcie_link_gen_current")
    width_max, gen_max = drive.get("pcie_link_width_max"), drive.get("pcie_link_gen_max")
    link = None if width is None or gen is None else f"x{width} Gen{gen}"
    if link and (width_max, gen_max) not in ((width, gen), (None, None)):
        link += f" of x{width_max} Gen{gen_max}"
    return {"drive": drive, "size_tb": None if size is None else f"{size / 1e12:.2f}", "link": link}


def needs_attention(findings: list[Finding]) -> list[Finding]:
    """Failing, erroring, unknown and warning findings, worst first (skips are listed under every check)."""
    return [f for f in attention_first(findings) if f.status != "skip"]


def rack_view(rack: RackBudget, findings: list[Finding], anchors: dict[str, str]) -> dict[str, Any]:
    """A rack's budget, its gauge coloured by the worst finding about the rack, and links to its nodes."""
    return {"rack": rack, "gauge": gauge(rack.used_fraction), "status": worst(f.status for f in findings) or "none",
            "attention": needs_attention(findings), "nodes": [(name, anchors.get(name)) for name in rack.nodes]}


def node_view(node: NodeResult, anchor: str, fleet: bool) -> dict[str, Any]:
    """One node's section: what the engine decided about it (its rack's findings included, since they
    decide its verdict too), its inventory and pictures."""
    brief = fleet and node.verdict == READY
    facts = node.load_facts()
    findings = node.decision.findings
    by_subject: dict[str, list[Finding]] = {}
    for item in findings:
        by_subject.setdefault(item.subject, []).append(item)

    def status_of(subject: str, check_ids: tuple[str, ...]) -> str | None:
        return worst(f.status for f in by_subject.get(subject, ()) if f.check in check_ids)

    host = facts.get("host") or {}
    areas, all_passed = checks_by_area(findings, brief)
    return {
        "node": node, "anchor": anchor, "pictures": not fleet or node.verdict != READY, "facts": facts, "host": host,
        "dmi": host.get("dmi") or {}, "nvidia": facts.get("nvidia") or {},
        "attention": needs_attention(findings), "areas": areas, "all_passed": all_passed,
        "gpus": [gpu_view(g, status_of) for g in facts.get("gpus") or []],
        "hcas": facts.get("infiniband") or [], "topology": topology(facts), "series": series(facts.get("load")),
        "drives": [drive_view(d) for d in host.get("block_devices") or []],
        "order": [f for f in node.findings if f.check == "inventory.match" and f.subject.startswith("order:")],
        "perf": perf_view(facts, findings),
    }


@functools.cache
def template():
    import jinja2

    from readycheck.cache import template_bytecode

    templates = folder("templates")
    settings = {"autoescape": True, "trim_blocks": True, "lstrip_blocks": True, "undefined": jinja2.StrictUndefined}
    env = jinja2.Environment(loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text("utf-8")),
                             bytecode_cache=template_bytecode(settings), **settings)
    env.filters["plain"] = plain
    env.filters["num"] = lambda value: f"{value:g}"
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
    return dict(
        report=report, ready=report.verdict == READY, summary=report.summary(),
        # A generator: a fleet's facts are unpacked one node at a time, never all at once.
        nodes=(node_view(node, f"node-{index}", len(report.nodes) > 1)
               for index, node in enumerate(report.nodes)),
        racks=[rack_view(rack, report.about_rack(rack.name), anchors) for rack in report.racks],
        rack_of={name: rack.name for rack in report.racks for name in rack.nodes},
        statuses=STATUSES, link_kinds=LINK_KINDS,
    )
