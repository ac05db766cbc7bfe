"""The BMC's reading of the whole chassis' power, sampled beside the GPUs during the load phase.

The GPUs' own readings leave out the CPUs, memory, NICs, NVSwitches and fans;
the BMC's DCMI power reading (`ipmitool dcmi power reading`) is what the
chassis actually draws from its PSUs, so it is the figure to hold against the
rack budget. Read only on the live machine with ipmitool installed and
permitted; after the first failure it is not asked again, and the reason is
kept for the facts.
"""

from __future__ import annotations

import re

from readycheck.facts import Unreadable
from readycheck.probes import ProbeContext

READING = re.compile(r"Instantaneous power reading:\s*(\d+(?:\.\d+)?)\s*Watts", re.IGNORECASE)
TIMEOUT_S = 5.0


class ChassisPower:
    def __init__(self, ctx: ProbeContext):
        self.ctx = ctx
        self.unavailable: str | None = None

    def read(self) -> float | None:
        """Watts now, or None (then `unavailable` says why, and later calls return None at once)."""
        if self.unavailable is not None:
            return None
        try:
            text = self.ctx.command(["ipmitool", "dcmi", "power", "reading"], TIMEOUT_S)
        except Unreadable as exc:
            self.unavailable = f"{exc.reason}: {exc}"
            return None
        match = READING.search(text)
        if match is None:
            self.unavailable = "Unparseable: ipmitool dcmi power reading gave no instantaneous reading"
            return None
        return float(match.group(1))
