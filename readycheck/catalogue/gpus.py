"""The GPU models readycheck knows by their NVML names: the family and the form each is built in.

A model is named as NVML gives it (`nvmlDeviceGetName`, "Product Name" in `nvidia-smi -q`). Drivers
since about R470 put "NVIDIA " in front ("NVIDIA A100-SXM4-40GB"); older ones did not
("A100-SXM4-40GB" on driver 450.80.02 in NVIDIA's own Kubernetes guide,
https://docs.nvidia.com/datacenter/cloud-native/kubernetes/latest/index.html). Names are therefore
compared without that prefix, case and runs of spaces ignored, as a whole: "H20" is not "H200",
"B200" is not "GB200", "L40" is not "L40S". A pattern may hold `*` for any text ("A100-SXM4-*").

The form is how the GPU is built into the server, which decides what its platform looks like:
SXM modules on a baseboard whose NVSwitches join every GPU (HGX, DGX); PCIe cards; PCIe cards
paired by NVLink bridges (NVL); or the GPU of a Grace superchip, attached to its CPU over
NVLink-C2C instead of PCIe (its PCIe link is x1 by design: NVIDIA DCGM's diagnostic sets
`min_pci_width: 1.0` for these parts, nvvs/diag-skus.yaml.in at NVIDIA/DCGM@72fa3fe, PCI ids 2342,
2348 and 2941).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

SXM = "SXM modules on an NVSwitch baseboard"
PCIE = "PCIe cards"
NVL = "PCIe cards paired by NVLink bridges"
SUPERCHIP = "Grace superchip (GPU on NVLink-C2C)"

CAPTURES = "tests/data/captures/"


@dataclass(frozen=True)
class Model:
    """One GPU model: its NVML name pattern (without "NVIDIA "), family, form and where the name is seen."""

    pattern: str
    family: str
    form: str
    seen_in: str


# Where a real capture shows the name it is cited; the others are the names the same drivers give these
# parts (the NVIDIA MIG user guide's "Supported GPUs" table names the families and sizes:
# https://docs.nvidia.com/datacenter/tesla/mig-user-guide/supported-gpus.html).
MODELS = (
    Model("H100 80GB HBM3", "H100", SXM, CAPTURES + "nvidia-smi-q_8xH100-80GB-HBM3_driver535.161.08_hw-slowdown.txt"),
    Model("H100 PCIe", "H100", PCIE, "NVML name of the H100 PCIe card"),
    Model("H100 NVL", "H100", NVL, CAPTURES + "nvidia-smi-q_2xH100-NVL_driver550.54.14_minor-4-5.txt"),
    Model("H800", "H800", SXM, CAPTURES + "nvidia-smi-q-i0_H800_driver525.105.17_ECC-disabled.txt (NV8 pairs in "
          "topo-m_8xH800_NV8_4NIC_driver525.105.17.txt)"),
    Model("H800 PCIe", "H800", PCIE, "NVML name of the H800 PCIe card"),
    Model("H20", "H20", SXM, "NVML name of the HGX H20 module (MIG user guide: H20, 96GB)"),
    Model("H200", "H200", SXM, CAPTURES + "nvidia-smi-q_H200_driver590.48.01_load.txt"),
    Model("H200 NVL", "H200", NVL, "NVML name of the H200 NVL card (MIG user guide: H200 NVL, 141GB)"),
    Model("GH200*", "GH200", SUPERCHIP, CAPTURES + "nvidia-smi-q_GH200-480GB_driver550.127.05_remapped-uncorr.txt "
          "(NVIDIA GH200 480GB)"),
    Model("GB200", "GB200", SUPERCHIP, "NVML name of the GB200 superchip's GPU (MIG user guide: GB200, 186GB)"),
    Model("B200", "B200", SXM, "NVML name of the HGX B200 module (MIG user guide: B200, 180GB)"),
    Model("A100-SXM4-40GB", "A100", SXM, "NVIDIA's Kubernetes guide (driver 450.80.02; see above)"),
    Model("A100-SXM4-80GB", "A100", SXM, CAPTURES + "nvlink-s_8xA100-SXM4-80GB_12links.txt"),
    Model("A100-PCIE-40GB", "A100", PCIE, "NVML name of the A100 40GB PCIe card"),
    Model("A100 80GB PCIe", "A100", PCIE, "NVML name of the A100 80GB PCIe card"),
    Model("L40S", "L40S", PCIE, CAPTURES + "nvidia-smi-q_L40S_driver595.80.txt"),
    Model("L40", "L40", PCIE, "NVML name of the L40 card"),
    Model("GeForce RTX 4090", "RTX 4090", PCIE, CAPTURES + "nvidia-smi-q_8xRTX4090_driver535.154.05_sw-power-cap.txt"),
    Model("GeForce RTX 5090", "RTX 5090", PCIE, CAPTURES + "nvidia-smi-q_RTX5090_driver570.124.06.txt"),
    Model("RTX 6000 Ada Generation", "RTX 6000 Ada", PCIE, "NVML name of the RTX 6000 Ada Generation card"),
)


def normal(name: str) -> str:
    """A model name as names are compared: without a leading "NVIDIA ", spaces collapsed, case folded."""
    name = re.sub(r"\s+", " ", name).strip()
    if name.casefold().startswith("nvidia "):
        name = name[len("nvidia "):]
    return name.casefold()


@functools.lru_cache(maxsize=1024)  # asked for every GPU of every node, about the same few names
def same_model(name: str | None, pattern: str) -> bool:
    """Whether the NVML `name` is the model `pattern` names, as a whole name (`*` matches any text)."""
    return name is not None and fnmatchcase(normal(name), normal(pattern))


@functools.lru_cache(maxsize=256)
def model(name: str | None) -> Model | None:
    """The catalogue's entry for an NVML name, or None for a model readycheck does not know."""
    return next((m for m in MODELS if same_model(name, m.pattern)), None)


def describe(name: str) -> str:
    """`NVIDIA H100 NVL (H100, PCIe cards paired by NVLink bridges)`, or the name alone when unknown."""
    known = model(name)
    return f"{name} ({known.family}, {known.form})" if known else name


def on_c2c(name: str | None) -> bool:
    """Whether the GPU is a Grace superchip's, attached over NVLink-C2C rather than PCIe."""
    known = model(name)
    return known is not None and known.form == SUPERCHIP
