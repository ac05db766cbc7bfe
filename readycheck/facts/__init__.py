"""The facts: the one vocabulary probes, importers and checks share (contract: docs/facts.md).

- `record`: how a value that could not be read is recorded (null plus a reason word);
- `fields`: which fields each object holds;
- `decode`: decoders shared by probes and importers (bus ids, rates, clock event bits, thresholds);
- `views`: what several checks derive from the facts in one way (the node's GPU count);
- `versions`: dotted version numbers compared as numbers;
- `snapshot`: the empty skeleton and reading a snapshot file; `schema`: its JSON Schema and validator.

The names most modules need are importable from here.
"""

from readycheck.facts.fields import SCHEMA_ID
from readycheck.facts.record import (
    ALL_LINKS_INACTIVE,
    FUNCTION_NOT_FOUND,
    GPU_IS_LOST,
    MALFORMED,
    MIG_MODE,
    NO_AFFINITY,
    NO_PERMISSION,
    NOT_COLLECTED,
    NOT_FOUND,
    NOT_IN_SOURCE,
    NOT_SUPPORTED,
    TIMEOUT,
    UNPARSEABLE,
    Record,
    Unreadable,
)
from readycheck.facts.snapshot import SnapshotError, dump_snapshot, empty_snapshot, load_snapshot

__all__ = [
    "ALL_LINKS_INACTIVE", "FUNCTION_NOT_FOUND", "GPU_IS_LOST", "MALFORMED", "MIG_MODE", "NO_AFFINITY", "NO_PERMISSION",
    "NOT_COLLECTED", "NOT_FOUND", "NOT_IN_SOURCE", "NOT_SUPPORTED", "SCHEMA_ID", "TIMEOUT", "UNPARSEABLE", "Record",
    "SnapshotError", "Unreadable", "dump_snapshot", "empty_snapshot", "load_snapshot",
]
