"""Rule packs: built-in packs load and fit their platform; bad packs fail with the file, check and key named."""

import pytest
from factsbuilder import hgx_h100, judged_node, platform, under_load, with_all_gpus, with_gpu

from readycheck import rulepack
from readycheck.errors import InputError

BUILTIN = ["base", "dgx-a100", "dgx-b200", "dgx-h100", "dgx-h200", "h100-nvl", "h200-nvl", "hgx-a100", "hgx-b200",
           "hgx-h100", "hgx-h20", "hgx-h200", "hgx-h800", "l40s", "rtx4090-workstation"]


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


OEM = "SYS-821GE-TNHR"  # an OEM HGX server's DMI product name
DGX_A100 = "DGXA100 920-23687-2531-001"  # a real DGX A100's `dmidecode -t 1` Product Name


# Real NVML names (the NOTICE'd captures in tests/data/captures/ where one exists), a GPU count and a DMI product
# -> the built-in pack, or base with the reason's words.
@pytest.mark.parametrize("gpu_name, count, product, pack, why", [
    ("NVIDIA H100 80GB HBM3", 8, OEM, "hgx-h100", "is no DGX's"),
    ("NVIDIA H100 80GB HBM3", 8, "DGXH100", "dgx-h100", "DMI product is one of *DGXH100*"),
    ("NVIDIA H100 80GB HBM3", 4, OEM, "base", "'hgx-h100' is for 8 GPUs, the node has 4"),
    ("NVIDIA H100 PCIe", 8, OEM, "base", "H100 PCIe (H100, PCIe cards)"),
    ("NVIDIA H100 NVL", 2, OEM, "h100-nvl", "PCIe cards paired by NVLink bridges"),
    ("NVIDIA H800", 8, OEM, "hgx-h800", "built-in pack 'hgx-h800'"),
    ("NVIDIA H20", 8, OEM, "hgx-h20", "built-in pack 'hgx-h20'"),
    ("NVIDIA H200", 8, OEM, "hgx-h200", "is no DGX's"),
    ("NVIDIA H200", 8, "DGXH200", "dgx-h200", "*DGXH200*"),
    ("NVIDIA H200 NVL", 4, OEM, "h200-nvl", "built-in pack 'h200-nvl'"),
    ("NVIDIA GH200 480GB", 1, "P3880", "base", "(GH200, Grace superchip (GPU on NVLink-C2C))"),
    ("NVIDIA GB200", 4, "P4975", "base", "GB200 (GB200, Grace superchip"),
    ("NVIDIA B200", 8, OEM, "hgx-b200", "is no DGX's"),
    ("NVIDIA B200", 8, "DGXB200", "dgx-b200", "*DGXB200*"),
    ("NVIDIA A100-SXM4-40GB", 8, OEM, "hgx-a100", "is no DGX's"),
    ("NVIDIA A100-SXM4-80GB", 8, DGX_A100, "dgx-a100", "*DGXA100*"),
    ("A100-SXM4-40GB", 8, DGX_A100, "dgx-a100", "*DGXA100*"),  # driver 450 named it without "NVIDIA "
    ("NVIDIA A100-PCIE-40GB", 8, OEM, "base", "(A100, PCIe cards)"),
    ("NVIDIA A100 80GB PCIe", 8, OEM, "base", "(A100, PCIe cards)"),
    ("NVIDIA L40S", 8, OEM, "l40s", "built-in pack 'l40s'"),
    ("NVIDIA L40", 8, OEM, "base", "L40 (L40, PCIe cards)"),
    ("NVIDIA GeForce RTX 4090", 4, "X670E", "rtx4090-workstation", "built-in pack 'rtx4090-workstation'"),
    ("NVIDIA GeForce RTX 4090", 8, OEM, "base", "'rtx4090-workstation' is for 4 GPUs, the node has 8"),
    ("NVIDIA GeForce RTX 5090", 1, "X870E", "base", "GeForce RTX 5090 (RTX 5090, PCIe cards)"),
    ("NVIDIA RTX 6000 Ada Generation", 4, OEM, "base", "(RTX 6000 Ada, PCIe cards)"),
    ("Tesla T4", 1, OEM, "base", "a model readycheck does not know"),
    ("NVIDIA GB300 NVL", 4, "P4975", "base", "a model readycheck does not know"),
])
def test_pack_is_chosen_by_platform_and_says_why(gpu_name, count, product, pack, why):
    snapshot = with_all_gpus(hgx_h100(gpus=count), name=gpu_name)
    snapshot["host"]["dmi"]["product_name"] = product
    chosen = rulepack.choose(snapshot)
    assert chosen.name == pack, chosen.reason
    assert gpu_name in chosen.reason and why in chosen.reason, chosen.reason
    if pack == "base":
        assert "judged against the generic 'base' pack" in chosen.reason
        assert "no built-in pack is for this platform" in chosen.reason or "GPUs, the node has" in chosen.reason


