"""thermal.inlet: the air entering the node is within its room's ASHRAE class.

GPUs throttle long before they fail, and the first cause on a new rack is hot
inlet air: a missing blanking panel, a recirculating hot aisle, a CRAH set for
the old load. The node's inlet temperature (the BMC's intake sensor over
Redfish with `--bmc URL`, else ipmitool's SDR or an hwmon sensor; the message
says which) is compared with the ASHRAE class of the site file (`[site] ashrae_class`; A2
when no site file is given). Above the class's allowable maximum fails; above
the recommended maximum (27 °C for A1-A4, 22 °C for H1) warns; below the
allowable minimum warns (condensation risk). No readable sensor is `unknown`:
readycheck needs the BMC's Redfish service (`--bmc`), or root and ipmitool, to
see the BMC's sensors.

ASHRAE TC 9.9, Thermal Guidelines for Data Processing Environments (5th edition, 2021):
recommended 18-27 °C for A1-A4; allowable A1 15-32, A2 10-35, A3 5-40,
A4 5-45 °C; H1 recommended 18-22, allowable up to 25 °C (lower bound 15 °C);
the figures are in readycheck/catalogue/ashrae.py.

The ASHRAE class comes from the site file.

NotSupported and MIG do not apply: the inlet temperature is the BMC's.
"""

from __future__ import annotations

from readycheck.catalogue.ashrae import DEFAULT_CLASS, LIMITS
from readycheck.checks.lib.unread import bmc_failure, missing
from readycheck.findings import FAIL, PASS, UNKNOWN, WARN, Finding

ID = "thermal.inlet"
SETTINGS: dict = {}
NEEDS = ("site",)

SOURCES = {"redfish": "the BMC's intake sensor over Redfish", "ipmitool": "the BMC's SDR via ipmitool",
           "hwmon": "an hwmon sensor"}
REMEDY = ("check the cold aisle at this rack: blanking panels, containment, floor tiles, CRAH/CRAC "
          "set point; move the node or fix the airflow before it takes load")


def check(facts, settings, site=None):
    ashrae = site.ashrae_class if site else DEFAULT_CLASS
    source = f"ASHRAE {ashrae}" + ("" if site else " (no --site given)")
    low, high, recommended = LIMITS[ashrae]
    host = facts["host"]
    inlet = host.get("inlet_temperature_c")
    expected = f"{low:g}-{high:g} °C allowable, up to {recommended:g} °C recommended ({source})"
    if inlet is None:
        bmc = bmc_failure(facts)
        yield Finding(ID, UNKNOWN, "host", expected=expected,
                      message=missing(host, "inlet_temperature_c") + (f": {bmc}" if bmc else ""),
                      remedy="read the inlet sensor from the BMC: `--bmc URL` (Redfish), or re-run readycheck "
                             "as root with ipmitool installed (`ipmitool sdr type Temperature`)")
        return
    where = SOURCES.get(host.get("inlet_temperature_source"))
    reading = f"inlet {inlet:g} °C" + (f" ({where})" if where else "")
    if inlet > high:
        yield Finding(ID, FAIL, "host", inlet, expected,
                      f"{reading} is above the {source} allowable maximum {high:g} °C", REMEDY)
    elif inlet > recommended:
        yield Finding(ID, WARN, "host", inlet, expected,
                      f"{reading} is above the recommended {recommended:g} °C ({source})", REMEDY)
    elif inlet < low:
        yield Finding(ID, WARN, "host", inlet, expected,
                      f"{reading} is below the {source} allowable minimum {low:g} °C",
                      "check the cooling set point and humidity at this rack (condensation risk)")
    else:
        yield Finding(ID, PASS, "host", inlet, expected, f"{reading} within {source}")
