"""`readycheck slurm-health`: judge this node and tell Slurm, as NHC does.

Meant for slurm.conf's `HealthCheckProgram` and for prolog and epilog scripts: no load phase, the
probes bounded by `PROBE_TIMEOUT_S` (well under NHC's 30 s watchdog), no report files unless asked.
The node's state and reason are read with `scontrol show node NAME`, then:

- not ready and not drained: drain it, reason `readycheck: <first check that blocks readiness>`;
- not ready and drained by readycheck for another check: the same, which updates the reason;
- ready and drained by readycheck (its reason starts with `readycheck:`): resume it;
- drained by anyone else (any other reason): left as it is, ready or not; a person decides.

A dry run reads the state all the same and prints the `scontrol update` it would run.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from readycheck import __version__
from readycheck.engine import Report
from readycheck.errors import InputError
from readycheck.findings import Finding

if TYPE_CHECKING:
    from readycheck.order import Order
    from readycheck.probes.bmc_target import BmcTarget
    from readycheck.site import Site

REASON_PREFIX = "readycheck:"
PROBE_TIMEOUT_S = 20.0
SCONTROL_TIMEOUT_S = 15.0


def this_node() -> str:
    """The Slurm node name: $SLURMD_NODENAME (set in prolog, epilog and jobs), else the short hostname."""
    import socket  # only without $SLURMD_NODENAME and --node

    return os.environ.get("SLURMD_NODENAME") or socket.gethostname().split(".")[0]


@dataclass(frozen=True)
class NodeState:
    """What `scontrol show node` says about one node."""

    name: str
    state: str  # such as IDLE+DRAIN
    reason: str = ""  # without Slurm's " [user@time]" suffix

    @property
    def drained(self) -> bool:
        """Drained or draining: Slurm shows the DRAIN flag for both."""
        return "DRAIN" in self.state.split("+")

    @property
    def ours(self) -> bool:
        return self.reason.startswith(REASON_PREFIX)


def parse_node(name: str, text: str) -> NodeState:
    """Read State= and Reason= from `scontrol show node NAME` (Reason= runs to the end of its line)."""
    state, reason = "", ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Reason="):
            reason = line[len("Reason="):]
            if reason.endswith("]") and " [" in reason:
                reason = reason[:reason.rindex(" [")]
            continue
        for token in line.split():
            if token.startswith("State="):
                state = token[len("State="):]
    if not state:
        raise InputError(f"scontrol show node {name}: no State= in its answer")
    return NodeState(name=name, state=state, reason=reason)


def scontrol(argv: list[str]) -> str:
    """Run scontrol; a missing binary, a timeout or a refusal is one line naming the command (exit 2)."""
    command = shlex.join(["scontrol", *argv])
    try:
        done = subprocess.run(["scontrol", *argv], capture_output=True, text=True, timeout=SCONTROL_TIMEOUT_S,
                              stdin=subprocess.DEVNULL, errors="replace")
    except FileNotFoundError:
        raise InputError(f"{command}: scontrol not found (is this a Slurm node?)") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"{command}: no answer within {SCONTROL_TIMEOUT_S:g}s") from None
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
        raise InputError(f"{command}: {detail}")
    return done.stdout


def judge_node(snapshot: str | None, rules: str | None, site: Site | None, fail_on: str,
               order: Order | None = None, overrides: tuple = (), bmc: BmcTarget | None = None) -> Report:
    """Judge the given snapshot file, or scan this machine with the probes' time bounded; `overrides`:
    settings given on the command line (see readycheck.rulepack.overridden)."""
    from readycheck.run import judge_files, judge_snapshots, resolve_rules

    if snapshot:
        return judge_files([snapshot], rules, site, fail_on, order=order, overrides=overrides)
    from readycheck.checks import load_all
    from readycheck.probes import ProbeContext, collect

    pack = resolve_rules(rules)
    facts = collect(lambda: ProbeContext(bmc=bmc), version=__version__, timeout=PROBE_TIMEOUT_S, meanwhile=load_all)
    return judge_snapshots([facts], pack, site, fail_on, order=order, overrides=overrides)


def check_node(snapshot: str | None, rules: str | None, site: Site | None, fail_on: str, order: Order | None,
               bmc: BmcTarget | None, node: str | None, dry_run: bool, overrides: tuple = ()) -> tuple[Report, str]:
    """`readycheck slurm-health`: judge this node (or the snapshot) and tell Slurm; the report and what was
    done, in words."""
    report = judge_node(snapshot, rules, site, fail_on, order, overrides, bmc=bmc)
    return report, tell_slurm(report, node or this_node(), dry_run)


def blocking(report: Report) -> tuple[Finding, ...]:
    """The findings that make the (one) judged node not ready, worst first, as the engine decided."""
    return report.nodes[0].decision.blocking


def summary(report: Report) -> str:
    """One line: the node's verdict and, when not ready, the first finding that blocks it."""
    found = blocking(report)
    if not found:
        return f"{report.nodes[0].node}: READY"
    first = found[0]
    return f"{report.nodes[0].node}: NOT READY: {first.check} {first.subject}: {first.message}" + \
        (f" (and {len(found) - 1} more)" if len(found) > 1 else "")


@dataclass(frozen=True)
class Action:
    """What to tell Slurm: the `scontrol` arguments to run (none: leave the node be), and why."""

    argv: tuple[str, ...]
    why: str


def decide(state: NodeState, first_blocking: Finding | None) -> Action:
    """Drain a not-ready node, resume one readycheck drained once it is ready; never touch another's drain."""
    if state.drained and not state.ours:
        return Action((), f"{state.name} drained by someone else (reason {state.reason!r}): left as it is")
    if first_blocking is not None:
        reason = f"{REASON_PREFIX} {first_blocking.check}"
        if state.drained and state.reason == reason:
            return Action((), f"{state.name} already drained: {reason}")
        return Action(("update", f"nodename={state.name}", "state=drain", f"reason={reason}"),
                      f"drain {state.name}")
    if state.drained:
        return Action(("update", f"nodename={state.name}", "state=resume"),
                      f"resume {state.name}, drained by readycheck ({state.reason!r}) and ready again")
    return Action((), f"{state.name} is {state.state}: nothing to do")


def tell_slurm(report: Report, node: str, dry_run: bool) -> str:
    """Read the node's state, decide, and run (or, dry, only print) the scontrol update; return what was done."""
    state = parse_node(node, scontrol(["show", "node", node]))
    found = blocking(report)
    action = decide(state, found[0] if found else None)
    if not action.argv:
        return f"slurm: {action.why}"
    command = shlex.join(["scontrol", *action.argv])
    if dry_run:
        return f"slurm: {action.why} (dry run, not run): {command}"
    scontrol(list(action.argv))
    return f"slurm: {action.why}: {command}"
