"""The host probe against fake trees, with canned ipmitool output where the BMC is involved."""

from __future__ import annotations

import os
import shutil

import pytest
from probe_fakes import ROOTS, LiveTree, runner

from readycheck.facts import NO_PERMISSION, NOT_FOUND, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.host import parse_inlet_temperature, parse_psus, probe

IPMI_TEMPERATURE = """\
Inlet Temp       | 04h | ok  |  7.1 | 23 degrees C
Exhaust Temp     | 01h | ok  |  7.1 | 35 degrees C
Temp             | 0Eh | ok  |  3.1 | 40 degrees C
"""
# Supermicro style: one status row per supply.
IPMI_PSU_SUPERMICRO = """\
PS1 Status       | C8h | ok  | 10.1 | Presence detected
PS2 Status       | C9h | ok  | 10.2 | Presence detected, Power Supply AC lost
"""
# Dell style: every supply's sensors share names; the entity instance tells them apart.
IPMI_PSU_DELL = """\
Presence         | 54h | ok  | 10.1 | Absent
Status           | 64h | ns  | 10.1 | Disabled
Presence         | 55h | ok  | 10.2 | Present
Status           | 65h | ok  | 10.2 | Presence detected
PS Redundancy    | 77h | ok  |  7.1 | Redundancy Lost
PS2 Input Power  | 78h | ok  | 10.2 | 320 Watts
"""





def host(ctx: ProbeContext) -> dict:
    return probe(ctx)["host"]


