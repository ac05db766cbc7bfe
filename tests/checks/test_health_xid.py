"""health.xid on the healthy HGX H100 facts, with kernel-log XID events added."""

from factsbuilder import hgx_h100, run_check

from readycheck.checks import health_xid

ID = health_xid.ID

PACK = "hgx-h100"


def event(xid, pci="0000:19:00"):
    """One kernel-log XID line as the probe records it; 0000:19:00 is gpu0 of the healthy H100 node."""
    return {"xid": xid, "pci_bus_id": pci, "timestamp": "2026-11-27T11:58:02Z",
            "message": f"NVRM: Xid (PCI:{pci}): {xid}, pid=4242, name=python3"}


def run(events=(), probe_errors=(), **settings):
    facts = hgx_h100()
    facts["xid_events"] = list(events)
    facts["probe_errors"] = list(probe_errors)
    return list(run_check(ID, facts, PACK, **settings))


def test_a_clean_kernel_log_passes_on_the_host():
    [finding] = run()
    assert (finding.status, finding.subject) == ("pass", "host")


def test_a_gpu_that_fell_off_the_bus_fails_on_that_gpu():
    [finding] = run([event(79, "0000:3b:00")])
    assert (finding.status, finding.subject, finding.observed) == ("fail", "gpu1", [79])
    assert "fell off the bus" in finding.message and "reboot" in finding.remedy


def test_both_pci_address_formats_map_to_the_gpu():
    [finding] = run([event(48, "00000000:DB:00.0"), event(48, "0000:db:00")])
    assert (finding.subject, finding.status) == ("gpu7", "fail") and "x2" in finding.message


def test_every_fatal_xid_of_a_gpu_is_in_one_finding():
    [finding] = run([event(48), event(79), event(13)])
    assert finding.observed == [13, 48, 79]
    assert "Xid 48" in finding.message and "Xid 79" in finding.message and "not node faults: Xid 13" in finding.message
    assert "Xid 48:" in finding.remedy and "Xid 79:" in finding.remedy


def test_application_xids_never_fail():
    findings = run([event(13), event(31), event(43), event(45, "0000:4c:00")])
    assert {f.status for f in findings} == {"pass"} and [f.subject for f in findings] == ["gpu0", "gpu2"]


def test_xid_92_only_warns():
    [finding] = run([event(92)])
    assert finding.status == "warn" and "single-bit" in finding.message and finding.remedy


def test_an_event_on_an_unknown_address_fails_on_the_host():
    # A GPU that fell off the bus is gone from NVML, so its address matches none that is left.
    [finding] = run([event(79, "0000:aa:00")])
    assert (finding.subject, finding.status) == ("host", "fail")


def test_ignored_xids_are_left_out():
    [finding] = run([event(74)], ignore=[74])
    assert (finding.subject, finding.status) == ("host", "pass") and "1 ignored" in finding.message


def test_a_fatal_xid_outside_the_catalogue_can_be_added():
    [finding] = run([event(31)], fatal=[31])
    assert finding.status == "fail" and "NVIDIA's XID catalog" in finding.remedy


def test_an_unreadable_kernel_log_is_unknown_not_pass():
    denied = {"probe": "xid", "error": "dmesg: read kernel buffer failed: Operation not permitted"}
    [finding] = run(probe_errors=[denied])
    assert (finding.status, finding.subject) == ("unknown", "host")
    assert "Operation not permitted" in finding.message and "root" in finding.remedy


def test_the_default_fatal_list_is_the_catalogue_without_92():
    fatal = health_xid.SETTINGS["fatal"].default
    assert {46, 48, 54, 62, 63, 64, 74, 79, 95, 119, 158} <= set(fatal) and 92 not in fatal
    assert health_xid.SETTINGS["fatal"].accepts(fatal)
