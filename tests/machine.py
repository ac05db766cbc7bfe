"""What this machine has, for tests about a machine without it.

`nvml_here()` says whether this machine's NVIDIA driver answers with at least one GPU (probed once, in
a child process, so the tests' own pynvml stays untouched); `needs_no_gpu` skips, saying so, a test of
what readycheck does on a machine without a GPU when it runs on one with a GPU.
"""

import functools
import subprocess
import sys

import pytest


@functools.lru_cache(maxsize=1)
def nvml_here() -> bool:
    probe = "import pynvml; pynvml.nvmlInit(); print(pynvml.nvmlDeviceGetCount())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and done.stdout.strip() not in ("", "0")


def needs_no_gpu(reason: str):
    """Skip where this machine has a working NVIDIA driver and a GPU: the test is about a machine without."""
    return pytest.mark.skipif(nvml_here(), reason=f"this machine has an NVIDIA GPU; {reason}")