def test_hgx_h100_tree():
    facts = host(ProbeContext(root=ROOTS / "hgx-h100"))
    assert facts["hostname"] == "gpu-node-017"
    assert facts["os"] == "Ubuntu 22.04.4 LTS"
    assert facts["kernel"] == "5.15.0-105-generic"
    assert facts["arch"] == "x86_64"  # no kernel/arch file in a 5.15 tree: from the cpuinfo flags
    assert facts["cpu_model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert (facts["cpu_sockets"], facts["cpu_cores"], facts["cpu_threads"]) == (2, 4, 8)
    assert facts["memory_total_mib"] == 2113389788 // 1024
    assert facts["numa_nodes"] == 2
    assert facts["dmi"] == {"sys_vendor": "Supermicro", "product_name": "SYS-821GE-TNHR",
                            "product_serial": "S515281X4A01742", "board_serial": "OM23BS040217",
                            "bios_version": "2.1", "unavailable": {}}
    # hwmon has only coretemp, and ipmitool is not run against a tree.
    assert facts["inlet_temperature_c"] is None
    assert facts["psus"] == []
    assert facts["unavailable"] == {"inlet_temperature_c": "NotLive", "inlet_temperature_source": "NotLive",
                                    "psus": "NotLive"}


def test_bare_vm_tree():
    facts = host(ProbeContext(root=ROOTS / "bare"))
    assert facts["os"] == "Rocky Linux 9.3 (Blue Onyx)"
    assert (facts["cpu_sockets"], facts["cpu_cores"], facts["cpu_threads"]) == (1, 4, 4)
    assert facts["numa_nodes"] == 1
    assert facts["dmi"]["unavailable"]["product_serial"] == NOT_FOUND


def test_empty_tree_gives_nulls_with_reasons(tmp_path):
    facts = host(ProbeContext(root=tmp_path))
    for field in ("hostname", "os", "kernel", "arch", "cpu_threads", "memory_total_mib", "numa_nodes"):
        assert facts[field] is None
        assert facts["unavailable"][field] == NOT_FOUND


def test_serial_needs_root(monkeypatch):
    real_open = os.open

    def deny_serials(path, *args, **kwargs):
        if str(path).endswith("_serial"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny_serials)
    dmi = host(ProbeContext(root=ROOTS / "hgx-h100"))["dmi"]
    assert dmi["product_serial"] is None and dmi["board_serial"] is None
    assert dmi["unavailable"] == {"product_serial": NO_PERMISSION, "board_serial": NO_PERMISSION}
    assert dmi["sys_vendor"] == "Supermicro"


def test_os_release_fallback_and_no_pretty_name(tmp_path):
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("NAME=Debian\nPRETTY_NAME='Debian GNU/Linux 12 (bookworm)'\n")
    assert host(ProbeContext(root=tmp_path))["os"] == "Debian GNU/Linux 12 (bookworm)"
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/os-release").write_text("NAME=Custom\n")
    facts = host(ProbeContext(root=tmp_path))
    assert facts["os"] is None and facts["unavailable"]["os"] == "NotInSource"


def test_topology_from_sysfs_when_cpuinfo_lacks_it(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_text("".join(f"processor\t: {n}\nBogoMIPS\t: 50.00\n\n" for n in range(4)))
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/arch").write_text("aarch64\n")
    for n in range(4):
        topology = tmp_path / f"sys/devices/system/cpu/cpu{n}/topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text(f"{n // 2}\n")
        (topology / "core_id").write_text(f"{n % 2}\n")
    facts = host(ProbeContext(root=tmp_path))
    assert facts["arch"] == "aarch64"
    assert (facts["cpu_sockets"], facts["cpu_cores"], facts["cpu_threads"]) == (2, 4, 4)
    assert facts["cpu_model"] is None and facts["unavailable"]["cpu_model"] == "NotInSource"


def test_inlet_from_hwmon(tmp_path):
    shutil.copytree(ROOTS / "hgx-h100/sys/class/hwmon", tmp_path / "sys/class/hwmon")
    sensor = tmp_path / "sys/class/hwmon/hwmon3"
    sensor.mkdir()
    (sensor / "temp2_label").write_text("Ambient\n")
    (sensor / "temp2_input").write_text("23500\n")
    facts = host(ProbeContext(root=tmp_path))
    assert (facts["inlet_temperature_c"], facts["inlet_temperature_source"]) == (23.5, "hwmon")


def test_inlet_and_psus_from_ipmitool():
    ctx = LiveTree(root=ROOTS / "hgx-h100", run=runner({
        ("ipmitool", "sdr", "type", "Temperature"): IPMI_TEMPERATURE,
        ("ipmitool", "sdr", "type", "Power Supply"): IPMI_PSU_SUPERMICRO,
    }))
    facts = host(ctx)
    assert facts["inlet_temperature_c"] == 23.0
    assert [(p["name"], p["present"], p["ok"]) for p in facts["psus"]] == [("PS1", True, True), ("PS2", True, False)]
    assert facts["inlet_temperature_source"] == "ipmitool"
    assert facts["psus"][0]["capacity_w"] is None and facts["psus"][0]["source"] == "ipmitool"
    assert facts["psus"][0]["unavailable"] == {"health": "NotInSource", "capacity_w": "NotInSource",
                                               "input_voltage_type": "NotInSource"}
    # PS2 "Presence detected, Power Supply AC lost": its line input is down.
    assert [p["line_input_ok"] for p in facts["psus"]] == [True, False]
    assert "psus" not in facts["unavailable"]


def test_missing_ipmitool_is_asked_once():
    calls: list = []
    facts = host(LiveTree(root=ROOTS / "hgx-h100", run=runner({}, calls)))
    assert facts["inlet_temperature_c"] is None and facts["psus"] == []
    assert facts["unavailable"]["inlet_temperature_c"] == NOT_FOUND
    assert facts["unavailable"]["psus"] == NOT_FOUND
    assert calls == [("ipmitool", "sdr", "type", "Temperature")]


def test_ipmi_permission_denied_is_a_reason():
    def run(argv, timeout):
        raise Unreadable(NO_PERMISSION, "ipmitool: Could not open device at /dev/ipmi0: Permission denied")

    facts = host(LiveTree(root=ROOTS / "hgx-h100", run=run))
    assert facts["unavailable"]["inlet_temperature_c"] == NO_PERMISSION
    assert facts["unavailable"]["psus"] == NO_PERMISSION


def test_psus_grouped_by_entity_dell_style():
    psus = parse_psus(IPMI_PSU_DELL)
    assert [(p["name"], p["present"], p["ok"]) for p in psus] == [("PSU 10.1", False, False),
                                                                  ("PSU 10.2", True, True)]


@pytest.mark.parametrize("text, expected", [
    (IPMI_TEMPERATURE, 23.0),
    ("Ambient Temp     | 32h | ok  | 64.1 | 19.5 degrees C\n", 19.5),
    ("Inlet Temp       | 04h | ns  |  7.1 | No Reading\n", None),
    ("CPU1 Temp        | 01h | ok  |  3.1 | 40 degrees C\n", None),
])
def test_parse_inlet_temperature(text, expected):
    assert parse_inlet_temperature(text) == expected
