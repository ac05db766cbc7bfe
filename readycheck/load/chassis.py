"""The BMC's reading of the whole chassis' power, sampled beside the GPUs during the load phase.

The GPUs' own readings leave out the CPUs, memory, NICs, NVSwitches and fans;
the BMC's reading is what the chassis actually draws from its PSUs, so it is
the figure to hold against the rack budget. It is asked of ipmitool first
(`ipmitool dcmi power reading`: live machine, ipmitool installed and
permitted); where ipmitool cannot answer and the probes read the chassis power
over Redfish (`--bmc`), it is read there (EnvironmentMetrics `PowerWatts`, else
the legacy Power `PowerConsumedWatts`), each sample bounded by
`SAMPLE_BUDGET_S`. After a failure of the source in use it is not asked again,
and the reason is kept for the facts; `source` says which one answered.
"""

from __future__ import annotations

import re

from readycheck.facts import Unreadable
from readycheck.probes import ProbeContext

READING = re.compile(r"Instantaneous power reading:\s*(\d+(?:\.\d+)?)\s*Watts", re.IGNORECASE)
TIMEOUT_S = 5.0
SAMPLE_TIMEOUT_S = 2.0
SAMPLE_BUDGET_S = 3.0


class ChassisPower:
    def __init__(self, ctx: ProbeContext):
        self.ctx = ctx
        self.unavailable: str | None = None
        self.source: str | None = None
        self._ipmitool_failure = ""
        self._redfish: RedfishPower | None = None

    def read(self) -> float | None:
        """Watts now, or None (then `unavailable` says why, and later calls return None at once)."""
        if self.unavailable is not None:
            return None
        if self.source != "redfish":
            try:
                watts = self._read_ipmitool()
            except Unreadable as exc:
                self._ipmitool_failure = f"{exc.reason}: {exc}"
                if self.source == "ipmitool" or self.ctx.bmc is None or not self.ctx.bmc.url:
                    self.unavailable = self._ipmitool_failure
                    return None
                self.source = "redfish"  # ipmitool never answered: the BMC's Redfish service instead
            else:
                self.source = "ipmitool"
                return watts
        return self._read_redfish()

    def _read_ipmitool(self) -> float:
        text = self.ctx.command(["ipmitool", "dcmi", "power", "reading"], TIMEOUT_S)
        match = READING.search(text)
        if match is None:
            raise Unreadable("Unparseable", "ipmitool dcmi power reading gave no instantaneous reading")
        return float(match.group(1))

    def _read_redfish(self) -> float | None:
        try:
            if self._redfish is None:
                self._redfish = RedfishPower(self.ctx)
            return self._redfish.read()
        except Unreadable as exc:
            self.unavailable = f"ipmitool {self._ipmitool_failure}; Redfish {exc.reason}: {exc}"
            self.close()
            return None

    def close(self) -> None:
        if self._redfish is not None:
            self._redfish.session.close()
            self._redfish = None


class RedfishPower:
    """The chassis power over Redfish: the chassis is found once, then each reading is one GET."""

    def __init__(self, ctx: ProbeContext):
        from readycheck.probes.bmc import Reader, find_chassis
        from readycheck.probes.redfish_client import Session

        self.session = Session(ctx.bmc, request_timeout_s=SAMPLE_TIMEOUT_S)
        self.chassis = find_chassis(Reader(self.session))

    def read(self) -> float:
        from readycheck.probes.bmc import Reader, chassis_power

        self.session.allow(SAMPLE_BUDGET_S)
        return chassis_power(Reader(self.session), self.chassis)["chassis_power_w"]
