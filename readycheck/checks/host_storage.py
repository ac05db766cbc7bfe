"""host.storage: the local NVMe drives are all there, at full PCIe link, and the data mounts have room.

Training reads its data from local NVMe (a DGX H100 stripes 8 x 3.84 TB
drives into /raid) or from a shared filesystem. A drive that is missing or
trained at x2 of x4 halves the array's throughput without an error anywhere;
a dataset or scratch mount that is absent or full fails the first job.

- Count: the local NVMe drives (`transport` "nvme") of at least
  `min_nvme_size_tb` must number at least `min_nvme_drives`. Smaller drives
  (the OS boot drives) are not counted and are named when the count is short.
- Link: every local NVMe drive must run at the full PCIe width and
  generation its link can reach: the lower of the drive's own maximum and
  its upstream port's (a Gen5 drive in a slot wired for Gen4 runs Gen4 by
  design and passes, saying so). Below that, x2 of x4 means a badly seated
  drive, a bad backplane cable or riser. This is judged whatever the pack
  sets; a drive that reports no link (a virtual NVMe device) is `skip`. A
  drive below its own maximum whose port maximum was not read is `unknown`
  (a snapshot from before the port was read is judged by the drive's own).
- Mounts: each of `mounts` must be mounted, and with `min_free_gib` have that
  much free space (sizes are only read on the live machine: from a snapshot of
  another root they are `unknown`).

Drives or mounts that could not be read are `unknown`, never a pass.

A pack clears an inherited figure with an empty list or 0.

A drive whose link cannot report (every link value NotSupported, as for a drive behind
no PCIe link) is skipped; a link short in what was read fails even when the rest is unread.
MIG does not apply.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.settings import not_configured
from readycheck.checks.lib.unread import lacks, missing, reason
from readycheck.facts.views import nvme_drives
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding, listed

ID = "host.storage"
SETTINGS = {
    "min_nvme_drives": Setting("int", None, "least number of local NVMe drives (of min_nvme_size_tb); unset or 0: not"
                                            " judged"),
    "min_nvme_size_tb": Setting("float", None, "least size, decimal TB, of a drive that counts, e.g. 3.84"),
    "mounts": Setting("list[str]", None, "mount points that must be mounted, e.g. [\"/raid\"]; unset or empty: not "
                                         "judged"),
    "min_free_gib": Setting("float", None, "free space, GiB, each of `mounts` needs"),
}

RESEAT = "reseat the drive in its bay and check its backplane cable (`lspci -vv` LnkSta), then re-run"
LINK_FIELDS = ("pcie_link_width_current", "pcie_link_width_max", "pcie_link_gen_current", "pcie_link_gen_max")
PORT_FIELDS = ("pcie_link_width_port_max", "pcie_link_gen_port_max")
NO_PORT = "NoUpstreamPort"  # the function hangs off the host bridge: its own maximum is the link's
GIB = 1024**3


def check(facts, settings):
    host = facts["host"]
    drives = host.get("block_devices") or []
    unread = reason(host, "block_devices", None) if not drives else None
    nvme = nvme_drives(facts)
    if not settings["min_nvme_drives"] and not settings["mounts"] and not nvme:
        yield not_configured(ID, "min_nvme_drives")
        return
    if settings["min_nvme_drives"]:
        yield _count(nvme, settings["min_nvme_drives"], settings["min_nvme_size_tb"], unread)
    yield from (_link(drive) for drive in nvme)
    for mountpoint in settings["mounts"] or ():
        yield _mount(host, mountpoint, settings["min_free_gib"] or None)


def _tb(size_bytes):
    return f"{size_bytes / 1e12:.2f} TB"


def _count(nvme, wanted, min_tb, unread):
    expected = f">= {wanted} NVMe drives" + (f" of >= {min_tb:g} TB" if min_tb else "")
    if unread:
        return Finding(ID, UNKNOWN, "host", None, expected, f"block devices unavailable ({unread})",
                       "list the drives by hand (`nvme list`, `lsblk`) and re-run readycheck")
    counted = [d for d in nvme if d.get("size_bytes") is not None and d["size_bytes"] >= (min_tb or 0) * 1e12]
    if len(counted) >= wanted:
        return Finding(ID, PASS, "host", len(counted), expected, f"{len(counted)} NVMe drives")
    unsized = [d["name"] for d in nvme if d.get("size_bytes") is None]
    if unsized:
        return Finding(ID, UNKNOWN, "host", len(counted), expected,
                       f"{len(counted)} NVMe drives counted; size unreadable: {listed(unsized)}",
                       "read the drive sizes by hand (`nvme list`) and re-run readycheck")
    smaller = [f"{d['name']} ({_tb(d['size_bytes'])})" for d in nvme if d not in counted]
    return Finding(ID, FAIL, "host", len(counted), expected,
                   f"{len(counted)} NVMe drives" + (f" of >= {min_tb:g} TB" if min_tb else "") +
                   f", the platform has {wanted}" + (f"; not counted: {listed(smaller)}" if smaller else ""),
                   "find the missing drive (`nvme list`, the BMC's drive inventory): reseat or replace it")


def _link(drive):
    name = drive["name"]
    why = missing(drive, *LINK_FIELDS)
    observed = {field.replace("pcie_link_", ""): drive.get(field) for field in LINK_FIELDS + PORT_FIELDS}
    width, gen = drive.get("pcie_link_width_current"), drive.get("pcie_link_gen_current")
    width_max, gen_max = _reachable(drive)
    expected = f"x{width_max or drive.get('pcie_link_width_max')} Gen{gen_max or drive.get('pcie_link_gen_max')}"
    # A link short in what was read is a fault even when the rest of the link is unread.
    problems = [f"link trained at x{width} of x{width_max}"] if None not in (width, width_max) and \
        width < width_max else []
    if None not in (gen, gen_max) and gen < gen_max:
        problems.append(f"link at Gen{gen} of Gen{gen_max}")
    if problems:
        return Finding(ID, FAIL, name, observed, expected, f"{drive.get('model') or 'NVMe drive'}: "
                       + "; ".join(problems) + (f" (also {why})" if why else ""), RESEAT)
    if why:
        unsupported = all(lacks(drive, field) for field in LINK_FIELDS if drive.get(field) is None)
        return Finding(ID, SKIP if unsupported else UNKNOWN, name, observed, "full PCIe width and generation", why,
                       "" if unsupported else "read the link by hand (`lspci -vv`: LnkSta against LnkCap)")
    if width_max is None:  # the port's maximum was not read: only the drive's own can be compared
        if (width, gen) == (drive["pcie_link_width_max"], drive["pcie_link_gen_max"]):
            return Finding(ID, PASS, name, observed, expected, _running(drive))
        return Finding(ID, UNKNOWN, name, observed, expected,
                       f"x{width} Gen{gen}, below the drive's own x{drive['pcie_link_width_max']} "
                       f"Gen{drive['pcie_link_gen_max']}; {missing(drive, *PORT_FIELDS)}, so whether the slot "
                       "allows more is not known", "compare the port's LnkCap with the drive's (`lspci -vv`)")
    capped = [f"{kind} x{drive[f'pcie_link_width_{k}']} Gen{drive[f'pcie_link_gen_{k}']}"
              for kind, k in (("the drive can do", "max"), ("its slot", "port_max"))
              if drive.get(f"pcie_link_gen_{k}") is not None]
    note = f" ({', '.join(capped)})" if (width, gen) != (drive["pcie_link_width_max"], drive["pcie_link_gen_max"]) \
        else ""
    return Finding(ID, PASS, name, observed, expected, _running(drive) + note)


def _reachable(drive):
    """(width, gen) the link can train at: the lower of the drive's and its upstream port's maxima; the
    drive's alone where it has no upstream port, or where the snapshot predates the port's fields (as
    readycheck judged it then); (None, None) when the port's were not read. A maximum not read is None."""
    own = (drive.get("pcie_link_width_max"), drive.get("pcie_link_gen_max"))
    if all(field not in drive or reason(drive, field, None) == NO_PORT for field in PORT_FIELDS):
        return own
    port = (drive.get("pcie_link_width_port_max"), drive.get("pcie_link_gen_port_max"))
    if None in port:
        return None, None
    return tuple(None if mine is None else min(mine, theirs) for mine, theirs in zip(own, port))


