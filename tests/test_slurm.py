"""`readycheck slurm-health` against a fake scontrol: drain, resume only its own drain, dry run, exit codes."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from readycheck.errors import InputError
from readycheck.findings import FAIL, Finding
from readycheck.slurm import NodeState, decide, parse_node

REPO = Path(__file__).resolve().parent.parent
HEALTHY = REPO / "examples" / "hgx-h100-healthy.json"
FAULTY = REPO / "examples" / "hgx-h100-faulty.json"
FAULTY_FIRST = "driver.fabricmanager"  # the first of the faulty example's failures, in report order

# What Slurm 22.05 printed for a node drained by hand (trimmed).
SHOW_NODE = """\
NodeName=gpu-b07-04 Arch=x86_64 CoresPerSocket=1
   CPUAlloc=0 CPUEfctv=2 CPUTot=2 CPULoad=0.64
   NodeAddr=127.0.0.1 NodeHostName=gpu-b07-04 Version=22.05.8
   State=IDLE+DRAIN ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A
   Partitions=test
   Reason=readycheck: nvml.available [root@2026-11-27T12:59:23]
"""

# A stand-in for scontrol: `show node` prints the state kept in $FAKE_SLURM/state.json, `update` changes
# it as Slurm would and records its arguments in $FAKE_SLURM/updates.jsonl.
FAKE_SCONTROL = textwrap.dedent('''\
    #!{python}
    import json, os, sys
    folder = os.environ["FAKE_SLURM"]
    path = os.path.join(folder, "state.json")
    node = json.load(open(path))
    args = sys.argv[1:]
    if args[:2] == ["show", "node"]:
        if args[2] != node["name"]:
            sys.exit(print(f"Node {{args[2]}} not found", file=sys.stderr) or 1)
        print(f"NodeName={{node['name']}} Arch=x86_64\\n   State={{node['state']}} ThreadsPerCore=1")
        if node["reason"]:
            print(f"   Reason={{node['reason']}} [root@2026-11-27T12:00:00]")
    elif args[0] == "update":
        with open(os.path.join(folder, "updates.jsonl"), "a") as log:
            log.write(json.dumps(args) + "\\n")
        fields = dict(arg.split("=", 1) for arg in args[1:])
        base = node["state"].split("+")[0]
        if fields["state"] == "drain":
            node.update(state=base + "+DRAIN", reason=fields["reason"])
        else:
            node.update(state=base, reason="")
        json.dump(node, open(path, "w"))
    ''')


@pytest.fixture()
def fake_slurm(tmp_path):
    """Put the fake scontrol first on PATH; set the node's starting state with `fake_slurm.start(...)`."""
    scontrol = tmp_path / "bin" / "scontrol"
    scontrol.parent.mkdir()
    scontrol.write_text(FAKE_SCONTROL.format(python=sys.executable))
    scontrol.chmod(0o755)

    class Fake:
        env = {**os.environ, "PATH": f"{scontrol.parent}{os.pathsep}{os.environ['PATH']}",
               "FAKE_SLURM": str(tmp_path)}
        env.pop("SLURMD_NODENAME", None)

        def start(self, state="IDLE", reason="", name="gpu-b07-04"):
            (tmp_path / "state.json").write_text(json.dumps({"name": name, "state": state, "reason": reason}))

        def node(self):
            return json.loads((tmp_path / "state.json").read_text())

        def updates(self):
            log = tmp_path / "updates.jsonl"
            return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

        def health(self, *args, **env):
            return subprocess.run([sys.executable, "-m", "readycheck", "slurm-health", *map(str, args)],
                                  capture_output=True, text=True, env={**self.env, **env}, timeout=120)

    return Fake()


def test_parse_node_reads_state_and_reason_without_the_user_and_time():
    state = parse_node("gpu-b07-04", SHOW_NODE)
    assert state == NodeState("gpu-b07-04", "IDLE+DRAIN", "readycheck: nvml.available")
    assert state.drained and state.ours
    assert not parse_node("n1", "NodeName=n1\n   State=MIXED ThreadsPerCore=1\n").drained
    assert parse_node("n1", "   State=ALLOCATED+DRAIN Owner=N/A\n   Reason=disk swap\n").reason == "disk swap"
    with pytest.raises(InputError, match="no State="):
        parse_node("n1", "garbage")


FAILURE = Finding(check="pcie.link", status=FAIL, subject="gpu2")


@pytest.mark.parametrize("state, failing, expected", [
    (NodeState("n1", "IDLE"), FAILURE, ("update", "nodename=n1", "state=drain", "reason=readycheck: pcie.link")),
    (NodeState("n1", "MIXED+DRAIN", "readycheck: nvml.available"), FAILURE,
     ("update", "nodename=n1", "state=drain", "reason=readycheck: pcie.link")),  # the reason follows the fault
    (NodeState("n1", "IDLE+DRAIN", "readycheck: pcie.link"), FAILURE, ()),
    (NodeState("n1", "IDLE+DRAIN", "readycheck: pcie.link"), None, ("update", "nodename=n1", "state=resume")),
    (NodeState("n1", "IDLE"), None, ()),
    (NodeState("n1", "DOWN"), None, ()),
    (NodeState("n1", "IDLE+DRAIN", "RMA ticket 4711"), None, ()),
    (NodeState("n1", "IDLE+DRAIN", "RMA ticket 4711"), FAILURE, ()),
])
def test_decide_drains_resumes_its_own_and_leaves_other_drains_alone(state, failing, expected):
    assert decide(state, failing).argv == expected


