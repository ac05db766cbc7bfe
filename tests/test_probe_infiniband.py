"""The InfiniBand probe against trees modelled on real ibstat captures (see data/roots/README.md)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readycheck.facts import NO_PERMISSION, NOT_FOUND, Unreadable
from readycheck.probes import ProbeContext
from readycheck.probes.infiniband import parse_rate_gbps, probe, strip_code
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
