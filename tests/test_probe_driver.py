"""The driver-stack probe: /proc driver version, kernel modules, Fabric Manager and persistenced units."""

from __future__ import annotations

import shutil

import pytest
from probe_fakes import ROOTS, LiveTree, runner

from readycheck.facts import NOT_FOUND, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.driver import parse_driver_version, parse_fabricmanager_version, parse_kernel_module_type, probe

SHOW = "--property=LoadState,ActiveState"
FM_SHOW = ("systemctl", "show", "nvidia-fabricmanager", SHOW, "--no-pager")
PD_SHOW = ("systemctl", "show", "nvidia-persistenced", SHOW, "--no-pager")
FM_VERSION = ("nv-fabricmanager", "--version")





def nvidia(ctx: ProbeContext) -> dict:
    return probe(ctx)["nvidia"]


@pytest.mark.parametrize("text, version", [
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
     "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n", "550.54.15"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  "
     "(dvs-builder@U16-I3-B03-4-3)  Tue Feb 13 22:11:19 UTC 2024\n", "550.54.15"),
    ("NVRM version: NVIDIA UNIX aarch64 Kernel Module  535.161.08  Tue Mar  5 22:42:15 UTC 2024\n", "535.161.08"),
])
def test_parse_driver_version(text, version):
    assert parse_driver_version(text) == version


@pytest.mark.parametrize("text, kind", [
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n", "proprietary"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build  "
     "(dvs-builder@U16-I3-B03-4-3)  Tue Feb 13 22:11:19 UTC 2024\n", "open"),
    ("NVRM version: NVIDIA UNIX aarch64 Kernel Module  535.161.08  Tue Mar  5 22:42:15 UTC 2024\n", "proprietary"),
])
def test_the_version_line_says_whether_the_driver_is_the_open_kernel_module(text, kind):
    assert parse_kernel_module_type(text) == kind


def test_the_module_type_is_read_under_a_root_and_unread_without_a_driver():
    assert nvidia(ProbeContext(root=ROOTS / "hgx-h100"))["kernel_module_type"] == "proprietary"
    bare = nvidia(ProbeContext(root=ROOTS / "bare"))
    assert bare["kernel_module_type"] is None and bare["unavailable"]["kernel_module_type"] == NOT_FOUND
    with pytest.raises(Unreadable):
        parse_kernel_module_type("GCC version:  gcc version 12.3.0\n")


def test_parse_driver_version_rejects_other_text():
    with pytest.raises(Unreadable) as exc:
        parse_driver_version("GCC version:  gcc version 12.3.0\n")
    assert exc.value.reason == "NotInSource"


def test_hgx_h100_tree_offline():
    facts = nvidia(ProbeContext(root=ROOTS / "hgx-h100"))
    assert facts["driver_version"] == "550.54.15"
    assert facts["kernel_modules"] == {"nvidia": "550.54.15", "nvidia_uvm": "550.54.15",
                                       "nvidia_modeset": "550.54.15", "nvidia_peermem": "550.54.15",
                                       "nvidia_fs": None, "gdrdrv": None}
    # The unit file is in the tree; whether it runs only the live host can say.
    assert facts["fabricmanager"] == {"installed": True, "active": None, "version": None}
    assert facts["persistenced"] == {"active": None}
    assert facts["unavailable"] == {"fabricmanager.version": "NotLive", "fabricmanager.active": "NotLive",
                                    "persistenced.active": "NotLive"}


def test_bare_tree_has_no_driver():
    facts = nvidia(ProbeContext(root=ROOTS / "bare"))
    assert facts["driver_version"] is None and facts["unavailable"]["driver_version"] == NOT_FOUND
    assert set(facts["kernel_modules"].values()) == {None}
    assert not any(key.startswith("kernel_modules.") for key in facts["unavailable"])  # absent, known
    assert facts["fabricmanager"]["installed"] is False
    assert facts["unavailable"]["fabricmanager.version"] == NOT_FOUND


def test_loaded_module_without_version_file_is_empty_string(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/modules").write_text("gdrdrv 24576 0 - Live 0x0000000000000000 (OE)\n"
                                           "nvidia 54312960 1 gdrdrv, Live 0x0000000000000000 (POE)\n")
    (tmp_path / "sys/module/nvidia").mkdir(parents=True)
    (tmp_path / "sys/module/nvidia/version").write_text("550.54.15\n")
    modules = nvidia(ProbeContext(root=tmp_path))["kernel_modules"]
    assert modules["gdrdrv"] == ""
    assert modules["nvidia"] == "550.54.15"
    assert modules["nvidia_uvm"] is None


def test_unreadable_module_list_gives_reasons(tmp_path):
    (tmp_path / "sys/module/nvidia").mkdir(parents=True)
    (tmp_path / "sys/module/nvidia/version").write_text("550.54.15\n")
    facts = nvidia(ProbeContext(root=tmp_path))
    assert facts["kernel_modules"]["nvidia"] == "550.54.15"
    assert facts["kernel_modules"]["nvidia_uvm"] is None
    assert facts["unavailable"]["kernel_modules.nvidia_uvm"] == NOT_FOUND
    assert "kernel_modules.nvidia" not in facts["unavailable"]


def test_live_units_from_systemctl():
    ctx = LiveTree(root=ROOTS / "hgx-h100", run=runner({
        FM_SHOW: "LoadState=loaded\nActiveState=active\n",
        FM_VERSION: "Fabric Manager version is : 550.54.15\n",
        PD_SHOW: "LoadState=loaded\nActiveState=inactive\n",
    }))
    facts = nvidia(ctx)
    assert facts["fabricmanager"] == {"installed": True, "active": True, "version": "550.54.15"}
    assert facts["persistenced"] == {"active": False}
    assert facts["unavailable"] == {}


def test_unknown_unit_is_not_installed_and_version_not_asked():
    asked = []

    def run(argv, timeout):
        asked.append(argv[0])
        if argv[0] == "systemctl":
            return "LoadState=not-found\nActiveState=inactive\n"
        raise AssertionError(f"unexpected {argv}")

    facts = nvidia(LiveTree(root=ROOTS / "bare", run=run))
    assert facts["fabricmanager"] == {"installed": False, "active": False, "version": None}
    assert facts["unavailable"]["fabricmanager.version"] == NOT_FOUND
    assert asked == ["systemctl", "systemctl"]


def test_no_systemctl_falls_back_to_files():
    facts = nvidia(LiveTree(root=ROOTS / "hgx-h100", run=runner({})))
    assert facts["fabricmanager"] == {"installed": True, "active": None, "version": None}
    assert facts["unavailable"]["fabricmanager.active"] == NOT_FOUND
    assert facts["unavailable"]["fabricmanager.version"] == NOT_FOUND
    assert facts["unavailable"]["persistenced.active"] == NOT_FOUND


def test_unit_file_under_etc_counts_as_installed(tmp_path):
    shutil.copytree(ROOTS / "bare", tmp_path / "root", symlinks=True)
    units = tmp_path / "root/etc/systemd/system"
    units.mkdir(parents=True)
    (units / "nvidia-fabricmanager.service").write_text("[Unit]\n")
    assert nvidia(ProbeContext(root=tmp_path / "root"))["fabricmanager"]["installed"] is True


@pytest.mark.parametrize("text, version", [
    ("Fabric Manager version is : 550.54.15\n", "550.54.15"),
    ("Fabric Manager version is : 535.104.05\nFabric Manager API version is : 1.0\n", "535.104.05"),
])
def test_parse_fabricmanager_version(text, version):
    assert parse_fabricmanager_version(text) == version
