"""What every registered check promises, tested over all of them at once.

- Its id matches its module (`area.name` lives in `area_name.py`) and its module's `ID`.
- Its documentation starts with the id, and its settings are described by SETTINGS only (the rule-pack
  table `readycheck checks ID` prints is generated from it, so no hand-written paragraph can drift).
- Every default passes its own type.
- An empty snapshot (nothing collected) never makes a check raise.
- Facts in which nothing could be read (every value null with a reason, every probe failed) never
  yield `pass`, under any built-in pack: a check that could not be evaluated is `unknown`, or `skip`
  where the platform has nothing to judge.
"""

from __future__ import annotations

import copy

import pytest
from factsbuilder import hgx_h100, judged_node

from readycheck import checks, rulepack
from readycheck.engine import run_check
from readycheck.facts import empty_snapshot
from readycheck.findings import ERROR, PASS

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
