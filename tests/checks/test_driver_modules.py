"""driver.modules on the healthy HGX H100 facts (nvidia, nvidia_uvm, nvidia_modeset, nvidia_peermem at 550.54.15)."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import driver_modules

ID = driver_modules.ID

PACK = "base"


def run(facts, **settings):
    return list(run_check(ID, facts, PACK, **settings))


def with_modules(**modules):
    facts = hgx_h100()
    facts["nvidia"]["kernel_modules"].update(modules)
    return facts


def test_loaded_modules_at_the_driver_version_pass():
    [finding] = run(hgx_h100())
    assert (finding.status, finding.subject) == ("pass", "host")
    assert finding.observed == {"nvidia": "550.54.15", "nvidia_uvm": "550.54.15"}


def test_a_missing_module_fails_naming_it():
    [finding] = run(with_modules(nvidia_uvm=None))
    assert finding.status == "fail" and "nvidia_uvm" in finding.message and "modprobe nvidia_uvm" in finding.remedy


def test_a_stale_module_after_an_upgrade_without_reboot_fails():
    [finding] = run(with_modules(nvidia_uvm="535.161.08"))
    assert finding.status == "fail" and "nvidia_uvm 535.161.08" in finding.message and "reboot" in finding.remedy


def test_modules_with_their_own_versions_are_not_compared():
    facts = with_modules(nvidia_fs="2.17.5", gdrdrv="2.4")
    assert run(facts, expected=["nvidia", "nvidia_fs", "gdrdrv"])[0].status == "pass"


def test_a_loaded_module_without_a_version_passes():
    assert run(with_modules(nvidia_uvm=""))[0].status == "pass"


def test_extra_expected_modules_come_from_the_pack():
    [finding] = run(hgx_h100(), expected=["nvidia", "nvidia_peermem", "nvidia_fs"])
    assert finding.status == "fail" and finding.message.endswith("nvidia_fs")


def test_unreadable_module_state_is_unknown():
    facts = with_modules(nvidia_uvm=None)
    facts["nvidia"]["unavailable"]["kernel_modules.nvidia_uvm"] = "NoPermission"
    [finding] = run(facts)
    assert finding.status == "unknown" and "nvidia_uvm (NoPermission)" in finding.message and finding.remedy


def test_a_module_the_snapshot_did_not_collect_is_unknown_not_missing():
    [finding] = run(hgx_h100(), expected=["nvidia", "nvidia_drm"])
    assert finding.status == "unknown" and "nvidia_drm (not collected)" in finding.message


def rdma(peermem, module_type, kernel, reason="NotInSource"):
    facts = with_modules(nvidia_peermem=peermem)
    facts["nvidia"]["kernel_module_type"] = module_type
    facts["host"]["kernel"] = kernel
    if module_type is None:
        facts["nvidia"]["unavailable"]["kernel_module_type"] = reason
    [finding] = run(facts, gpudirect_rdma=True)
    return finding


def test_gpudirect_rdma_through_nvidia_peermem_passes():
    finding = rdma("550.54.15", "proprietary", "5.4.0-150-generic")
    assert finding.status == "pass" and "through nvidia_peermem" in finding.message


def test_gpudirect_rdma_through_dma_buf_passes_without_peermem():
    # NVIDIA recommends DMA-BUF: the open kernel module on Linux 5.12 or later, no nvidia_peermem.
    finding = rdma(None, "open", "5.15.0-105-generic")
    assert finding.status == "pass" and "DMA-BUF (open kernel module, Linux 5.15.0-105-generic)" in finding.message


def test_no_gpudirect_rdma_path_fails_saying_which_half_is_missing():
    proprietary = rdma(None, "proprietary", "6.8.0-45-generic")
    assert proprietary.status == "fail" and "proprietary kernel module" in proprietary.message
    assert "nvidia-peermem" in proprietary.remedy and "open" in proprietary.remedy
    old_kernel = rdma(None, "open", "5.4.0-150-generic")
    assert old_kernel.status == "fail" and "older than 5.12" in old_kernel.message


def test_an_unread_module_type_without_peermem_is_unknown():
    # Imports: nvidia-smi -q does not say which kernel module the driver is.
    finding = rdma(None, None, "5.15.0-105-generic")
    assert finding.status == "unknown" and "kernel module type (NotInSource)" in finding.message