def test_a_node_that_fails_is_drained_with_the_first_failing_check(fake_slurm):
    fake_slurm.start()
    done = fake_slurm.health("--snapshot", FAULTY, "--node", "gpu-b07-04")
    assert done.returncode == 1, done.stderr
    assert fake_slurm.updates() == [["update", "nodename=gpu-b07-04", "state=drain",
                                     f"reason=readycheck: {FAULTY_FIRST}"]]
    assert done.stdout.startswith(f"gpu-b07-04: NOT READY: {FAULTY_FIRST} host:")
    assert "slurm: drain gpu-b07-04: scontrol update nodename=gpu-b07-04 state=drain" in done.stdout

    again = fake_slurm.health("--snapshot", FAULTY, "--node", "gpu-b07-04")
    assert again.returncode == 1 and len(fake_slurm.updates()) == 1, "an unchanged drain is not repeated"
    assert "already drained" in again.stdout


def test_a_node_it_drained_is_resumed_when_ready(fake_slurm):
    fake_slurm.start("IDLE+DRAIN", f"readycheck: {FAULTY_FIRST}")
    done = fake_slurm.health("--snapshot", HEALTHY, "--node", "gpu-b07-04")
    assert done.returncode == 0, done.stderr
    assert fake_slurm.updates() == [["update", "nodename=gpu-b07-04", "state=resume"]]
    assert fake_slurm.node()["state"] == "IDLE"
    assert done.stdout.startswith("gpu-b07-03: READY\nslurm: resume gpu-b07-04")


@pytest.mark.parametrize("snapshot, code", [(HEALTHY, 0), (FAULTY, 1)])
def test_a_node_drained_by_someone_else_is_never_touched(fake_slurm, snapshot, code):
    fake_slurm.start("IDLE+DRAIN", "RMA ticket 4711")
    done = fake_slurm.health("--snapshot", snapshot, "--node", "gpu-b07-04")
    assert done.returncode == code, done.stderr
    assert fake_slurm.updates() == []
    assert fake_slurm.node()["reason"] == "RMA ticket 4711"
    assert "drained by someone else (reason 'RMA ticket 4711'): left as it is" in done.stdout


def test_dry_run_prints_the_command_and_runs_nothing(fake_slurm):
    fake_slurm.start()
    done = fake_slurm.health("--snapshot", FAULTY, "--node", "gpu-b07-04", "--dry-run")
    assert done.returncode == 1
    assert fake_slurm.updates() == []
    assert (f"(dry run, not run): scontrol update nodename=gpu-b07-04 state=drain "
            f"'reason=readycheck: {FAULTY_FIRST}'") in done.stdout


def test_the_node_defaults_to_slurmd_nodename(fake_slurm):
    fake_slurm.start(name="n042")
    done = fake_slurm.health("--snapshot", FAULTY, SLURMD_NODENAME="n042")
    assert done.returncode == 1, done.stderr
    assert fake_slurm.updates()[0][1] == "nodename=n042"


def test_reports_are_written_only_when_asked(fake_slurm, tmp_path):
    fake_slurm.start()
    out = tmp_path / "reports"
    done = fake_slurm.health("--snapshot", FAULTY, "--node", "gpu-b07-04", "-f", "json", "-f", "prom", "-o", out)
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["readycheck-report.json", "readycheck-report.prom"]
    assert 'readycheck_ready{Hostname="gpu-b07-04"} 0' in (out / "readycheck-report.prom").read_text()


@pytest.mark.parametrize("args, env, message", [
    (("--node", "n999"), {}, "scontrol show node n999: Node n999 not found"),
    (("--node", "gpu-b07-04"), {"PATH": "/nonexistent"}, "scontrol not found"),
    (("--node", "gpu-b07-04", "--rules", "no-such-pack"), {}, "no-such-pack"),
])
def test_errors_exit_2_with_one_line(fake_slurm, args, env, message):
    fake_slurm.start()
    done = fake_slurm.health("--snapshot", HEALTHY, *args, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert fake_slurm.updates() == []


def test_the_plain_form_skips_click_and_says_the_same(fake_slurm):
    fake_slurm.start()
    args = ("--snapshot", FAULTY, "--node", "gpu-b07-04", "--dry-run")
    fast = fake_slurm.health(*args)
    slow = fake_slurm.health(*args, "--bmc-insecure")  # not of the plain form (and nothing to read): click's path
    assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr) != (0, "", "")
    code = (f"import sys; sys.argv = ['readycheck', 'slurm-health', *{[str(a) for a in args]!r}]\n"
            "from readycheck.entry import main\ntry:\n    main()\nexcept SystemExit as exc:\n    print(exc.code)\n"
            "print('click' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=fake_slurm.env, timeout=120)
    assert done.stdout.splitlines()[-2:] == ["1", "False"], done.stderr
