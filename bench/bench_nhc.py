"""Times `readycheck scan` and `readycheck slurm-health` against LBNL NHC 1.4.3 on this node.

Run: READYCHECK_BENCH_NHC=DIR python bench/bench_nhc.py [--rounds 15], DIR being NHC 1.4.3 from its public
repository (https://github.com/mej/nhc, tag 1.4.3: `git clone https://github.com/mej/nhc DIR && git -C DIR
checkout 1.4.3`). NHC's `nhc` runs in place (`-D DIR`, so its checks come from DIR/scripts) with `-a` (run
every check) and this configuration, each figure this machine's own so the checks that can pass do:
check_hw_cpuinfo, check_hw_physmem, check_hw_swap, check_fs_mount_rw -f /, check_fs_free / 1%,
check_ps_loadavg, check_hw_eth, check_hw_ib, check_nvsmi_healthmon. On a node without GPUs and InfiniBand
the last two fail, as readycheck's GPU checks do, and NHC then marks the node offline through its helper.

Both talk to Slurm the way they do under slurmd: NHC (told NHC_RM=slurm) runs its node-mark helpers
(sinfo, then scontrol), readycheck slurm-health runs `scontrol show node` and `scontrol update`. So that no
real cluster is needed or touched, both get the same stub `scontrol` and `sinfo` (a shell script that
prints an idle node): first on PATH for readycheck, through SLURM_SINFO and SLURM_SCONTROL for NHC's
helpers (NHC resets PATH). `scan` does not talk to Slurm.

Runs alternate (NHC, scan, slurm-health, ...). Figures: medians with the minimum beside them, wall and CPU.
Target: scan and slurm-health each at most 1.5x NHC's wall time.
"""

from __future__ import annotations

import argparse
import os
import socket
import stat
import sys
import tempfile
from pathlib import Path

from timing import environment, figure, interleaved, machine, readycheck_command

TARGET_RATIO = 1.5
STUB = """#!/bin/sh
# A Slurm client that answers like an idle node of a healthy cluster and accepts any update.
case "$(basename "$0") $1" in
    "scontrol show") echo "NodeName=$3 Arch=x86_64 CoresPerSocket=1"; echo "   State=IDLE ThreadsPerCore=1";;
    sinfo*) echo "idle none";;
esac
exit 0
"""


def cpu_counts() -> tuple[int, int, int]:
    """Sockets, cores and threads as NHC's nhc_hw_gather_data counts them from /proc/cpuinfo."""
    sockets, cores, threads = set(), {}, 0
    physical = "0"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            threads += 1
        elif key == "physical id":
            physical = value
            sockets.add(value)
        elif key == "cpu cores":
            cores[physical] = int(value)
    return max(len(sockets), 1), sum(cores.values()) or threads, threads


def configuration() -> str:
    sockets, cores, threads = cpu_counts()
    ethernet = next((p.name for p in sorted(Path("/sys/class/net").iterdir()) if p.name != "lo"), "eth0")
    checks = [f"check_hw_cpuinfo {sockets} {cores} {threads}", "check_hw_physmem 1kB 64TB", "check_hw_swap 0kB 64TB",
              "check_fs_mount_rw -f /", "check_fs_free / 1%", "check_ps_loadavg 10000", f"check_hw_eth {ethernet}",
              "check_hw_ib 400", "check_nvsmi_healthmon"]
    return "".join(f"* || {check}\n" for check in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    nhc = os.environ.get("READYCHECK_BENCH_NHC")
    if not nhc or not (Path(nhc) / "nhc").is_file():
        sys.exit("set READYCHECK_BENCH_NHC to a checkout of NHC 1.4.3: git clone https://github.com/mej/nhc DIR && "
                 "git -C DIR checkout 1.4.3 (run from its repository, nothing is installed)")
    nhc = str(Path(nhc).resolve())
    with tempfile.TemporaryDirectory() as tmp:
        stubs = Path(tmp) / "bin"
        stubs.mkdir()
        for name in ("scontrol", "sinfo"):
            (stubs / name).write_text(STUB)
            (stubs / name).chmod(stat.S_IRWXU)
        conf = Path(tmp) / "nhc.conf"
        conf.write_text(configuration())
        # NHC resets PATH to the system's; its helpers take the clients from SLURM_SINFO and SLURM_SCONTROL.
        env = environment(PATH=f"{stubs}:{os.environ.get('PATH', '')}", XDG_CACHE_HOME=str(Path(tmp) / "cache"),
                          SLURM_SINFO=str(stubs / "sinfo"), SLURM_SCONTROL=str(stubs / "scontrol"))
        helpers = Path(nhc) / "helpers"  # not executable in the repository: run through bash, as installed they are
        commands = {
            "nhc": [f"{nhc}/nhc", "-a", "-D", nhc, "-c", str(conf), "-l", "-", "NHC_RM=slurm",
                    f"ONLINE_NODE='bash {helpers}/node-mark-online'",
                    f"OFFLINE_NODE='bash {helpers}/node-mark-offline'"],
            "scan": [*readycheck_command(), "scan"],
            "slurm-health": [*readycheck_command(), "slurm-health", "--node", socket.gethostname().split(".")[0]],
        }
        runs = interleaved(commands, args.rounds, env, ok=range(256))
    print(f"NHC 1.4.3 against readycheck on this node; {machine()}")
    for name, result in runs.items():
        print(f"  {name:13} {result.describe()}")
    nhc_wall = runs["nhc"].median()
    for name in ("scan", "slurm-health"):
        figure(f"{name} / NHC, wall medians", runs[name].median() / nhc_wall, "x", TARGET_RATIO,
               f"minima {runs[name].best() / runs['nhc'].best():.2f}x; CPU medians "
               f"{runs[name].median('cpu') / runs['nhc'].median('cpu'):.2f}x")


if __name__ == "__main__":
    main()
