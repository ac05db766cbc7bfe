"""What every registered check promises, tested over all of them at once.

- Its id matches its module (`area.name` lives in `area_name.py`) and its module's `ID`.
- Its documentation starts with the id, says what it does with NotSupported and with MIG, and its settings
  are described by SETTINGS only (the rule-pack
  table `readycheck checks ID` prints is generated from it, so no hand-written paragraph can drift).
- Every default passes its own type.
- An empty snapshot (nothing collected) never makes a check raise.
- Facts in which nothing could be read (every value null with a reason, every probe failed) never
  yield `pass`, under any built-in pack: a check that could not be evaluated is `unknown`, or `skip`
  where the platform has nothing to judge.
- NotSupported on a field a check reads, on a feature the pack says its platform has
  (readycheck.checks.lib.expects), never yields `pass` or `skip` for that GPU: the fields are found by
  recording what each check reads from the facts, so a new check or a new field is covered unasked.
"""

from __future__ import annotations

import copy

import pytest
from factsbuilder import hgx_h100, judged_node, platform, under_load, with_all_gpus

from readycheck import checks, rulepack
from readycheck.checks.lib import expects
from readycheck.engine import run_check
from readycheck.facts import NOT_SUPPORTED, empty_snapshot
from readycheck.findings import ERROR, PASS, SKIP, Finding

IDS = checks.all_ids()
PROBES = ("nvml", "host", "driver", "infiniband", "network", "xid", "storage")


@pytest.mark.parametrize("check_id", IDS)
def test_id_module_and_documentation(check_id):
    module = checks.load(check_id)
    assert checks.REGISTRY[check_id] == check_id.replace(".", "_")
    assert module.ID == check_id
    doc = (module.__doc__ or "").strip()
    assert doc.startswith(f"{check_id}: ")
    assert "\nSettings:" not in doc, "settings are documented in SETTINGS; the rule-pack table is generated"
    assert "NotSupported" in doc and "MIG" in doc, "say what the check does with NotSupported and with MIG"
    generated = checks.documentation(check_id)
    for name, setting in module.SETTINGS.items():
        assert f"{name} ({setting.kind})" in generated and setting.doc in generated


@pytest.mark.parametrize("check_id", IDS)
def test_defaults_pass_their_own_types(check_id):
    for name, setting in checks.load(check_id).SETTINGS.items():
        assert setting.default is None or setting.accepts(setting.default), name


def _empty() -> dict:
    return empty_snapshot(collected_at="2026-12-01T00:00:00Z", version="0", source="live")


@pytest.mark.parametrize("pack", rulepack.builtin_names())
def test_an_empty_snapshot_never_makes_a_check_raise(pack):
    resolved = rulepack.load(pack)
    for check_id in resolved.enabled():
        if getattr(checks.load(check_id), "SCOPE", "node") == "fleet":
            continue
        found = run_check(check_id, _empty(), resolved.checks[check_id], "n1")
        assert not [f for f in found if f.status == ERROR], (check_id, found)


def _nothing_read(facts: dict, reason: str = "Timeout") -> dict:
    """Every scalar of every object null with `reason`; lists of values emptied; every probe failed."""
    def blank(obj: dict) -> None:
        unavailable = obj.setdefault("unavailable", {})
        for key, value in list(obj.items()):
            if key == "unavailable" or key == "index":
                continue
            if isinstance(value, dict):
                obj[key] = None
                unavailable[key] = reason
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                for item in value:
                    blank(item)
            else:
                obj[key] = None
                unavailable[key] = reason

    facts = copy.deepcopy(facts)
    blank(facts["host"])
    blank(facts["nvidia"])
    facts["nvidia"]["nvml_available"] = False
    facts["nvidia"]["kernel_modules"] = {}
    facts["nvidia"]["fabricmanager"] = {"installed": None, "active": None, "version": None}
    facts["nvidia"]["persistenced"] = {"active": None}
    for gpu in facts["gpus"]:
        blank(gpu)
    for port in facts["infiniband"]:
        blank(port)
        port["device"], port["port"] = port["unavailable"].pop("device") and "mlx5_x", 1
    for item in facts["network_interfaces"]:
        blank(item)
        item["name"] = "eth-unread"
    facts["topology"] = [{"gpu_a": p["gpu_a"], "gpu_b": p["gpu_b"], "link": None, "unavailable": {"link": reason}}
                         for p in facts["topology"]]
    facts["xid_events"] = []
    facts["probe_errors"] = [{"probe": name, "error": f"{reason}: nothing read"} for name in PROBES]
    return facts


