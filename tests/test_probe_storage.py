"""The storage probe against fake /sys/block trees and /proc/mounts, with statvfs faked where the host is live."""

from __future__ import annotations

import os
import threading
from types import SimpleNamespace

import pytest
from probe_fakes import ROOTS

from readycheck.facts import NOT_FOUND
from readycheck.probes import ProbeContext, storage
from readycheck.probes.storage import filesystems, link_gen, probe


def host(root) -> dict:
    return probe(ProbeContext(root=root))["host"]


def by_name(facts: dict) -> dict:
    return {drive["name"]: drive for drive in facts["block_devices"]}


def test_hgx_h100_tree_has_eight_data_drives_and_a_boot_drive():
    facts = host(ROOTS / "hgx-h100")
    drives = by_name(facts)
    assert list(drives) == [f"nvme{n}n1" for n in range(9)]
    assert drives["nvme0n1"] == {
        "name": "nvme0n1", "model": "SAMSUNG MZQL23T8HCLS-00A07", "serial": "S64HNE0T500000",
        "size_bytes": 7501476528 * 512, "rotational": False, "transport": "nvme",
        "pcie_link_gen_current": 4, "pcie_link_width_current": 4, "pcie_link_gen_max": 4, "pcie_link_width_max": 4,
        "pcie_link_gen_port_max": 4, "pcie_link_width_port_max": 4, "numa_node": 0, "unavailable": {}}
    assert drives["nvme7n1"]["numa_node"] == 1
    assert drives["nvme8n1"]["size_bytes"] == 3750748848 * 512  # the 1.92 TB boot drive
    assert facts["unavailable"] == {}


def test_real_filesystems_only_and_no_sizes_from_another_root():
    mounts = {fs["mountpoint"]: fs for fs in host(ROOTS / "hgx-h100")["filesystems"]}
    # sysfs, proc, devtmpfs, tmpfs and a Docker overlay are left out; the escaped space is decoded
    assert list(mounts) == ["/", "/boot/efi", "/raid", "/mnt/datasets (ro)"]
    assert mounts["/raid"] == {"mountpoint": "/raid", "device": "/dev/md0", "fstype": "ext4", "size_bytes": None,
                               "free_bytes": None, "unavailable": {"size_bytes": "NotLive", "free_bytes": "NotLive"}}
    assert mounts["/mnt/datasets (ro)"]["fstype"] == "nfs4"


def test_a_drive_trained_down_to_x2_and_a_missing_drive():
    drives = by_name(host(ROOTS / "storage-degraded"))
    assert "nvme5n1" not in drives
    assert (drives["nvme2n1"]["pcie_link_width_current"], drives["nvme2n1"]["pcie_link_width_max"]) == (2, 4)
    # loop0 and md0 have no `device` link, sr0 is removable: none is a drive
    assert sorted(drives) == ["nvme0n1", "nvme1n1", "nvme2n1", "nvme3n1", "nvme4n1", "nvme6n1", "nvme7n1",
                              "nvme8n1", "sda"]


def test_a_sata_drive_has_its_serial_from_vpd_and_no_pcie_link():
    sda = by_name(host(ROOTS / "storage-degraded"))["sda"]
    assert (sda["model"], sda["serial"], sda["transport"], sda["numa_node"]) == \
        ("Micron_5400_MTFD", "2231360ABC", "sata", 0)
    assert sda["pcie_link_width_current"] is None
    assert sda["unavailable"]["pcie_link_width_current"] == "NotSupported"


def _link(path, target):
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_native_multipath_reads_the_subsystem_and_its_controllers_pci_function(tmp_path):
    function = tmp_path / "sys/devices/pci0000:2a/0000:2a:00.0"
    for name, value in (("current_link_speed", "32.0 GT/s PCIe"), ("current_link_width", "4"),
                        ("max_link_speed", "32.0 GT/s PCIe"), ("max_link_width", "4"), ("numa_node", "1")):
        _write(function / name, value + "\n")
    controller = function / "nvme/nvme0"
    _write(controller / "transport", "pcie\n")
    _link(controller / "device", "../../../0000:2a:00.0")
    subsystem = tmp_path / "sys/devices/virtual/nvme-subsystem/nvme-subsys0"
    _write(subsystem / "model", "KIOXIA KCMYXVUG3T84\n")
    _write(subsystem / "serial", "X2K0A01TTLH8\n")
    _link(subsystem / "nvme0", "../../../pci0000:2a/0000:2a:00.0/nvme/nvme0")
    _write(subsystem / "nvme0n1/size", "7501476528\n")
    _write(subsystem / "nvme0n1/queue/rotational", "0\n")
    _link(subsystem / "nvme0n1/device", "../../nvme-subsys0")
    _link(tmp_path / "sys/block/nvme0n1", "../devices/virtual/nvme-subsystem/nvme-subsys0/nvme0n1")
    _write(controller / "nvme0c0n1/size", "7501476528\n")  # the hidden per-path leg
    _link(controller / "nvme0c0n1/device", "../../nvme0")
    _link(tmp_path / "sys/block/nvme0c0n1", "../devices/pci0000:2a/0000:2a:00.0/nvme/nvme0/nvme0c0n1")
    [drive] = host(tmp_path)["block_devices"]
    assert (drive["name"], drive["model"], drive["serial"], drive["transport"]) == \
        ("nvme0n1", "KIOXIA KCMYXVUG3T84", "X2K0A01TTLH8", "nvme")
    assert (drive["pcie_link_gen_current"], drive["pcie_link_width_current"], drive["numa_node"]) == (5, 4, 1)
    # The function hangs off the host bridge itself in this tree: no upstream port to read.
    assert drive["unavailable"]["pcie_link_gen_port_max"] == "NoUpstreamPort"


