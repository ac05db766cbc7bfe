"""The BMC probe's reading of Redfish resources, SMBIOS type 42 discovery and the --bmc* options, without
a server: the resources are DMTF's public-rackmount1 mockup files (tests/data/redfish/NOTICE.md) answered
by `MockupFiles`. tests/test_bmc_redfish.py runs the same against DMTF's own mockup server."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import struct
import uuid
from pathlib import Path

import pytest
from redfish_mockup import MOCKUP, mockup

from readycheck.errors import InputError
from readycheck.facts import NOT_FOUND, Unreadable
from readycheck.probes import ProbeContext, bmc, smbios
from readycheck.probes.bmc_target import INSTALL_HINT, BmcTarget, from_options, read_credentials


class MockupFiles:
    """A Redfish session answered from a mockup folder (short form: URL path less /redfish/v1 -> folder)."""

    def __init__(self, folder: Path, expand: bool = True):
        self.folder = folder
        self.asked: list[str] = []
        self.root = self.get("/redfish/v1/")
        if not expand:
            self.root.pop("ProtocolFeaturesSupported")

    def get(self, path: str) -> dict:
        """One request: the resource, its collection members inline for `?$expand=.`."""
        self.asked.append(path)
        path, _, query = path.partition("?")
        document = self._file(path)
        if query == "$expand=.":
            document["Members"] = [self._file(m["@odata.id"]) for m in document["Members"]]
        return document

    def _file(self, path: str) -> dict:
        file = self.folder / path[len("/redfish/v1"):].strip("/") / "index.json"
        if not file.is_file():
            raise Unreadable(NOT_FOUND, f"the BMC has no {path} (HTTP 404)")
        return json.loads(file.read_text())


def read(folder: Path, expand: bool = True) -> tuple[dict, dict, MockupFiles]:
    files = MockupFiles(folder, expand)
    host, found = bmc.read_chassis(bmc.Reader(files))
    return host.as_dict(), found.as_dict(), files


def test_public_rackmount1_through_the_newer_schema():
    host, found, _ = read(MOCKUP)
    assert found["chassis"] == "/redfish/v1/Chassis/1U" and found["redfish_version"] == "1.15.0"
    assert found["resources"] == ["PowerSubsystem", "ThermalSubsystem", "EnvironmentMetrics"]
    assert found["error"] is None
    bay1, bay2 = host["psus"]
    # PowerSupplies/Bay1: Status Enabled/Warning, LineInputStatus Normal, PowerCapacityWatts 400.
    assert (bay1["name"], bay1["present"], bay1["ok"], bay1["health"]) == ("Power Supply Bay 1", True, False, "Warning")
    assert (bay1["capacity_w"], bay1["line_input_ok"], bay1["source"]) == (400.0, True, "redfish")
    assert bay1["unavailable"] == {"input_voltage_type": "NotInSource"}
    # PowerSupplies/Bay2: Status {"State": "Absent"} and nothing else.
    assert (bay2["name"], bay2["present"], bay2["ok"], bay2["health"]) == ("Power Supply Bay 2", False, False, None)
    assert host["psu_redundancy"] == [{
        "mode": "Failover", "min_needed": 1, "max_in_group": 2,
        "members": ["Power Supply Bay 1", "Power Supply Bay 2"], "state": "UnavailableOffline", "health": "OK",
        "source": "redfish", "unavailable": {}}]
    # ThermalMetrics TemperatureSummaryCelsius.Intake; EnvironmentMetrics PowerWatts and PowerLimitWatts.SetPoint.
    assert (host["inlet_temperature_c"], host["inlet_temperature_source"]) == (24.8, "redfish")
    assert (host["chassis_power_w"], host["chassis_power_limit_w"], host["chassis_power_source"]) == (
        374.0, 500.0, "redfish")
    assert [(f["name"], f["health"], f["ok"], f["speed_pct"], f["speed_rpm"]) for f in host["fans"]] == [
        ("Fan Bay 1", "OK", True, 45.0, 2200.0), ("Fan Bay 2", "OK", True, 45.0, 2400.0),
        ("Fan for CPU 1", "OK", True, 45.0, None), ("Fan for CPU 2", "OK", True, 45.0, 1490.0)]
    assert host["unavailable"] == {}


def test_only_the_legacy_power_and_thermal_resources(tmp_path):
    host, found, files = read(mockup(tmp_path, "legacy-only"))
    assert found["resources"] == ["Power", "Thermal"]
    [psu] = host["psus"]
    # Power.PowerSupplies[0]: Enabled/Warning, LineInputVoltageType ACWideRange, PowerCapacityWatts 800.
    assert (psu["name"], psu["present"], psu["ok"], psu["health"]) == ("Power Supply Bay", True, False, "Warning")
    assert (psu["capacity_w"], psu["input_voltage_type"]) == (800.0, "ACWideRange")
    assert psu["line_input_ok"] is None and psu["unavailable"]["line_input_ok"] == "NotInSource"
    [group] = host["psu_redundancy"]
    assert (group["mode"], group["min_needed"], group["max_in_group"], group["members"]) == (
        "N+m", 1, 2, ["Power Supply Bay"])
    # Thermal.Temperatures[2] "Chassis Intake Temp" 25; Power.PowerControl[0] 344 W, limit 500 W.
    assert (host["inlet_temperature_c"], host["chassis_power_w"], host["chassis_power_limit_w"]) == (25.0, 344.0, 500.0)
    assert [(f["name"], f["speed_rpm"], f["speed_pct"]) for f in host["fans"]] == [
        ("BaseBoard System Fan", 2100.0, None), ("BaseBoard System Fan Backup", 2050.0, None)]
    assert not any("Subsystem" in path or "Sensors" in path for path in files.asked)


@pytest.mark.parametrize("expand", [True, False])
def test_intake_from_the_sensors_when_there_is_no_thermal_subsystem(tmp_path, expand):
    host, found, files = read(mockup(tmp_path, "hot-intake"), expand=expand)
    assert host["inlet_temperature_c"] == 41.0 and "Sensors" in found["resources"]
    assert found["resources"].index("Sensors") < found["resources"].index("Thermal")  # fans from Thermal
    sensors = [p for p in files.asked if "/Sensors/" in p]
    # Without $expand only the members named like an intake sensor are fetched one by one (AmbientTemp's
    # PhysicalContext is Room: not taken).
    assert sensors == ([] if expand else ["/redfish/v1/Chassis/1U/Sensors/AmbientTemp",
                                          "/redfish/v1/Chassis/1U/Sensors/IntakeTemp"])


def test_a_failed_psu_and_its_lost_input(tmp_path):
    host, _, _ = read(mockup(tmp_path, "failed-psu"))
    bay1, bay2 = host["psus"]
    assert (bay1["ok"], bay1["health"], bay1["line_input_ok"]) == (False, "Critical", False)
    assert (bay2["present"], bay2["ok"], bay2["health"]) == (True, True, "OK")


def test_a_limit_the_bmc_does_not_set_and_a_missing_resource(tmp_path):
    folder = mockup(tmp_path, "healthy")
    metrics = folder / "Chassis/1U/EnvironmentMetrics/index.json"
    document = json.loads(metrics.read_text())
    document["PowerLimitWatts"]["SetPoint"] = None
    metrics.write_text(json.dumps(document))
    (folder / "Chassis/1U/ThermalSubsystem/Fans/index.json").unlink()  # linked, but answers 404
    host, found, _ = read(folder)
    assert host["chassis_power_w"] == 374.0
    assert host["chassis_power_limit_w"] is None and host["unavailable"]["chassis_power_limit_w"] == "NotSet"
    assert host["fans"] == [] and host["unavailable"]["fans"] == "NotFound"
    assert "ThermalSubsystem/Fans" in found["error"]  # a linked resource that is not there is the BMC's fault


def test_a_resource_of_an_odd_shape_spoils_only_its_own_values(tmp_path):
    folder = mockup(tmp_path, "healthy")
    metrics = folder / "Chassis/1U/ThermalSubsystem/ThermalMetrics/index.json"
    metrics.write_text(json.dumps({"TemperatureSummaryCelsius": ["Intake", 24.8]}))
    host, found, _ = read(folder)
    assert host["inlet_temperature_c"] is None and host["unavailable"]["inlet_temperature_c"] == "BmcError"
    assert "unexpected shape (AttributeError)" in found["error"]
    assert [p["ok"] for p in host["psus"]] == [True, True] and host["chassis_power_w"] == 374.0


# SMBIOS type 42 records built here byte by byte to the layout of DMTF DSP0270 (Redfish Host Interface
# Specification) as tianocore/edk2 RedfishPkg/Include/IndustryStandard/RedfishHostInterface.h lays it out;
# no capture of a real one was at hand.
def redfish_over_ip(address: str | None, port: int = 443, hostname: bytes = b"") -> bytes:
    """Redfish-over-IP protocol data: UUID, host IP (DHCP), service IP (static), port, VLAN, hostname."""
    data = uuid.UUID("92384634-2938-2342-8820-489239905423").bytes_le
    data += bytes([0x02, 0x01]) + bytes(16) + bytes(16)  # host: DHCP, IPv4, no address, no mask
    if address is None:
        data += bytes([0x02, 0x00]) + bytes(32)  # service address assigned by DHCP, format unknown
    else:
        ip = ipaddress.ip_address(address)
        data += bytes([0x01, 1 if ip.version == 4 else 2]) + ip.packed.ljust(16, b"\0") + bytes(16)
    return data + struct.pack("<HI", port, 0) + bytes([len(hostname)]) + hostname


def type42(*protocols: tuple[int, bytes], interface: int = 0x40) -> bytes:
    """A type 42 structure: USB network interface v2 descriptor (DSP0270 1.3, 0x11 bytes), then records."""
    device = bytes([0x04, 0x11]) + struct.pack("<HH", 0x046B, 0xFFB3) + bytes([3]) + bytes.fromhex("0a0b0c0d0e0f") \
        + struct.pack("<HH", 1, 0xFFFF)
    body = bytes([interface, len(device)]) + device + bytes([len(protocols)])
    for kind, data in protocols:
        body += bytes([kind, len(data)]) + data
    return bytes([42, 4 + len(body)]) + struct.pack("<H", 0x2A00) + body + b"\0\0"


@pytest.mark.parametrize("raw, urls", [
    (type42((4, redfish_over_ip("169.254.95.118"))), ["https://169.254.95.118"]),
    (type42((4, redfish_over_ip("fe80::1", 8443))), ["https://[fe80::1]:8443"]),
    (type42((4, redfish_over_ip(None, hostname=b"bmc.example\0"))), ["https://bmc.example"]),
    (type42((2, b"\x01\x02"), (4, redfish_over_ip("10.0.0.5")), (4, redfish_over_ip(None))),
     ["https://10.0.0.5", None]),  # an IPMI record first; a DHCP-assigned service with no hostname has no URL
    (type42((4, redfish_over_ip("10.0.0.5")), interface=0x02), []),  # an MCTP interface: no Redfish over IP
])
def test_type42_records(raw, urls):
    assert [service.url for service in smbios.parse_type42(raw)] == urls


@pytest.mark.parametrize("raw", [
    b"\x2a\x05\x00", type42((4, redfish_over_ip("10.0.0.5")))[:60],
    type42((4, redfish_over_ip("10.0.0.5") + b"x")),  # the length says more than the hostname accounts for
    b"\x01" + type42((4, redfish_over_ip("10.0.0.5")))[1:],
])
def test_broken_type42_records_are_unparseable(raw):
    with pytest.raises(Unreadable) as caught:
        smbios.parse_type42(raw)
    assert caught.value.reason == "Unparseable"


def tree_with_type42(tmp_path: Path, raw: bytes) -> Path:
    entry = tmp_path / "sys/firmware/dmi/entries/42-0"
    entry.mkdir(parents=True)
    (entry / "raw").write_bytes(raw)
    (tmp_path / "sys/firmware/dmi/entries/0-0").mkdir()  # the BIOS entry, not a host interface
    return tmp_path


def test_the_host_interface_is_found_under_the_root_and_said_so(tmp_path):
    root = tree_with_type42(tmp_path, type42((4, redfish_over_ip("169.254.95.118"))))
    facts = bmc.probe(ProbeContext(root=root))
    assert facts["bmc"]["url"] == "https://169.254.95.118" and facts["bmc"]["url_source"] == "smbios"
    # Another machine's tree: its BMC is not this machine's to ask.
    assert facts["bmc"]["unavailable"]["chassis"] == "NotLive" and "not read" in facts["bmc"]["error"]
    assert facts["host"]["unavailable"]["psus"] == "NotLive"


def test_without_a_bmc_only_the_bmc_fields_say_why_and_ipmitool_keeps_the_psus(tmp_path):
    facts = bmc.probe(ProbeContext(root=tmp_path))
    assert facts["bmc"]["url"] is None and facts["bmc"]["unavailable"]["url"] == NOT_FOUND
    assert facts["bmc"]["error"] is None
    assert "psus" not in facts["host"] and "inlet_temperature_c" not in facts["host"]
    assert facts["host"]["fans"] == [] and facts["host"]["unavailable"]["fans"] == NOT_FOUND


PASSWORD = "Grep-Me-Pa55word"  # noqa: S105 - a test password chosen to be easy to find in any output


def credentials_file(tmp_path: Path, text: str, mode: int) -> str:
    path = tmp_path / "bmc.env"
    path.write_text(text)
    os.chmod(path, mode)
    return str(path)


def test_credentials_from_a_file_only_its_owner_reads(tmp_path):
    path = credentials_file(tmp_path, f"# BMC\nREADYCHECK_BMC_USER=ops\nREADYCHECK_BMC_PASSWORD=\"{PASSWORD}\"\n",
                            0o600)
    assert read_credentials(path) == ("ops", PASSWORD)
    os.chmod(path, 0o640)
    with pytest.raises(InputError) as caught:
        read_credentials(path)
    assert "mode 0640" in str(caught.value) and "chmod 600" in str(caught.value) and PASSWORD not in str(caught.value)


def test_a_bad_credentials_line_is_named_but_never_shown(tmp_path):
    path = credentials_file(tmp_path, f"READYCHECK_BMC_USER=ops\npassword {PASSWORD}\n", 0o600)
    with pytest.raises(InputError) as caught:
        read_credentials(path)
    assert "line 2" in str(caught.value) and PASSWORD not in str(caught.value)


def test_options(monkeypatch, tmp_path):
    env = {"READYCHECK_BMC_USER": "ops", "READYCHECK_BMC_PASSWORD": PASSWORD}
    target = from_options("https://10.0.0.5/", None, False, None, env)
    assert (target.url, target.user, target.password) == ("https://10.0.0.5", "ops", PASSWORD)
    basic = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    assert PASSWORD not in repr(target) and target.redact(f"ops {PASSWORD} {basic}") == "ops *** ***"
    for url, words in ((f"https://ops:{PASSWORD}@10.0.0.5", "must not carry credentials"),
                       ("10.0.0.5", "http:// or https://"), ("https://10.0.0.5/redfish/v1", "no path")):
        with pytest.raises(InputError) as caught:
            from_options(url, None, False, None, {})
        assert words in str(caught.value) and PASSWORD not in str(caught.value)
    with pytest.raises(InputError, match="contradict"):
        from_options("https://10.0.0.5", str(tmp_path), True, None, {})
    with pytest.raises(InputError, match="both the BMC user and its password"):
        from_options("https://10.0.0.5", None, False, None, {"READYCHECK_BMC_USER": "ops"})
    monkeypatch.setattr("readycheck.probes.bmc_target.library_installed", lambda: False)
    with pytest.raises(InputError) as caught:
        from_options("https://10.0.0.5", None, False, None, {})
    assert str(caught.value) == INSTALL_HINT and "pip install 'readycheck[bmc]'" in INSTALL_HINT
    assert from_options(None, None, False, None, {}) == BmcTarget()  # no --bmc: discovery, library or not
