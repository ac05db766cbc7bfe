"""The InfiniBand probe against trees modelled on real ibstat captures (see data/roots/README.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readycheck.facts import NO_PERMISSION, NOT_FOUND, Unreadable
from readycheck.facts.decode import parse_rate_gbps, strip_code
from readycheck.probes import ProbeContext
from readycheck.probes.infiniband import PciPlace, pcie_path, probe
from readycheck.probes.sysfs import natural_key

ROOTS = Path(__file__).parent / "data" / "roots"


def ports(root: Path) -> dict[str, dict]:
    ctx = ProbeContext(root=root)
    found = probe(ctx)["infiniband"]
    assert ctx.errors == []
    return {f"{p['device']}/{p['port']}": p for p in found}


def test_hgx_h100_eight_ndr_ports():
    found = ports(ROOTS / "hgx-h100")
    assert list(found) == ["mlx5_0/1", "mlx5_1/1", "mlx5_4/1", "mlx5_5/1", "mlx5_6/1", "mlx5_7/1",
                           "mlx5_8/1", "mlx5_9/1"]
    for port in found.values():
        assert (port["state"], port["phys_state"], port["rate_gbps"], port["link_layer"]) == \
            ("ACTIVE", "LinkUp", 400, "InfiniBand")
        assert port["fw_version"] == "28.41.1000"
        assert port["hca_type"] == "MT4129"
        assert port["counters"] == {"symbol_error": 0, "link_downed": 0, "link_error_recovery": 0,
                                    "port_rcv_errors": 0}
        assert port["unavailable"] == {"netdev": NOT_FOUND}  # IB without IPoIB has no netdev
    assert found["mlx5_0/1"]["pci_bus_id"] == "0000:1a:00.0"
    assert found["mlx5_0/1"]["numa_node"] == 0
    assert found["mlx5_9/1"]["pci_bus_id"] == "0000:dc:00.0"
    assert found["mlx5_9/1"]["numa_node"] == 1


def test_ib_degraded():
    found = ports(ROOTS / "ib-degraded")
    roce = found["mlx5_1/1"]
    assert (roce["link_layer"], roce["rate_gbps"], roce["netdev"]) == ("Ethernet", 100, "ens10f0np0")
    disabled = found["mlx5_2/1"]
    assert (disabled["state"], disabled["phys_state"], disabled["rate_gbps"]) == ("DOWN", "Disabled", 40)
    assert disabled["netdev"] == "ens10f1np1"  # from the PCI function's net/ directory
    polling = found["mlx5_3/1"]
    assert (polling["state"], polling["phys_state"]) == ("DOWN", "Polling")
    assert polling["counters"]["link_downed"] == 7
    slow = found["mlx5_4/1"]
    assert (slow["state"], slow["rate_gbps"]) == ("ACTIVE", 200)
    assert slow["counters"] == {"symbol_error": 1204, "link_downed": 3, "link_error_recovery": 2,
                                "port_rcv_errors": 0}
    init = found["mlx5_5/1"]
    assert init["state"] == "INIT"
    assert init["numa_node"] is None and init["unavailable"]["numa_node"] == "NotReported"
    assert init["counters"]["port_rcv_errors"] is None
    assert init["unavailable"]["counters.port_rcv_errors"] == NOT_FOUND


def test_no_infiniband_is_an_empty_list_not_an_error():
    assert ports(ROOTS / "bare") == {}


def test_counter_permission_denied(monkeypatch):
    real_open = os.open

    def deny(path, *args, **kwargs):
        if str(path).endswith("counters/symbol_error"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    port = ports(ROOTS / "hgx-h100")["mlx5_0/1"]
    assert port["counters"]["symbol_error"] is None
    assert port["unavailable"]["counters.symbol_error"] == NO_PERMISSION
    assert port["counters"]["link_downed"] == 0


def test_device_link_out_of_the_tree_is_refused(tmp_path):
    shutil.copytree(ROOTS / "hgx-h100/sys/class/infiniband/mlx5_0", tmp_path / "sys/class/infiniband/mlx5_0",
                    symlinks=True)
    link = tmp_path / "sys/class/infiniband/mlx5_0/device"
    link.unlink()
    link.symlink_to("/")  # an absolute link would read the machine running the probe
    port = ports(tmp_path)["mlx5_0/1"]
    assert port["pci_bus_id"] is None and port["numa_node"] is None
    assert port["unavailable"]["pci_bus_id"] == "OutsideRoot"


@pytest.mark.parametrize("text, rate", [
    ("400 Gb/sec (4X NDR)", 400), ("200 Gb/sec (4X HDR)", 200), ("2.5 Gb/sec (1X SDR)", 2.5),
    ("53.125 Gb/sec (1X HDR)", 53.125),
])
def test_parse_rate(text, rate):
    assert parse_rate_gbps(text) == rate


def test_parse_rate_malformed():
    with pytest.raises(Unreadable):
        parse_rate_gbps("fast")


def test_strip_code():
    assert strip_code("4: ACTIVE") == "ACTIVE"
    assert strip_code("5: LinkUp") == "LinkUp"
    assert strip_code("ACTIVE") == "ACTIVE"


def test_devices_sorted_naturally():
    names = ["mlx5_10", "mlx5_2", "mlx5_bond_0", "mlx5_1"]
    assert sorted(names, key=natural_key) == ["mlx5_1", "mlx5_2", "mlx5_10", "mlx5_bond_0"]


def test_hgx_h100_gpu_paths_from_sysfs():
    """Each HCA sits behind one bridge with its GPU (PIX); the other GPUs of its socket are NODE, the rest SYS."""
    found = ports(ROOTS / "hgx-h100")
    node0 = ["00000000:19:00.0", "00000000:3B:00.0", "00000000:4C:00.0", "00000000:5D:00.0"]
    node1 = ["00000000:9B:00.0", "00000000:BB:00.0", "00000000:CB:00.0", "00000000:DB:00.0"]
    assert found["mlx5_0/1"]["gpu_paths"] == {**{bus: "NODE" for bus in node0}, "00000000:19:00.0": "PIX",
                                              **{bus: "SYS" for bus in node1}}
    assert found["mlx5_9/1"]["gpu_paths"] == {**{bus: "SYS" for bus in node0},
                                              **{bus: "NODE" for bus in node1}, "00000000:DB:00.0": "PIX"}
    for name, port in found.items():
        assert list(port["gpu_paths"].values()).count("PIX") == 1, name


def test_gpu_paths_null_without_sys_bus_pci():
    for port in ports(ROOTS / "ib-degraded").values():
        assert port["gpu_paths"] is None and port["unavailable"]["gpu_paths"] == NOT_FOUND


def test_pcie_path_words():
    def place(root, *chain, numa=0):
        return PciPlace(root, chain, numa)
    gpu = place("pci0000:17", "0000:17:01.0", "0000:18:00.0", "0000:19:00.0", "0000:1a:00.0")
    # the same switch: upstream port 18:00.0, a downstream port per device
    assert pcie_path(gpu, place("pci0000:17", "0000:17:01.0", "0000:18:00.0", "0000:19:01.0", "0000:1b:00.0")) == "PIX"
    assert pcie_path(gpu, place("pci0000:17", "0000:17:01.0", "0000:18:00.0", "0000:19:00.0", "0000:1a:00.1")) == "PIX"
    # a second switch below the first
    assert pcie_path(gpu, place("pci0000:17", "0000:17:01.0", "0000:18:00.0", "0000:19:02.0", "0000:1c:00.0",
                                "0000:1d:00.0", "0000:1e:00.0")) == "PXB"
    assert pcie_path(gpu, place("pci0000:17", "0000:17:02.0", "0000:20:00.0")) == "PHB"
    assert pcie_path(gpu, place("pci0000:30", "0000:30:01.0", "0000:31:00.0")) == "NODE"
    assert pcie_path(gpu, place("pci0000:90", "0000:90:01.0", "0000:91:00.0", numa=1)) == "SYS"
    assert pcie_path(gpu, place("pci0000:90", "0000:90:01.0", "0000:91:00.0", numa=None)) is None
    assert pcie_path(place("pci0000:17", "0000:17:02.0", "0000:20:00.0", numa=None), gpu) == "PHB"


def test_gpu_paths_leave_out_unplaced_and_non_gpu_functions(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(ROOTS / "hgx-h100" / "sys", root / "sys", symlinks=True)
    bridge = root / "sys/devices/pci0000:1a/0000:1a:01.0"
    (bridge / "0000:19:00.0/numa_node").write_text("-1\n")  # no affinity: fine on the same root complex
    (root / "sys/devices/pci0000:9c/0000:9c:01.0/0000:9b:00.0/numa_node").write_text("-1\n")
    (root / "sys/devices/pci0000:bc/0000:bc:01.0/0000:bb:00.0/class").write_text("0x040300\n")  # audio
    paths = ports(root)["mlx5_0/1"]["gpu_paths"]
    assert paths["00000000:19:00.0"] == "PIX"
    assert "00000000:9B:00.0" not in paths and "00000000:BB:00.0" not in paths  # unknown NUMA; not a GPU
    assert paths["00000000:CB:00.0"] == "SYS"
