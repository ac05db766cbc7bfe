"""The network-interface probe: sysfs only, so fake trees read like the live host."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import pytest

from readycheck.probes import ProbeContext
from readycheck.probes.network import probe

ROOTS = Path(__file__).parent / "data" / "roots"


def interfaces(root: Path) -> dict[str, dict]:
    return {i["name"]: i for i in probe(ProbeContext(root=root))["network_interfaces"]}


def test_hgx_h100_interfaces():
    found = interfaces(ROOTS / "hgx-h100")
    assert list(found) == ["docker0", "eno1", "eno2"]  # lo is left out
    eno1 = found["eno1"]
    assert (eno1["up"], eno1["speed_mbps"], eno1["mtu"]) == (True, 10000, 9000)
    assert (eno1["driver"], eno1["pci_bus_id"], eno1["numa_node"]) == ("i40e", "0000:8a:00.0", 1)
    assert eno1["unavailable"] == {}
    eno2 = found["eno2"]
    assert eno2["up"] is False
    assert eno2["speed_mbps"] is None and eno2["unavailable"] == {"speed_mbps": "LinkDown"}
    docker = found["docker0"]
    assert (docker["driver"], docker["pci_bus_id"], docker["numa_node"]) == (None, None, None)
    assert docker["unavailable"] == {"speed_mbps": "LinkDown", "driver": "Virtual", "pci_bus_id": "Virtual",
                                     "numa_node": "Virtual"}


def test_virtio_nic_reports_its_pci_function():
    eth0 = interfaces(ROOTS / "bare")["eth0"]
    assert (eth0["driver"], eth0["pci_bus_id"]) == ("virtio_net", "0000:00:03.0")
    assert eth0["numa_node"] is None and eth0["unavailable"]["numa_node"] == "NotReported"
    assert eth0["speed_mbps"] is None and eth0["unavailable"]["speed_mbps"] == "Unknown"


def test_bonding_masters_file_is_not_an_interface(tmp_path):
    shutil.copytree(ROOTS / "hgx-h100", tmp_path / "root", symlinks=True)
    (tmp_path / "root/sys/class/net/bonding_masters").write_text("\n")
    assert "bonding_masters" not in interfaces(tmp_path / "root")


@pytest.mark.parametrize("name, reason", [("eno2", "LinkDown"), ("eno1", "NotSupported")])
def test_speed_einval(monkeypatch, name, reason):
    real_open = os.open

    def einval(path, *args, **kwargs):
        if str(path).endswith(f"{name}/speed"):
            raise OSError(errno.EINVAL, "Invalid argument", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", einval)
    nic = interfaces(ROOTS / "hgx-h100")[name]
    assert nic["speed_mbps"] is None and nic["unavailable"]["speed_mbps"] == reason


def test_no_net_class_is_empty(tmp_path):
    assert interfaces(tmp_path) == {}
