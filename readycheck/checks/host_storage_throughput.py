"""host.storage_throughput: existing files read back at least as fast as the platform's storage should deliver.

Only judged when the facts hold a storage read test (`readycheck scan
--storage-test PATH [--storage-seconds N] [--storage-max-gib N]`): a bounded
sequential read of files already under PATH, never a write. A slow result on
local NVMe points at a drive at reduced PCIe link (see host.storage), a
degraded RAID, or a filesystem mounted with the wrong options; on a shared
filesystem, at the storage network. The test reads with one stream, and pages
the kernel kept cached make it optimistic: set the expectation for what one
reader gets. A test that read nothing (an empty PATH, unreadable files) is
`unknown`; no test at all is `skip`.

NotSupported and MIG do not apply: the read test times the host's storage.
"""

from __future__ import annotations

from readycheck.checks import Setting
from readycheck.checks.lib.unread import missing
from readycheck.findings import FAIL, PASS, SKIP, UNKNOWN, Finding

ID = "host.storage_throughput"
SETTINGS = {"min_gb_per_s": Setting("float", None, "least sequential read rate in decimal GB/s; unset or 0: reported,"
                                                   " not judged")}


def check(facts, settings):
    test = facts["host"].get("storage_test")
    if test is None:
        yield Finding(ID, SKIP, "host", message="no storage read test in the facts",
                      remedy="run `readycheck scan --storage-test PATH` on a directory of existing data files")
        return
    wanted = settings["min_gb_per_s"] or None
    subject = f"storage:{test.get('path')}"
    rate = test.get("gb_per_s")
    expected = f">= {wanted:g} GB/s" if wanted is not None else None
    size, files, seconds = (test.get(key) for key in ("bytes", "files", "seconds"))  # each may be unread: "?"
    read = (f"{'?' if size is None else format(size / 1e9, '.1f')} GB from {'?' if files is None else files} files "
            f"in {'?' if seconds is None else format(seconds, 'g')} s")
    if rate is None:
        yield Finding(ID, UNKNOWN, subject, None, expected, f"{missing(test, 'gb_per_s')}: {read}",
                      "point --storage-test at a directory holding large readable files")
    elif wanted is None:
        yield Finding(ID, SKIP, subject, rate, None, f"{rate:g} GB/s ({read}); the rule pack sets no 'min_gb_per_s'",
                      f"set [checks.\"{ID}\"] min_gb_per_s in the rule pack to judge it")
    elif rate < wanted:
        yield Finding(ID, FAIL, subject, rate, expected, f"{rate:g} GB/s ({read}), less than {wanted:g} GB/s",
                      "check the drives' PCIe links (host.storage), the RAID state (`cat /proc/mdstat`) and the "
                      "mount options, or the storage network for a shared filesystem")
    else:
        yield Finding(ID, PASS, subject, rate, expected, f"{rate:g} GB/s ({read})")
