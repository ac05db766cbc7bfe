"""Rule packs: built-in packs load and fit their platform; bad packs fail with the file, check and key named."""

import pytest
from factsbuilder import hgx_h100, judged_node, platform, under_load, with_all_gpus

from readycheck import rulepack
from readycheck.errors import InputError

BUILTIN = ["base", "dgx-a100", "hgx-b200", "hgx-h100", "hgx-h20", "hgx-h200", "l40s", "rtx4090-workstation"]


def test_every_builtin_pack_is_listed():
    assert rulepack.builtin_names() == BUILTIN


@pytest.mark.parametrize("loaded", [False, True], ids=["idle", "under-load"])
@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_pack_loads_and_a_healthy_node_of_its_platform_is_ready(name, loaded):
    pack = rulepack.load(name)
    assert pack.chain[0] == f"builtin:{name}" and pack.chain[-1] == "builtin:base"
    result = judged_node(under_load(platform(name)) if loaded else platform(name), pack)
    blocking = [f for f in result.findings if f.blocks_readiness]
    assert result.verdict == "ready", blocking


def test_platform_pack_overrides_base_and_keeps_the_rest():
    pack = rulepack.load("hgx-h200")
    assert pack.chain == ["builtin:hgx-h200", "builtin:hgx-h100", "builtin:base"]
    assert pack.checks["gpu.memory"]["min_mib"] == 140000          # hgx-h200 over hgx-h100
    assert pack.checks["gpu.count"]["expected"] == 8               # from hgx-h100
    assert pack.checks["health.retired_pages"]["max_total"] == 62  # from base
    assert pack.checks["gpu.count"]["required"] is True            # engine default


@pytest.mark.parametrize("gpu_name, pack", [
    ("NVIDIA H100 80GB HBM3", "hgx-h100"), ("NVIDIA H200", "hgx-h200"), ("NVIDIA H20", "hgx-h20"),
    ("NVIDIA A100-SXM4-40GB", "dgx-a100"), ("NVIDIA B200", "hgx-b200"), ("NVIDIA L40S", "l40s"),
    ("NVIDIA GeForce RTX 4090", "rtx4090-workstation"), ("Tesla T4", "base"),
])
def test_pack_is_chosen_from_the_gpu_model_and_says_why(gpu_name, pack):
    chosen = rulepack.choose(with_all_gpus(hgx_h100(gpus=2), name=gpu_name))
    assert chosen.name == pack
    assert gpu_name in chosen.reason


def test_no_gpu_falls_back_to_base_and_says_so():
    chosen = rulepack.choose(hgx_h100(gpus=0))
    assert chosen.name == "base" and "no GPU model" in chosen.reason


def test_site_pack_extends_a_builtin_pack_by_name(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text('description = "DC1"\nextends = "hgx-h100"\n[checks."thermal.margin"]\nmin_margin_c = 15.0\n'
                    '[checks."gpu.mig_mode"]\nenabled = false\n')
    pack = rulepack.load(str(site))
    assert pack.checks["thermal.margin"]["min_margin_c"] == 15.0
    assert "gpu.mig_mode" not in pack.enabled()
    assert pack.checks["power.limit"]["expected_w"] == 700.0


def test_extends_by_relative_path_and_cycles_are_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "./b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "./a.toml"\n')
    with pytest.raises(InputError, match=r"'extends' cycle: .*a.toml -> .*b.toml -> .*a.toml"):
        rulepack.load(str(tmp_path / "a.toml"))


@pytest.mark.parametrize("body, message", [
    ('[checks."gpu.cout"]\nexpected = 8\n', r"pack.toml: check 'gpu.cout': no such check"),
    ('[checks."gpu.count"]\nexpectd = 8\n', r"check 'gpu.count': unknown key 'expectd' \(allowed: expected,"),
    ('[checks."gpu.count"]\nexpected = "8"\n', r"pack.toml: check 'gpu.count': key 'expected' must be int, found '8'"),
    ('[checks."gpu.count"]\nenabled = "yes"\n', r"key 'enabled' must be true or false"),
    ('[checks."gpu.count"]\nseverity = "info"\n', r"key 'severity' must be \"fail\" or \"warn\""),
    ('[checks."gpu.count"\nexpected = 8\n', r"pack.toml: invalid TOML: .*line 1"),
    ('extends = "no-such-pack"\n', r"rule pack 'no-such-pack': no such built-in pack"),
    ('colour = "blue"\n', r"pack.toml: unknown key 'colour'"),
])
def test_bad_pack_is_an_input_error_naming_file_check_and_key(tmp_path, body, message):
    path = tmp_path / "pack.toml"
    path.write_text(body)
    with pytest.raises(InputError, match=message):
        rulepack.load(str(path))


def test_unknown_builtin_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such built-in pack"):
        rulepack.load("hgx-h999")
    with pytest.raises(InputError, match="missing.toml: cannot read rule pack"):
        rulepack.load(str(tmp_path / "missing.toml"))


def test_content_hash_changes_with_the_rules(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('extends = "base"\n')
    first = rulepack.load(str(path)).content_hash
    path.write_text('extends = "base"\n[checks."gpu.count"]\nexpected = 4\n')
    assert rulepack.load(str(path)).content_hash != first
    assert rulepack.load("base").content_hash == rulepack.load("base").content_hash


@pytest.mark.parametrize("body, message", [
    ('[checks."driver.version"]\nmin = "latest"\n',
     r"check 'driver.version': key 'min' must be version, found 'latest'"),
    ('[checks."driver.version"]\nallowed = ["550.", "r570"]\n', r"key 'allowed' must be list\[version\]"),
    ('[checks."driver.cuda"]\nmin = "12.x"\n', r"check 'driver.cuda': key 'min' must be version"),
    ('[checks."thermal.margin"]\nmin_margin_c = nan\n', r"key 'min_margin_c' must be float, found nan"),
    ('[checks."thermal.margin"]\nmin_margin_c = inf\n', r"key 'min_margin_c' must be float, found inf"),
    ('[platform]\nnameplate_max_w = inf\n', r"platform: key 'nameplate_max_w' must be a number of watts"),
])
def test_values_a_check_could_not_compare_are_refused(tmp_path, body, message):
    path = tmp_path / "pack.toml"
    path.write_text('extends = "hgx-h100"\n' + body)
    with pytest.raises(InputError, match=message):
        rulepack.load(str(path))


def test_branch_prefixes_and_versions_are_accepted(tmp_path):
    path = tmp_path / "pack.toml"
    path.write_text('extends = "hgx-h100"\n[checks."driver.version"]\n'
                    'min = "580.65.06"\nallowed = ["580.", "590.44.01"]\n')
    assert rulepack.load(str(path)).checks["driver.version"]["allowed"] == ["580.", "590.44.01"]
