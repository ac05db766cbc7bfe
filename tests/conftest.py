"""Test helpers live beside the tests (factsbuilder, fake_nvml, machine); make them importable from subfolders."""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# readycheck keeps compiled templates and parsed rule packs in the user's cache (readycheck.cache): the
# tests, and the commands they start, use a cache of their own, emptied when they end.
_CACHE = tempfile.mkdtemp(prefix="readycheck-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
