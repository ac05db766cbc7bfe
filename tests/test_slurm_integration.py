"""`readycheck collect` under srun and `readycheck slurm-health` against a real single-node Slurm.

The cluster is this machine: .ci/slurm-up.sh installs Debian's slurmctld, slurmd, slurm-client and
munge when they are missing, starts them with everything under a temporary folder, and
.ci/slurm-down.sh stops them after the last test here. Under CI (CI=true) a cluster that does not come
up fails the tests with the daemons' logs; elsewhere, where slurm cannot be installed (not root, no
apt-get), the tests are skipped and say why.

The pack a node passes turns the GPU checks off; the pack it fails asks for 4096 GPUs, which no node has
(`gpu.count` fails on a GPU node and is unknown on one without a GPU: either way it blocks), so the tests
hold on any machine.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from readycheck import checks
from readycheck.facts import load_snapshot
from readycheck.slurm import parse_node

REPO = Path(__file__).resolve().parent.parent
CANNOT_INSTALL = 77  # slurm-up.sh: slurm is missing and apt-get cannot install it here
GPU_CHECKS = ("nvml.", "gpu.", "driver.", "health.", "thermal.", "power.", "pcie.", "nvlink.", "topology.",
              "load.")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Slurm daemons need Linux")


class Cluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {**os.environ, "SLURM_CONF": str(folder / "slurm.conf")}
        self.env.pop("SLURMD_NODENAME", None)
        self.node = subprocess.run(["hostname", "-s"], capture_output=True, text=True, check=True).stdout.strip()

    def run(self, *argv, check=True):
        done = subprocess.run([*map(str, argv)], capture_output=True, text=True, env=self.env, timeout=120)
        if check and done.returncode != 0:
            pytest.fail(f"{' '.join(map(str, argv))}: exit {done.returncode}\n{done.stdout}{done.stderr}")
        return done

    def readycheck(self, *args):
        return self.run(sys.executable, "-m", "readycheck", *args, check=False)

    def state(self):
        return parse_node(self.node, self.run("scontrol", "show", "node", self.node).stdout)

    def drain(self, reason):
        self.run("scontrol", "update", f"nodename={self.node}", "state=drain", f"reason={reason}")

    def resume(self):
        if self.state().drained:
            self.run("scontrol", "update", f"nodename={self.node}", "state=resume")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slurm")
    up = subprocess.run(["bash", str(REPO / ".ci" / "slurm-up.sh"), str(folder)], capture_output=True, text=True,
                        timeout=900)
    try:
        if up.returncode == CANNOT_INSTALL and not os.environ.get("CI"):
            pytest.skip(f"no Slurm here: {up.stderr.strip().splitlines()[-1]}")
        if up.returncode != 0:
            pytest.fail(f"the Slurm daemons did not come up (exit {up.returncode}):\n{up.stdout}{up.stderr}")
        yield Cluster(folder)
    finally:
        subprocess.run(["bash", str(REPO / ".ci" / "slurm-down.sh"), str(folder)], timeout=60)


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """(passes, fails): base with the GPU checks off, and the same asking for 4096 GPUs."""
    folder = tmp_path_factory.mktemp("packs")
    off = "".join(f'\n[checks."{cid}"]\nenabled = false\n' for cid in checks.all_ids() if cid.startswith(GPU_CHECKS))
    passes = folder / "passes.toml"
    passes.write_text(f'description = "base without the GPU checks: this machine has no GPU"\n'
                      f'extends = "base"\n{off}')
    fails = folder / "fails.toml"
    fails.write_text('description = "asks for more GPUs than any node has"\nextends = "./passes.toml"\n\n'
                     '[checks."gpu.count"]\nenabled = true\nexpected = 4096\n')
    return passes, fails


@pytest.fixture(scope="module")
def snapshot(cluster):
    """A snapshot written by `readycheck collect` as a Slurm job step, named after the node as in a sweep."""
    folder = cluster.folder / "snapshots"
    folder.mkdir()
    cluster.run("srun", "--nodes=1", "--ntasks-per-node=1", "sh", "-c",
                '"$0" -m readycheck collect -o "$1/$SLURMD_NODENAME.json"', sys.executable, folder)
    return folder / f"{cluster.node}.json"


def test_srun_collect_writes_a_snapshot_per_node(snapshot, cluster):
    assert load_snapshot(snapshot)["host"]["hostname"] == cluster.node


def test_a_failing_node_is_drained_and_resumed_once_it_passes(cluster, packs, snapshot):
    passes, fails = packs
    cluster.resume()
    done = cluster.readycheck("slurm-health", "--rules", fails)  # a live scan, as HealthCheckProgram runs it
    assert done.returncode == 1, done.stdout + done.stderr
    state = cluster.state()
    assert state.drained and state.reason == "readycheck: gpu.count", state
    assert "readycheck: gpu.count" in cluster.run("sinfo", "-R", "-h", "-o", "%E").stdout

    done = cluster.readycheck("slurm-health", "--rules", passes, "--snapshot", snapshot)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not cluster.state().drained, cluster.state()


def test_dry_run_leaves_the_node_as_it_is(cluster, packs):
    cluster.resume()
    done = cluster.readycheck("slurm-health", "--rules", packs[1], "--dry-run")
    assert done.returncode == 1 and "(dry run, not run): scontrol update" in done.stdout, done.stdout + done.stderr
    assert not cluster.state().drained


def test_a_node_drained_by_hand_stays_drained(cluster, packs, snapshot):
    passes, fails = packs
    cluster.resume()
    cluster.drain("RMA ticket 4711: reseat GPU 3")
    try:
        for pack, code in ((passes, 0), (fails, 1)):
            done = cluster.readycheck("slurm-health", "--rules", pack, "--snapshot", snapshot)
            assert done.returncode == code, done.stdout + done.stderr
            state = cluster.state()
            assert state.drained and state.reason == "RMA ticket 4711: reseat GPU 3", state
    finally:
        cluster.resume()
