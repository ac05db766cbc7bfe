"""The ASHRAE thermal classes of data-center air, as data: the site file names one (`[site] ashrae_class`),
and thermal.inlet judges the node's intake air by it.

ASHRAE TC 9.9, Thermal Guidelines for Data Processing Environments (5th edition, 2021): recommended
18-27 °C for A1-A4; allowable A1 15-32, A2 10-35, A3 5-40, A4 5-45 °C; H1 (high-density air-cooled
equipment) recommended 18-22, allowable 15-25 °C. A2 is what most enterprise servers are specified for,
and the class readycheck assumes when no site file is given.
"""

from __future__ import annotations

# class -> (allowable min, allowable max, recommended max), degrees C
LIMITS = {
    "A1": (15.0, 32.0, 27.0),
    "A2": (10.0, 35.0, 27.0),
    "A3": (5.0, 40.0, 27.0),
    "A4": (5.0, 45.0, 27.0),
    "H1": (15.0, 25.0, 22.0),
}
CLASSES = tuple(LIMITS)
DEFAULT_CLASS = "A2"