@pytest.mark.parametrize("pack", rulepack.builtin_names())
def test_facts_with_nothing_read_never_pass(pack):
    node = judged_node(_nothing_read(hgx_h100()), rulepack.load(pack))
    passed = [(f.check, f.subject, f.message) for f in node.decision.findings if f.status == PASS]
    assert passed == []
    assert node.verdict == "not-ready"


# ---- NotSupported on a feature the pack expects is never pass or skip --------------------------------------------

SUBJECT = 3  # the GPU whose field reads NotSupported


class _Recording(dict):
    """A facts object that notes every field a check reads from it, as `<scope>.<field>`."""

    def __init__(self, values: dict, scope: str, seen: set):
        super().__init__(values)
        self._scope, self._seen = scope, seen

    def __getitem__(self, key):
        self._seen.add(f"{self._scope}.{key}")
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._seen.add(f"{self._scope}.{key}")
        return super().get(key, default)


def _recorded(facts: dict, seen: set) -> dict:
    """`facts` whose GPUs, NVLinks and load samples note what is read from them."""
    facts = copy.deepcopy(facts)
    gpus = []
    for gpu in facts["gpus"]:
        if isinstance(gpu.get("nvlinks"), list):
            gpu["nvlinks"] = [_Recording(link, "link", seen) for link in gpu["nvlinks"]]
        gpus.append(_Recording(gpu, "gpu", seen))
    facts["gpus"] = gpus
    if facts.get("load"):
        facts["load"]["samples"] = [_Recording(s, "sample", seen) for s in facts["load"]["samples"]]
        for when, counters in facts["load"]["counters"].items():
            for item in counters:
                if isinstance(item.get("nvlinks"), list):
                    item["nvlinks"] = [_Recording(link, "counted_link", seen) for link in item["nvlinks"]]
            facts["load"]["counters"][when] = [_Recording(item, "counters", seen) for item in counters]
    return facts


def _not_supported(facts: dict, read: str) -> dict:
    """`facts` with the field `read` (`gpu.<f>`, `link.<f>`, `sample.<f>`, `counters.<f>`, `counted_link.<f>`)
    NotSupported on GPU `SUBJECT`."""
    scope, field = read.split(".", 1)
    facts = copy.deepcopy(facts)
    gpu = facts["gpus"][SUBJECT]
    counters = [item for items in (facts.get("load") or {}).get("counters", {}).values() for item in items
                if item["gpu"] == SUBJECT]
    if scope == "gpu":
        objects = [gpu]
    elif scope == "link":
        objects = gpu["nvlinks"] or []
    elif scope == "counters":
        objects = counters
    elif scope == "counted_link":
        objects = [link for item in counters for link in item.get("nvlinks") or []]
    else:
        objects = [s for s in facts["load"]["samples"] if s["gpu"] == SUBJECT]
    for obj in objects:
        obj[field] = None
        obj.setdefault("unavailable", {})[field] = NOT_SUPPORTED
    return facts


# A field a check reads only to word a finding about something else, never to judge it.
NOTE_ONLY = {
    ("driver.fabricmanager", "gpu.fabric"): "names GPUs whose registration is not complete; nvlink.fabric judges it",
    ("driver.fabricmanager", "gpu.nvlinks"): "Fabric Manager is judged whenever the pack expects it",
    ("driver.fabricmanager", "link.remote_device_type"): "as gpu.nvlinks",
    ("health.retired_pages", "gpu.remapped_rows"): "shows the GPU remaps rows; health.remapped_rows judges them",
    ("driver.version", "gpu.name"): "names the GPU model in the message",
    ("pcie.replays", "sample.pcie_link_gen_current"): "sets DCGM's limit; unread, DCGM's older 8 a minute applies",
    ("pcie.replays", "sample.pcie_link_width_current"): "as sample.pcie_link_gen_current",
    ("pcie.link", "gpu.name"): "names a Grace superchip, whose PCIe is a side link; any other GPU's link is judged "
                               "as a PCIe GPU's, so an unread name only makes the judgement stricter",
    ("pcie.link", "gpu.pcie_link_gen_current"): "drops at idle to save power (nvidia-smi documentation): reported "
                                                "at idle; the loaded link is judged from the load phase's samples",
}

