"""Test helpers live beside the tests (factsbuilder, fake_nvml, machine); make them importable from subfolders."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
