"""`ibstat` and `ibstatus`: one `infiniband[]` entry per HCA port.

Values are put in the words the sysfs probe uses, so ib.ports judges both
alike: `state` ibstat's "Active" / "Down" / "Initializing" → `ACTIVE` /
`DOWN` / `INIT` (ibstatus prints "4: ACTIVE" and the code is dropped),
`phys_state` "LinkUp" / "Disabled" / "Polling" as printed, `rate_gbps` the
number (ibstat "400", ibstatus "200 Gb/sec (4X HDR)"), `link_layer`
"InfiniBand" or "Ethernet". ibstat adds `fw_version` and `hca_type` ("CA
type", e.g. MT4129); ibstatus has neither. Neither has `board_id`,
`pci_bus_id`, `numa_node` (a `topo -m` capture can add it), `netdev` or the
error counters: null, `NotInSource`. Indentation may be tabs or spaces (a
pasted capture). A bond (`mlx5_bond_0`) is a CA like any other. ibstat stops
at a device it cannot read with an `ibpanic:` line (`ibwarn:` for a warning):
the ports before it are kept and the line goes to `probe_errors` (probe
`infiniband`), so the capture is known to be incomplete. Any other line that
is not the tool's (a shell prompt or a remark pasted into the capture, also
before the first CA) is skipped and named in the file's
`imported_from[].notes`: the ports around it are read as usual, and a port
field it stood in for stays null, `NotInSource`.
"""

from __future__ import annotations

import re

from readycheck.facts import Record
from readycheck.facts.decode import parse_rate_gbps, strip_code
from readycheck.importers.common import Capture, first_line, quantity, reading, text_lines

IBSTAT = "ibstat"
IBSTATUS = "ibstatus"

CA_LINE = re.compile(r"^CA '([^']+)'$")
PORT_LINE = re.compile(r"^\s+Port (\d+):$")
FIELD_LINE = re.compile(r"^\s+([A-Za-z_][\w ]*?):\s*(.*)$")
TOOL_MESSAGE = re.compile(r"^(ibpanic|ibwarn|ibstat):\s")
STATUS_LINE = re.compile(r"^Infiniband device '([^']+)' port (\d+) status:$")
STATES = {"Initializing": "INIT", "Init": "INIT"}


def _state(raw: str | None) -> str:
    """ibstat's `Active` → sysfs's `ACTIVE` (`Initializing` → `INIT`)."""
    text = reading(raw)
    return STATES.get(text, text.upper().replace(" ", "_"))


# ibstat's port fields → (facts field, reader); CA fields likewise.
IBSTAT_PORT = {
    "State": ("state", _state),
    "Physical state": ("phys_state", reading),
    "Rate": ("rate_gbps", quantity),
    "Link layer": ("link_layer", reading),
}
IBSTAT_CA = {"CA type": ("hca_type", reading), "Firmware version": ("fw_version", reading)}
IBSTATUS_PORT = {
    "state": ("state", lambda raw: strip_code(reading(raw))),
    "phys state": ("phys_state", lambda raw: strip_code(reading(raw))),
    "rate": ("rate_gbps", lambda raw: parse_rate_gbps(reading(raw))),
    "link_layer": ("link_layer", reading),
}


def detect_ibstat(text: str) -> bool:
    """A `CA '...'` line followed by an ibstat field (lines pasted before it are notes, not the format)."""
    lines = [line for line in text_lines(text[:4096]) if line.strip()]
    return any(CA_LINE.match(this) and FIELD_LINE.match(following) for this, following in zip(lines, lines[1:]))


def detect_ibstatus(text: str) -> bool:
    return STATUS_LINE.match(first_line(text_lines(text[:4096]))) is not None


def parse_ibstat(text: str, source: str) -> Capture:
    capture = Capture(IBSTAT, infiniband=[])
    ca: dict[str, str] = {}
    port: Record | None = None
    for number, line in enumerate(text_lines(text), start=1):
        if not line.strip():
            continue
        if TOOL_MESSAGE.match(line):
            capture.probe_errors.append({"probe": "infiniband", "error": f"{IBSTAT}: {line.strip()[:300]}"})
            continue
        ca_line, port_line = CA_LINE.match(line), PORT_LINE.match(line)
        if ca_line:
            ca, port = {"device": ca_line.group(1)}, None
        elif port_line and ca:
            port = Record(device=ca["device"], port=int(port_line.group(1)))
            for label, (name, reader) in IBSTAT_CA.items():
                port.read(name, reader, ca.get(label))
            capture.infiniband.append(port)
        else:
            field = _field(capture, line, number) if ca else _skip(capture, line, number)
            if field is None:
                continue
            label, raw = field
            if port is None:
                ca[label] = raw
            elif label in IBSTAT_PORT:
                name, reader = IBSTAT_PORT[label]
                port.read(name, reader, raw)
    return capture


def parse_ibstatus(text: str, source: str) -> Capture:
    capture = Capture(IBSTATUS, infiniband=[])
    port: Record | None = None
    for number, line in enumerate(text_lines(text), start=1):
        if not line.strip():
            continue
        status = STATUS_LINE.match(line)
        if status:
            port = Record(device=status.group(1), port=int(status.group(2)))
            capture.infiniband.append(port)
            continue
        field = _field(capture, line, number) if port is not None else _skip(capture, line, number)
        if port is None or field is None:
            continue
        label, raw = field
        if label in IBSTATUS_PORT:
            name, reader = IBSTATUS_PORT[label]
            port.read(name, reader, raw)
    return capture


def _field(capture: Capture, line: str, number: int) -> tuple[str, str] | None:
    """(name, value) of an indented `name: value` line; None, with a note, for a line that is not one."""
    match = FIELD_LINE.match(line)
    return (match.group(1), match.group(2)) if match else _skip(capture, line, number)


def _skip(capture: Capture, line: str, number: int) -> None:
    capture.note(f"line {number} skipped, not {capture.format} output: {line.strip()[:80]!r}")