def test_a_gen5_drive_in_a_gen4_slot_has_both_maxima(tmp_path):
    # The drive's own max_link_speed is Gen5; the root port it hangs off is wired for Gen4, where it trains.
    port = tmp_path / "sys/devices/pci0000:40/0000:40:01.1"
    for name, value in (("max_link_speed", "16.0 GT/s PCIe"), ("max_link_width", "4")):
        _write(port / name, value + "\n")
    function = port / "0000:41:00.0"
    for name, value in (("current_link_speed", "16.0 GT/s PCIe"), ("current_link_width", "4"),
                        ("max_link_speed", "32.0 GT/s PCIe"), ("max_link_width", "4"), ("numa_node", "0")):
        _write(function / name, value + "\n")
    controller = function / "nvme/nvme0"
    _write(controller / "transport", "pcie\n")
    _link(controller / "device", "../../../0000:41:00.0")
    _write(controller / "nvme0n1/size", "7501476528\n")
    _link(controller / "nvme0n1/device", "../../nvme0")
    _link(tmp_path / "sys/block/nvme0n1", "../devices/pci0000:40/0000:40:01.1/0000:41:00.0/nvme/nvme0/nvme0n1")
    [drive] = host(tmp_path)["block_devices"]
    assert {k: drive[k] for k in ("pcie_link_gen_current", "pcie_link_gen_max", "pcie_link_gen_port_max",
                                  "pcie_link_width_port_max")} == \
        {"pcie_link_gen_current": 4, "pcie_link_gen_max": 5, "pcie_link_gen_port_max": 4,
         "pcie_link_width_port_max": 4}


def test_nvme_over_fabrics_has_no_pcie_link(tmp_path):
    controller = tmp_path / "sys/devices/virtual/nvme-fabrics/ctl/nvme0"
    _write(controller / "transport", "tcp\n")
    _write(controller / "nvme0n1/size", "100\n")
    _link(controller / "nvme0n1/device", "../../nvme0")
    _link(tmp_path / "sys/block/nvme0n1", "../devices/virtual/nvme-fabrics/ctl/nvme0/nvme0n1")
    [drive] = host(tmp_path)["block_devices"]
    assert drive["transport"] == "nvme-tcp"
    assert drive["unavailable"]["pcie_link_width_current"] == "NotSupported"
    assert drive["unavailable"]["model"] == NOT_FOUND


def test_no_sys_block_and_no_mounts_are_reasons_not_errors(tmp_path):
    facts = host(tmp_path)
    assert facts["block_devices"] == [] and facts["filesystems"] == []
    assert facts["unavailable"] == {"block_devices": NOT_FOUND, "filesystems": NOT_FOUND}


@pytest.mark.parametrize("speed, gen", [("2.5 GT/s PCIe", 1), ("8 GT/s", 3), ("16.0 GT/s PCIe", 4),
                                        ("32.0 GT/s PCIe", 5), ("64.0 GT/s PCIe", 6)])
def test_link_gen(speed, gen):
    assert link_gen(speed) == gen


def test_an_unknown_link_speed_is_not_a_generation():
    with pytest.raises(Exception, match="not a PCIe generation"):
        link_gen("Unknown")


MOUNTS = "/dev/md0 /raid ext4 rw 0 0\nnfs01:/data /data nfs4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n"


def test_live_sizes_come_from_statvfs():
    def statvfs(path):
        if path == "/data":
            raise PermissionError(13, "Permission denied")
        return SimpleNamespace(f_blocks=1000, f_bavail=250, f_frsize=4096)

    raid, data = filesystems(MOUNTS, live=True, statvfs=statvfs)
    assert (raid["size_bytes"], raid["free_bytes"], raid["unavailable"]) == (4096000, 1024000, {})
    assert data["free_bytes"] is None and data["unavailable"]["free_bytes"] == "NoPermission"


def test_a_hung_network_mount_times_out(monkeypatch):
    monkeypatch.setattr(storage, "STATVFS_TIMEOUT_S", 0.05)
    release = threading.Event()

    def statvfs(path):
        if path == "/data":
            release.wait(5)
        return SimpleNamespace(f_blocks=1, f_bavail=1, f_frsize=1)

    try:
        raid, data = filesystems(MOUNTS, live=True, statvfs=statvfs)
    finally:
        release.set()
    assert raid["free_bytes"] == 1
    assert data["unavailable"] == {"size_bytes": "Timeout", "free_bytes": "Timeout"}
