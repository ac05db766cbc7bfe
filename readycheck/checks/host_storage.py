"""host.storage: the local NVMe drives are all there, at full PCIe link, and the data mounts have room.

Training reads its data from local NVMe (a DGX H100 stripes 8 x 3.84 TB
drives into /raid) or from a shared filesystem. A drive that is missing or
trained at x2 of x4 halves the array's throughput without an error anywhere;
a dataset or scratch mount that is absent or full fails the first job.

- Count: the local NVMe drives (`transport` "nvme") of at least
  `min_nvme_size_tb` must number at least `min_nvme_drives`. Smaller drives
  (the OS boot drives) are not counted and are named when the count is short.
- Link: every local NVMe drive must run at its full PCIe width and generation
  (current equal to maximum): x2 of x4 means a badly seated drive, a bad
  backplane cable or riser. This is judged whatever the pack sets; a drive
  that reports no link (a virtual NVMe device) is `skip`.
- Mounts: each of `mounts` must be mounted, and with `min_free_gib` have that
  much free space (sizes are only read on the live machine: from a snapshot of
  another root they are `unknown`).

Drives or mounts that could not be read are `unknown`, never a pass.

A pack clears an inherited figure with an empty list or 0.
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
    observed = {field.replace("pcie_link_", ""): drive.get(field) for field in LINK_FIELDS}
    if why:
        unsupported = all(lacks(drive, field) for field in LINK_FIELDS if drive.get(field) is None)
        return Finding(ID, SKIP if unsupported else UNKNOWN, name, observed, "full PCIe width and generation", why,
                       "" if unsupported else "read the link by hand (`lspci -vv`: LnkSta against LnkCap)")
    width, width_max = drive["pcie_link_width_current"], drive["pcie_link_width_max"]
    gen, gen_max = drive["pcie_link_gen_current"], drive["pcie_link_gen_max"]
    expected = f"x{width_max} Gen{gen_max}"
    problems = [f"link trained at x{width} of x{width_max}"] if width < width_max else []
    if gen < gen_max:
        problems.append(f"link at Gen{gen} of Gen{gen_max}")
    if problems:
        return Finding(ID, FAIL, name, observed, expected, f"{drive.get('model') or 'NVMe drive'}: "
                       + "; ".join(problems), RESEAT)
    return Finding(ID, PASS, name, observed, expected, f"x{width} Gen{gen}, {_tb(drive['size_bytes'])}"
                   if drive.get("size_bytes") else f"x{width} Gen{gen}")


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