def _running(drive):
    link = f"x{drive['pcie_link_width_current']} Gen{drive['pcie_link_gen_current']}"
    return f"{link}, {_tb(drive['size_bytes'])}" if drive.get("size_bytes") else link


def _mount(host, mountpoint, min_free_gib):
    expected = f"mounted, >= {min_free_gib:g} GiB free" if min_free_gib is not None else "mounted"
    found = next((fs for fs in host.get("filesystems") or [] if fs.get("mountpoint") == mountpoint), None)
    if found is None:
        unread = reason(host, "filesystems", None)
        if unread:
            return Finding(ID, UNKNOWN, mountpoint, None, expected, f"filesystems unavailable ({unread})",
                           f"check by hand: `findmnt {mountpoint}`")
        return Finding(ID, FAIL, mountpoint, None, expected, f"{mountpoint} is not mounted",
                       f"mount {mountpoint} (check /etc/fstab, the RAID array or the storage server)")
    observed = {"device": found.get("device"), "fstype": found.get("fstype"), "free_bytes": found.get("free_bytes")}
    if min_free_gib is None:
        return Finding(ID, PASS, mountpoint, observed, expected, f"{found.get('fstype')} from {found.get('device')}")
    if found.get("free_bytes") is None:
        return Finding(ID, UNKNOWN, mountpoint, observed, expected, missing(found, "free_bytes"),
                       f"check the free space by hand: `df -h {mountpoint}`")
    free_gib = found["free_bytes"] / GIB
    if free_gib < min_free_gib:
        return Finding(ID, FAIL, mountpoint, observed, expected,
                       f"{free_gib:.0f} GiB free, less than {min_free_gib:g} GiB",
                       f"free space on {mountpoint} (old datasets, checkpoints) or grow the filesystem")
    return Finding(ID, PASS, mountpoint, observed, expected, f"{free_gib:.0f} GiB free")