# A field a check reports, and judges only where the pack sets the setting named (the pack judges nothing then).
REPORTED_UNLESS_SET = {
    ("nvlink.links", "link.version"): "expected_version",
}


def _violations(check_id: str, run, facts: dict, features: frozenset, settings: dict | None = None) -> list[str]:
    """Each field `run(facts)` reads that, NotSupported on GPU `SUBJECT`, gives that GPU (or the host, for a
    check with no per-GPU finding) a `pass` or `skip`, though the platform has the feature behind it."""
    seen: set = set()
    baseline = {f.subject: f.status for f in run(_recorded(facts, seen))}
    found = []
    for read in sorted(seen):
        field = read.split(".", 1)[1]
        feature = expects.feature_of(field)
        if (feature is not None and feature not in features) or field in expects.OPTIONAL_FIELDS \
                or (check_id, read) in NOTE_ONLY or field in ("index", "gpu", "t", "link", "unavailable"):
            continue
        judged_by = REPORTED_UNLESS_SET.get((check_id, read))
        if judged_by and (settings or {}).get(judged_by) is None:
            continue
        findings = run(_not_supported(facts, read))
        about = [f for f in findings if f.subject == f"gpu{SUBJECT}"] or [f for f in findings if f.subject == "host"]
        # A subject the check skipped already (the platform lacks what it judges) has nothing to hide.
        found += [f"{check_id} {read} NotSupported: {f.status} on {f.subject}: {f.message}"
                  for f in about if f.status in (PASS, SKIP) and baseline.get(f.subject) != SKIP]
    return found


@pytest.mark.parametrize("loaded", [False, True], ids=["idle", "under-load"])
@pytest.mark.parametrize("pack", rulepack.builtin_names())
def test_not_supported_on_a_feature_the_pack_expects_never_passes_or_skips(pack, loaded):
    resolved = rulepack.load(pack)
    features = expects.declared(resolved.checks)
    facts = under_load(platform(pack)) if loaded else platform(pack)
    context = {"platform": resolved.platform, "features": features, "site": None, "order": None}
    violations = []
    for check_id in resolved.enabled():
        if getattr(checks.load(check_id), "SCOPE", "node") == "fleet":
            continue

        def run(snapshot, check_id=check_id):
            return run_check(check_id, snapshot, resolved.checks[check_id], "n1", context)

        violations += _violations(check_id, run, facts, features, resolved.checks[check_id])
    assert violations == []


def test_the_not_supported_test_can_fail():
    """A check that skips a GPU whose row remapper reads NotSupported is caught on a pack that says its GPUs
    remap rows, and not on one that does not."""
    def lenient(snapshot):
        gpu = snapshot["gpus"][SUBJECT]
        status = SKIP if gpu.get("remapped_rows") is None else PASS
        return [Finding("fake.rows", status, f"gpu{SUBJECT}", message="lenient")]

    facts = under_load(hgx_h100())
    assert _violations("fake.rows", lenient, facts, frozenset({expects.ROW_REMAPPING})) == [
        "fake.rows gpu.remapped_rows NotSupported: skip on gpu3: lenient"]
    assert _violations("fake.rows", lenient, facts, frozenset()) == []


def test_an_hgx_h100_whose_ecc_remapped_rows_and_fabric_read_not_supported_is_not_ready():
    facts = with_all_gpus(hgx_h100(), ecc_mode_current=None, ecc_mode_pending=None, ecc_errors=None,
                          remapped_rows=None, fabric=None)
    node = judged_node(facts, rulepack.load("hgx-h100"))
    unknown = {(f.check, f.status) for f in node.decision.blocking}
    assert node.verdict == "not-ready"
    assert {("gpu.ecc_mode", "unknown"), ("health.ecc_errors", "unknown"), ("health.remapped_rows", "unknown"),
            ("nvlink.fabric", "unknown")} <= unknown
