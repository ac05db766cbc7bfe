"""How a value that could not be read is recorded: `null` plus a reason word in the owning object's
`unavailable` map. Probes and importers build objects with `Record`; checks read the reasons back.
"""

from __future__ import annotations

from typing import Any, Callable

# Reasons for a missing value. Probes may use another short CamelCase word when none of these fits;
# these are the ones several layers share (docs/facts.md lists what each means).
NOT_SUPPORTED = "NotSupported"
NO_PERMISSION = "NoPermission"
FUNCTION_NOT_FOUND = "FunctionNotFound"
GPU_IS_LOST = "GpuIsLost"
TIMEOUT = "Timeout"
NOT_FOUND = "NotFound"
NOT_COLLECTED = "NotCollected"
NOT_IN_SOURCE = "NotInSource"
UNPARSEABLE = "Unparseable"
MALFORMED = "Malformed"
NO_AFFINITY = "NoAffinity"
MIG_MODE = "MigMode"
ALL_LINKS_INACTIVE = "AllLinksInactive"

REASONS = {
    NOT_SUPPORTED: "the driver or device says it does not have this (NVML_ERROR_NOT_SUPPORTED)",
    NO_PERMISSION: "reading it needs more rights (run as root)",
    FUNCTION_NOT_FOUND: "the installed driver's NVML lacks the call (an older driver)",
    GPU_IS_LOST: "the GPU stopped answering (fell off the bus)",
    TIMEOUT: "the read did not finish within its time limit",
    NOT_FOUND: "the file, command or device is not there",
    NOT_COLLECTED: "no probe ran for it (e.g. the probe as a whole failed)",
    NOT_IN_SOURCE: "an imported capture does not show it",
    UNPARSEABLE: "the text read could not be understood",
    MALFORMED: "the value read has an unexpected form",
    NO_AFFINITY: "the device reports no NUMA node (-1)",
    MIG_MODE: "not readable while MIG is enabled",
    ALL_LINKS_INACTIVE: "the GPU has NVLinks and none is active; nvidia-smi lists none of them",
}

class Unreadable(Exception):
    """A single value could not be read; `reason` is the word stored in `unavailable`."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(detail or reason)
        self.reason = reason


class Record:
    """Builds one facts object (host, nvidia, one GPU, ...) field by field.

    Every field is present in the result: either its value, or `None` with the
    reason in the object's `unavailable` map. `read()` turns an `Unreadable`
    raised by a reader into that pair, so a probe never has to choose between
    crashing and silently dropping a field.
    """

    def __init__(self, **values: Any):
        self.values: dict[str, Any] = dict(values)
        self.unavailable: dict[str, str] = {}

    def set(self, field: str, value: Any) -> Any:
        self.values[field] = value
        self.unavailable.pop(field, None)
        return value

    def missing(self, field: str, reason: str) -> None:
        self.values[field] = None
        self.unavailable[field] = reason

    def read(self, field: str, reader: Callable[..., Any], *args: Any) -> Any:
        """Store `reader(*args)` under `field`, or null and the reason when it raises `Unreadable`."""
        try:
            value = reader(*args)
        except Unreadable as exc:
            self.missing(field, exc.reason)
            return None
        return self.set(field, value)

    def read_together(self, fetch: Callable[[], Any], picks: dict[str, Callable[[Any], Any]]) -> None:
        """Fill several fields from one fetch (one NVML call, one file): `picks` maps each field to what it
        takes from the fetched value; if the fetch raises `Unreadable`, every field carries its reason."""
        try:
            raw = fetch()
        except Unreadable as exc:
            for name in picks:
                self.missing(name, exc.reason)
            return
        for name, pick in picks.items():
            self.read(name, pick, raw)

    def set_group(self, field: str, group: Record) -> None:
        """Store a sub-object (ECC counters, remapped rows); when none of its fields could be read,
        all for one reason, store null and that reason instead, so a GPU that lacks the feature
        reads the same way as for a single field."""
        reasons = set(group.unavailable.values())
        if group.values and all(v is None for v in group.values.values()) and len(reasons) == 1:
            self.missing(field, reasons.pop())
        else:
            self.set(field, group.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {**self.values, "unavailable": dict(self.unavailable)}
