"""fleet.drift: nodes meant to be identical run the same driver stack and firmware.

A training job runs at the pace of its slowest node and fails on its oddest
one: a node left on an older driver, CUDA or Fabric Manager, a GPU with a
different VBIOS, an HCA with older firmware. Across the snapshots of one run,
nodes judged with the same rule pack are meant to be identical; for each
field, the value most of them share is the reference, and every node that
differs gets a finding naming the field, its value and the majority's.
Driver, CUDA and Fabric Manager differences fail; VBIOS and InfiniBand
firmware differences warn (firmware rollouts are staggered). Where no value
has a majority (two nodes, two versions) every node involved is warned, since
which one is right cannot be told. A value not read on a node (null) is not a
version: that node is `unknown` for it, and the others are compared without it.
With a single snapshot the check is skipped.

NotSupported and MIG: a value not read on a node, for whatever reason, is `unknown` as above.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from readycheck.checks import Setting
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, WARN, Finding

ID = "fleet.drift"
SCOPE = "fleet"
FIELDS = ("driver_version", "cuda_driver_version", "fabricmanager_version", "vbios", "ib_firmware")
SETTINGS = {
    "fields": Setting("list[str]", list(FIELDS), "what must be identical across nodes of one pack"),
    "warn_only": Setting("list[str]", ["vbios", "ib_firmware"], "fields whose drift only warns"),
}
REMEDY = "bring the node to the fleet's version (driver and Fabric Manager together, then reboot) or re-image it"


def validate(settings):
    """A field name the check does not compare (`fields = ["driver"]`) is a mistake in the pack."""
    for key in ("fields", "warn_only"):
        unknown = [name for name in settings[key] if name not in FIELDS]
        if unknown:
            raise ValueError(f"key {key!r} may list {', '.join(FIELDS)}; not {', '.join(map(repr, unknown))}")


def extract(facts):
    """The versions this check compares, so the facts need not stay in memory for a fleet."""
    nvidia = facts["nvidia"]
    vbios = defaultdict(set)
    for gpu in facts["gpus"]:
        vbios[gpu.get("name")].add(gpu.get("vbios_version"))
    firmware = defaultdict(set)
    for port in facts["infiniband"]:
        firmware[port.get("board_id")].add(port.get("fw_version"))
    return {
        "driver_version": nvidia.get("driver_version"),
        "cuda_driver_version": nvidia.get("cuda_driver_version"),
        "fabricmanager_version": (nvidia.get("fabricmanager") or {}).get("version"),
        "vbios": _describe(vbios),
        "ib_firmware": _describe(firmware),
    }


def _describe(groups):
    return "; ".join(f"{key}: {', '.join(sorted(map(str, values)))}" for key, values in sorted(
        groups.items(), key=lambda item: str(item[0]))) or None


def check_fleet(fleet, settings):
    if len(fleet.nodes) < 2:
        for node in fleet.nodes:
            yield Finding(ID, SKIP, "host", node=node.node, message="drift needs two or more snapshots")
        return
    groups = defaultdict(list)
    for node in fleet.nodes:
        groups[node.pack.name].append(node)
    for members in groups.values():
        yield from _judge_group(members, settings)


def _judge_group(members, settings):
    majority, tied = {}, set()
    for name in settings["fields"]:
        ranked = Counter(v for v in (node.extracts[ID][name] for node in members) if v is not None).most_common(2)
        majority[name] = ranked[0][0] if ranked else None
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            tied.add(name)
    for node in members:
        mine = node.extracts[ID]
        unread = [name for name in settings["fields"] if mine[name] is None]
        differ = [name for name in settings["fields"]
                  if mine[name] is not None and (mine[name] != majority[name] or name in tied)]
        if differ:
            # No majority: which node is right cannot be told, so each one is only warned.
            lenient = set(settings["warn_only"]) | tied
            status = WARN if all(name in lenient for name in differ) else FAIL
            words = [f"{name} (no majority)" if name in tied else name for name in differ]
            yield Finding(ID, status, "host", node=node.node, observed={n: mine[n] for n in differ},
                          expected={n: "one value across the nodes" if n in tied else majority[n] for n in differ},
                          message=f"differs from other nodes of pack {node.pack.name}: {', '.join(words)}"
                          + (f"; not read here: {', '.join(unread)}" if unread else ""),
                          remedy=REMEDY)
        elif unread:
            yield Finding(ID, UNKNOWN, "host", node=node.node, observed={n: None for n in unread},
                          message=f"cannot compare {', '.join(unread)}: not read on this node",
                          remedy="re-collect the node as root so its versions are read")
        else:
            yield Finding(ID, PASS, "host", node=node.node, message=f"same as the other {len(members) - 1} nodes")