def test_every_platform_pack_is_chosen_for_its_own_healthy_node_and_no_other_fits_it():
    for name in BUILTIN[1:]:
        snapshot = platform(name)
        fits = rulepack.platform_of(snapshot)
        assert rulepack.choose_for(fits).name == name, (name, rulepack.choose_for(fits).reason)


def test_a_node_that_mixes_models_gets_base():
    snapshot = with_gpu(hgx_h100(), 3, name="NVIDIA H100 PCIe")
    chosen = rulepack.choose(snapshot)
    assert chosen.name == "base" and "mixes GPU models" in chosen.reason


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
    assert pack.checks["power.limit"]["allowed_default_w"] == [700.0]


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
    ('[checks."ib.ports"]\nexclude_link_layers = []\n',
     r"unknown key 'exclude_link_layers'; it moved to \[platform\] compute_link_layer"),
    ('gpu_models = ["H100"]\n', r"unknown key 'gpu_models'; it moved to gpu.model's `expected`"),
    ('[platform]\ncompute_link_layer = "RoCE"\n',
     r"platform: key 'compute_link_layer' must be 'InfiniBand' or 'Ethernet' or 'any', found 'RoCE'"),
    ('dmi_products = "DGXH100"\n', r"key 'dmi_products' must be a list of DMI product name patterns"),
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


def test_every_figure_a_builtin_pack_sets_names_its_source():
    import sys

    from readycheck import checks
    from readycheck.resources import folder

    tomllib = __import__("tomllib" if sys.version_info >= (3, 11) else "tomli")
    for name in BUILTIN:
        data = tomllib.loads((folder("rules") / f"{name}.toml").read_text())
        sources = data.get("sources", {})
        figures = [("platform", key) for key in data.get("platform", {})]
        figures += [(check, key) for check, table in data.get("checks", {}).items()
                    for key in table if key not in checks.COMMON_KEYS]
        unsourced = [f"{section}.{key}" for section, key in figures if not sources.get(section, {}).get(key)]
        assert not unsourced, f"{name}: figures without a source: {unsourced}"
        assert "dmi_products" not in data or sources.get("dmi_products"), name


def test_a_source_goes_with_its_figure(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('extends = "hgx-h100"\n[sources."gpu.memory"]\nmin_mib = "a datasheet"\n')
    with pytest.raises(InputError, match=r"sources.gpu.memory: key 'min_mib' names no figure this file sets"):
        rulepack.load(str(path))
    path.write_text('extends = "hgx-h100"\n[checks."gpu.memory"]\nmin_mib = 81000\n'
                    '[sources."gpu.memory"]\nmin_mib = "our acceptance contract, section 4"\n')
    pack = rulepack.load(str(path))
    assert pack.set_by["gpu.memory.min_mib"] == (str(path), "our acceptance contract, section 4")
    assert pack.set_by["gpu.count.expected"][0] == "builtin:hgx-h100"  # inherited with the file that set it


def test_packs_name_prints_each_figure_with_the_file_that_set_it_and_its_source():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "readycheck", "packs", "dgx-a100"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    at = lines.index("allowed_default_w = [400.0, 500.0]")
    assert lines[at + 1].startswith("#   builtin:hgx-a100: 400 W: NVIDIA DCGM")
    assert "nvidia-smi-q_4xA100-SXM4-80GB_driver555.42.02_minor-3to6.txt" in lines[at + 1]
    at = lines.index('dmi_products = ["*DGXA100*"]')
    assert lines[at + 1].startswith("#   builtin:dgx-a100: a real DGX A100 reads")


def test_packs_lists_what_each_pack_is_chosen_for():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "readycheck", "packs"], capture_output=True, text=True, timeout=60)
    assert "chosen for: 8 x H100 80GB HBM3 (H100, SXM modules on an NVSwitch baseboard), DMI product *DGXH100*" \
        in done.stdout
    assert "chosen for: H100 NVL (H100, PCIe cards paired by NVLink bridges)" in done.stdout


def test_a_pack_overridden_from_the_command_line_is_made_once():
    """Every node of a fleet judged with --xid-since gets the same pack object, so the engine plans it once."""
    pack, overrides = rulepack.load("base"), (("health.xid", "since", "24h", "--xid-since"),)
    first = rulepack.overridden(pack, overrides)
    assert first.checks["health.xid"]["since"] == "24h" and pack.checks["health.xid"]["since"] != "24h"
    assert rulepack.overridden(pack, overrides) is first
