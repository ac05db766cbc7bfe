"""Probes read the machine and nothing else; this module runs them and builds one snapshot.

Each probe is a function `probe(ctx) -> dict` in its own module, returning the
top-level facts it contributes (`{"host": {...}, "network_interfaces": [...]}`).
The runner gives every probe its own thread and a time limit, so a probe that
raises or hangs (a stuck NVML call, a kernel log that never ends) is recorded
in `probe_errors` and the others still run. Probes never judge.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from readycheck.facts import NO_PERMISSION, NOT_FOUND, TIMEOUT, Unreadable, empty_snapshot

if TYPE_CHECKING:  # annotations only: importing bmc_target at run time would load dataclasses
    from readycheck.probes.bmc_target import BmcTarget

# (name, module) in merge order: for a field that two probes both fill, the
# first non-null value wins (NVML's driver version before /proc's).
PROBES: tuple[tuple[str, str], ...] = (
    ("nvml", "readycheck.probes.nvml"),
    ("bmc", "readycheck.probes.bmc"),  # before host: the BMC's Redfish PSUs and inlet win over ipmitool's
    ("host", "readycheck.probes.host"),
    ("storage", "readycheck.probes.storage"),
    ("driver", "readycheck.probes.driver"),
    ("infiniband", "readycheck.probes.infiniband"),
    ("network", "readycheck.probes.network"),
    ("xid", "readycheck.probes.xid"),
)

PROBE_TIMEOUT_S = 60.0
COMMAND_TIMEOUT_S = 15.0

CommandRunner = Callable[[list[str], float], str]
"""Runs argv with a timeout and returns stdout; raises `Unreadable` when it cannot."""


def run_command(argv: list[str], timeout: float) -> str:
    """Run a read-only command on the live machine; missing tools and failures become `Unreadable`."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, errors="replace")
    except FileNotFoundError:
        raise Unreadable(NOT_FOUND, f"{argv[0]} not installed") from None
    except PermissionError:
        raise Unreadable(NO_PERMISSION, f"{argv[0]}: permission denied") from None
    except subprocess.TimeoutExpired:
        raise Unreadable(TIMEOUT, f"{' '.join(argv)} took longer than {timeout:g}s") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        reason = NO_PERMISSION if "permission" in detail.lower() or "not permitted" in detail.lower() \
            else "CommandFailed"
        raise Unreadable(reason, f"{' '.join(argv)}: {detail}")
    return done.stdout


class ProbeContext:
    """What a probe may use to read the machine.

    `root` prefixes every file path a probe reads (like node_exporter's
    `--path.sysfs`), so tests point probes at a fake tree and an offline OS
    image can be read. Commands (`systemctl`, `journalctl`) only describe the
    live machine, so they run only when `root` is `/`. `nvml_backend` builds
    the NVML backend; tests inject a fake one. `bmc` is the BMC to read over
    Redfish (`--bmc*` options); None: look for a host interface in SMBIOS.
    (A plain class: `dataclasses` imports `inspect`, which would be a tenth of
    a collection's start-up.)
    """

    def __init__(self, root: Path = Path("/"), run: CommandRunner = run_command,
                 nvml_backend: Callable[[], Any] | None = None, bmc: BmcTarget | None = None,
                 errors: list[str] | None = None):
        self.root = root
        self.run = run
        self.nvml_backend = nvml_backend
        self.bmc = bmc
        self.errors: list[str] = [] if errors is None else errors

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    @property
    def live(self) -> bool:
        return self.root == Path("/")

    def command(self, argv: list[str], timeout: float = COMMAND_TIMEOUT_S) -> str:
        if not self.live:
            raise Unreadable("NotLive", f"{argv[0]} not run: reading {self.root}, not the live machine")
        return self.run(argv, timeout)

    def error(self, message: str) -> None:
        """Record a partial failure: the probe still returns what it could read."""
        self.errors.append(message)


def _run_one(name: str, module: str, ctx: ProbeContext, timeout: float) -> tuple[dict, list[dict]]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["facts"] = importlib.import_module(module).probe(ctx)
        except Exception as exc:  # a probe's failure is data, never the tool's crash
            box["error"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=target, name=f"probe-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    errors = [{"probe": name, "error": msg} for msg in ctx.errors]
    if thread.is_alive():
        errors.append({"probe": name, "error": f"{TIMEOUT}: no answer within {timeout:g}s"})
        return {}, errors
    if "error" in box:
        errors.append({"probe": name, "error": box["error"]})
    return box.get("facts") or {}, errors


def merge_facts(snapshot: dict[str, Any], facts: dict[str, Any]) -> None:
    """Merge one probe's facts into the snapshot: lists extend, objects fill fields still null."""
    for key, value in facts.items():
        current = snapshot.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            _fill(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            current.extend(value)
        else:
            snapshot[key] = value


def _fill(target: dict[str, Any], incoming: dict[str, Any], *, absent_only: bool = False) -> None:
    """Fill `target`'s null and empty fields from `incoming`; with `absent_only`, only the fields no probe set
    (the skeleton's defaults must not overwrite a probe's null: `nvml_error` null means NVML answered)."""
    for key, value in incoming.items():
        if key == "unavailable":
            continue
        if isinstance(target.get(key), dict) and isinstance(value, dict):
            _fill(target[key], value, absent_only=absent_only)
        elif key not in target if absent_only else target.get(key) in (None, {}, []):
            target[key] = value
    if "unavailable" in target or "unavailable" in incoming:
        reasons = {**incoming.get("unavailable", {}), **target.get("unavailable", {})}
        target["unavailable"] = {key: why for key, why in reasons.items() if target.get(key) in (None, [])}


def collect(ctx_factory: Callable[[], ProbeContext], *, version: str, timeout: float = PROBE_TIMEOUT_S,
            meanwhile: Callable[[], None] | None = None) -> dict[str, Any]:
    """Run every probe concurrently, each in its own context, and merge them in `PROBES` order.
    `meanwhile`: work of the caller's, done in this thread while the probes wait on the machine (journalctl,
    systemctl, the driver): a scan loads its checks there instead of after the probes."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    snapshot = empty_snapshot(collected_at=now.isoformat().replace("+00:00", "Z"),
                              version=version, source="live")
    # Host and driver-stack objects are assembled from several probes; the
    # skeleton fills, after them, whatever no probe could provide.
    skeleton = {key: snapshot[key] for key in ("host", "nvidia")}
    for key in skeleton:
        snapshot[key] = {"unavailable": {}}
    results: dict[str, tuple[dict, list[dict]]] = {}
    threads = []
    for name, module in PROBES:
        def runner(name: str = name, module: str = module) -> None:
            results[name] = _run_one(name, module, ctx_factory(), timeout)
        thread = threading.Thread(target=runner, daemon=True)
        thread.start()
        threads.append(thread)
    if meanwhile is not None:
        meanwhile()
    for thread in threads:
        thread.join()
    for name, _ in PROBES:
        facts, errors = results[name]
        merge_facts(snapshot, facts)
        snapshot["probe_errors"].extend(errors)
    for key, defaults in skeleton.items():
        _fill(snapshot[key], defaults, absent_only=True)
        snapshot[key]["unavailable"] = snapshot[key].pop("unavailable")
    return snapshot
