"""The pynvml adapter (with pynvml's functions monkeypatched: no GPU here) and the call guard."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pynvml
import pytest

from readycheck.facts import Unreadable
from readycheck.probes import nvml_backend
from readycheck.probes.nvml_backend import GuardedNvml, NvmlUnavailable, PynvmlBackend

PACKAGE = Path(__file__).resolve().parents[1] / "readycheck"


@pytest.fixture(autouse=True)
def driver_library(monkeypatch):
    """As on a GPU node: the driver's libnvidia-ml.so.1 loads (pynvml's functions are patched per test)."""
    monkeypatch.setattr(nvml_backend, "library_loads", lambda: True)


@pytest.fixture
def backend(monkeypatch):
    monkeypatch.setattr(pynvml, "nvmlInit", lambda: None)
    adapter = PynvmlBackend()
    adapter.init()
    return adapter


def raising(error):
    def fn(*args):
        raise error
    return fn


# -- PynvmlBackend --

def test_importing_the_probe_does_not_import_pynvml():
    code = "import sys, readycheck.probes.nvml; print('pynvml' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.stdout.strip() == "False", done.stderr


def test_only_the_backend_imports_pynvml():
    pattern = re.compile(r"^\s*(import|from)\s+pynvml\b|import_module\(\s*['\"]pynvml", re.MULTILINE)
    importers = sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                       if pattern.search(p.read_text(encoding="utf-8")))
    assert importers == ["probes/nvml_backend.py"]


@pytest.mark.parametrize("code, message, reason", [
    (pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "libnvidia-ml.so.1 not found", "LibraryNotFound"),
    (pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "Driver Not Loaded", "DriverNotLoaded"),
    (pynvml.NVML_ERROR_NO_PERMISSION, "Insufficient Permissions", "NoPermission"),
])
def test_init_failure_says_why_in_words(monkeypatch, code, message, reason):
    monkeypatch.setattr(pynvml, "nvmlInit", raising(pynvml.NVMLError(code)))
    with pytest.raises(NvmlUnavailable) as caught:
        PynvmlBackend().init()
    assert str(caught.value) == message
    assert caught.value.reason == reason


def test_without_the_driver_library_pynvml_is_not_even_imported(tmp_path):
    code = ("import sys\nfrom readycheck.probes import nvml_backend\n"
            "nvml_backend.NVML_LIBRARY = 'libnvidia-ml-absent.so.1'\n"
            "try:\n    nvml_backend.PynvmlBackend().init()\n"
            "except nvml_backend.NvmlUnavailable as exc:\n    print(exc.reason, exc)\n"
            "print('pynvml' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent)
    assert done.stdout.splitlines() == ["LibraryNotFound libnvidia-ml-absent.so.1 not found", "False"], done.stderr


def test_init_without_the_binding(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    with pytest.raises(NvmlUnavailable, match="nvidia-ml-py .* not installed") as caught:
        PynvmlBackend().init()
    assert caught.value.reason == "BindingNotInstalled"


@pytest.mark.parametrize("error, reason", [
    (pynvml.NVMLError_NotSupported, "NotSupported"),
    (pynvml.NVMLError_FunctionNotFound, "FunctionNotFound"),
    (pynvml.NVMLError_NoPermission, "NoPermission"),
    (pynvml.NVMLError_GpuIsLost, "GpuIsLost"),
    (pynvml.NVMLError_NotFound, "NotFound"),
    (pynvml.NVMLError_Timeout, "Timeout"),
    (pynvml.NVMLError_InvalidArgument, "InvalidArgument"),
    (pynvml.NVMLError_LibRmVersionMismatch, "LibRmVersionMismatch"),
])
def test_nvml_errors_become_reason_words(backend, monkeypatch, error, reason):
    monkeypatch.setattr(pynvml, "nvmlDeviceGetPowerUsage", raising(error()))
    with pytest.raises(Unreadable) as caught:
        backend.call("nvmlDeviceGetPowerUsage", "handle")
    assert caught.value.reason == reason
    assert "nvmlDeviceGetPowerUsage" in str(caught.value)


def test_an_unknown_error_code_still_gets_a_word(backend, monkeypatch):
    monkeypatch.setattr(pynvml, "nvmlDeviceGetPowerUsage", raising(pynvml.NVMLError(4242)))
    with pytest.raises(Unreadable) as caught:
        backend.call("nvmlDeviceGetPowerUsage", "handle")
    assert caught.value.reason == "NvmlError4242"


def test_a_function_missing_from_the_binding_is_function_not_found(backend, monkeypatch):
    monkeypatch.delattr(pynvml, "nvmlDeviceGetGpuFabricInfoV")
    with pytest.raises(Unreadable) as caught:
        backend.call("nvmlDeviceGetGpuFabricInfoV", "handle")
    assert caught.value.reason == "FunctionNotFound"


def test_a_binding_lacking_the_output_structure_is_function_not_found(backend, monkeypatch):
    monkeypatch.delattr(pynvml, "c_nvmlGpuFabricInfoV_t")
    with pytest.raises(Unreadable) as caught:
        backend.call("nvmlDeviceGetGpuFabricInfoV", "handle")
    assert caught.value.reason == "FunctionNotFound"


def test_a_signature_mismatch_is_one_unreadable_value(backend, monkeypatch):
    monkeypatch.setattr(pynvml, "nvmlDeviceGetMemoryInfo", lambda: None)  # takes no handle
    with pytest.raises(Unreadable) as caught:
        backend.call("nvmlDeviceGetMemoryInfo", "handle")
    assert caught.value.reason == "BindingError"


def test_writes_are_refused(backend):
    for function in ("nvmlDeviceSetPowerManagementLimit", "nvmlDeviceResetGpuLockedClocks",
                     "nvmlDeviceClearEccErrorCounts"):
        with pytest.raises(ValueError, match="not a read-only NVML query"):
            backend.call(function, "handle", 1)


def test_bytes_become_str_and_structures_namespaces(backend, monkeypatch):
    monkeypatch.setattr(pynvml, "nvmlDeviceGetName", lambda handle: b"NVIDIA H100 80GB HBM3")
    assert backend.call("nvmlDeviceGetName", "handle") == "NVIDIA H100 80GB HBM3"

    def pci_info(handle):
        info = pynvml.nvmlPciInfo_t()
        info.busId = b"00000000:19:00.0"
        info.pciDeviceId = 0x233010DE
        return info

    monkeypatch.setattr(pynvml, "nvmlDeviceGetPciInfo_v3", pci_info)
    info = backend.call("nvmlDeviceGetPciInfo_v3", "handle")
    assert info.busId == "00000000:19:00.0"
    assert info.pciDeviceId == 0x233010DE
    assert not any(isinstance(v, bytes) for v in vars(info).values())

    monkeypatch.setattr(pynvml, "nvmlDeviceGetRemappedRows", lambda handle: (1, 2, 0, 1))
    assert backend.call("nvmlDeviceGetRemappedRows", "handle") == (1, 2, 0, 1)


def test_device_handles_pass_through(backend, monkeypatch):
    handle = pynvml.c_nvmlDevice_t()
    monkeypatch.setattr(pynvml, "nvmlDeviceGetHandleByIndex", lambda index: handle)
    assert backend.call("nvmlDeviceGetHandleByIndex", 0) is handle


def test_fabric_info_gets_a_versioned_output_structure(backend, monkeypatch):
    def fabric_info(handle, pointer):
        # pynvml passes this straight to the C library (no argtypes): only a pointer is right.
        assert type(pointer).__name__ == "CArgObject", f"structure passed by value: {type(pointer)}"
        info = pointer._obj
        assert info.version == pynvml.nvmlGpuFabricInfo_v2
        info.state, info.status, info.cliqueId = 3, 0, 7
        return pynvml.NVML_SUCCESS

    monkeypatch.setattr(pynvml, "nvmlDeviceGetGpuFabricInfoV", fabric_info)
    info = backend.call("nvmlDeviceGetGpuFabricInfoV", "handle")
    assert (info.state, info.status, info.cliqueId) == (3, 0, 7)
    assert isinstance(info.clusterUuid, list)


def test_field_values_become_a_dict_of_values_and_reasons(backend, monkeypatch):
    def field_values(handle, ids):
        values = (pynvml.c_nvmlFieldValue_t * len(ids))()
        for value, field_id in zip(values, ids):
            value.fieldId, value.scopeId = field_id if isinstance(field_id, tuple) else (field_id, 0)
        values[0].valueType, values[0].value.uiVal = pynvml.NVML_VALUE_TYPE_UNSIGNED_INT, 39
        values[1].valueType, values[1].value.siVal = pynvml.NVML_VALUE_TYPE_SIGNED_INT, -5
        values[2].nvmlReturn = pynvml.NVML_ERROR_NOT_SUPPORTED
        values[3].valueType, values[3].value.dVal = pynvml.NVML_VALUE_TYPE_DOUBLE, 1.5
        values[4].valueType, values[4].value.ullVal = pynvml.NVML_VALUE_TYPE_UNSIGNED_LONG_LONG, 2**40
        return values

    monkeypatch.setattr(pynvml, "nvmlDeviceGetFieldValues", field_values)
    ids = [pynvml.NVML_FI_DEV_MEMORY_TEMP, pynvml.NVML_FI_DEV_TEMPERATURE_SHUTDOWN_TLIMIT,
           pynvml.NVML_FI_DEV_TEMPERATURE_MEM_MAX_TLIMIT, 300, (301, 2)]
    result = backend.call("nvmlDeviceGetFieldValues", "handle", ids)
    assert set(result) == set(ids)
    assert result[82] == 39
    assert result[193] == -5
    assert isinstance(result[195], Unreadable) and result[195].reason == "NotSupported"
    assert result[300] == 1.5
    assert result[(301, 2)] == 2**40


def test_shutdown_failure_is_unreadable(backend, monkeypatch):
    monkeypatch.setattr(pynvml, "nvmlShutdown", raising(pynvml.NVMLError_Uninitialized()))
    with pytest.raises(Unreadable) as caught:
        backend.shutdown()
    assert caught.value.reason == "Uninitialized"


# -- GuardedNvml --

class Scripted:
    """A backend answering from a dict; a callable answer is called, so it can block or raise."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []
        self.shut_down = False

    def init(self):
        pass

    def shutdown(self):
        self.shut_down = True

    def call(self, function, *args):
        self.calls.append(function)
        answer = self.answers[function]
        return answer(*args) if callable(answer) else answer


def test_a_hung_call_times_out_and_later_calls_fail_fast():
    release = threading.Event()
    backend = Scripted({"nvmlDeviceGetPowerUsage": lambda h: release.wait(30), "nvmlDeviceGetName": "GPU"})
    guard = GuardedNvml(backend, timeout=0.1)
    try:
        started = time.monotonic()
        with pytest.raises(Unreadable) as caught:
            guard.call("nvmlDeviceGetPowerUsage", "h")
        assert caught.value.reason == "Timeout"
        assert guard.hung == "nvmlDeviceGetPowerUsage"
        with pytest.raises(Unreadable) as caught:
            guard.call("nvmlDeviceGetName", "h")
        assert caught.value.reason == "Timeout"
        assert time.monotonic() - started < 1.0
        assert backend.calls == ["nvmlDeviceGetPowerUsage"]
        guard.shutdown()
        assert not backend.shut_down  # it would only queue behind the hung call
        workers = [t for t in threading.enumerate() if t.name == "nvml-calls"]
        assert workers and all(t.daemon for t in workers)
    finally:
        release.set()


def _read_three(guard, seen):
    """A reading as the NVML probe makes one: several calls, a missing value kept as its reason."""
    values = []
    for function in ("nvmlDeviceGetName", "nvmlDeviceGetSerial", "nvmlDeviceGetPowerUsage", "nvmlDeviceGetUUID"):
        try:
            values.append(guard.call(function, "h"))
        except Unreadable as exc:
            values.append(exc.reason)
    seen.append(threading.current_thread().name)
    return values


def test_a_watched_reading_makes_its_calls_on_the_worker_in_one_hand_off():
    backend = Scripted({"nvmlDeviceGetName": "GPU", "nvmlDeviceGetSerial": raising(Unreadable("NotSupported")),
                        "nvmlDeviceGetPowerUsage": lambda h: time.sleep(0.05) or 95000, "nvmlDeviceGetUUID": "GPU-1"})
    guard = GuardedNvml(backend, timeout=0.5)
    seen = []
    assert guard.watched(_read_three, guard, seen) == ["GPU", "NotSupported", 95000, "GPU-1"]
    assert seen == ["nvml-calls"] and guard.hung is None  # a slow call under the deadline is no hang
    guard.shutdown()
    assert backend.shut_down


def test_a_hung_call_in_a_watched_reading_times_out_and_the_reading_ends_as_if_handed_over():
    """The deadline holds per call: the reading is replayed on the caller's thread, answers made before the
    hang as they were, the hung call and every later one Timeout, without asking NVML again."""
    release = threading.Event()
    backend = Scripted({"nvmlDeviceGetName": "GPU", "nvmlDeviceGetSerial": raising(Unreadable("NotSupported")),
                        "nvmlDeviceGetPowerUsage": lambda h: release.wait(30), "nvmlDeviceGetUUID": "GPU-1"})
    guard = GuardedNvml(backend, timeout=0.2)
    seen = []
    try:
        started = time.monotonic()
        assert guard.watched(_read_three, guard, seen) == ["GPU", "NotSupported", "Timeout", "Timeout"]
        assert 0.2 <= time.monotonic() - started < 1.5
        assert guard.hung == "nvmlDeviceGetPowerUsage" and seen == ["MainThread"]
        assert backend.calls == ["nvmlDeviceGetName", "nvmlDeviceGetSerial", "nvmlDeviceGetPowerUsage"]
    finally:
        release.set()


def test_calls_return_values_and_raise_reasons():
    backend = Scripted({"nvmlDeviceGetName": "NVIDIA H100 80GB HBM3",
                        "nvmlDeviceGetSerial": raising(Unreadable("NotSupported")),
                        "nvmlDeviceGetUUID": lambda h: 1 / 0})
    guard = GuardedNvml(backend)
    assert guard.call("nvmlDeviceGetName", "h") == "NVIDIA H100 80GB HBM3"
    with pytest.raises(Unreadable) as caught:
        guard.call("nvmlDeviceGetSerial", "h")
    assert caught.value.reason == "NotSupported"
    with pytest.raises(ZeroDivisionError):  # a bug is not disguised as a missing value
        guard.call("nvmlDeviceGetUUID", "h")
    guard.shutdown()
    assert backend.shut_down


def test_init_failure_and_init_hang_are_nvml_unavailable():
    class Failing(Scripted):
        def init(self):
            raise NvmlUnavailable("Driver Not Loaded", "DriverNotLoaded")

    with pytest.raises(NvmlUnavailable, match="Driver Not Loaded"):
        GuardedNvml(Failing({})).init()

    release = threading.Event()

    class Hanging(Scripted):
        def init(self):
            release.wait(30)

    try:
        with pytest.raises(NvmlUnavailable, match="no answer within 0.1s") as caught:
            GuardedNvml(Hanging({}), init_timeout=0.1).init()
        assert caught.value.reason == "Timeout"
    finally:
        release.set()


def test_missing_functions_are_asked_once():
    missing = raising(Unreadable("FunctionNotFound"))
    backend = Scripted({"nvmlDeviceGetGpuFabricInfoV": missing, "nvmlDeviceGetGpuFabricInfo": "v1"})
    guard = GuardedNvml(backend)
    for _ in range(3):
        with pytest.raises(Unreadable):
            guard.call("nvmlDeviceGetGpuFabricInfoV", "h")
    assert backend.calls == ["nvmlDeviceGetGpuFabricInfoV"]
    guard.shutdown()


def test_call_first_probes_versions_once_and_remembers():
    missing = raising(Unreadable("FunctionNotFound"))
    too_new = raising(Unreadable("ArgumentVersionMismatch"))
    backend = Scripted({"f_v3": too_new, "f_v2": missing, "f": "answer", "g_v2": "new", "g": "old"})
    guard = GuardedNvml(backend)
    assert guard.call_first(["f_v3", "f_v2", "f"], "h") == "answer"
    assert guard.call_first(["f_v3", "f_v2", "f"], "h") == "answer"
    assert backend.calls == ["f_v3", "f_v2", "f", "f"]
    assert guard.call_first(["g_v2", "g"], "h") == "new"
    guard.shutdown()


def test_call_first_does_not_fall_back_on_a_device_answer():
    backend = Scripted({"f_v2": raising(Unreadable("NotSupported")), "f": "old"})
    guard = GuardedNvml(backend)
    with pytest.raises(Unreadable) as caught:
        guard.call_first(["f_v2", "f"], "h")
    assert caught.value.reason == "NotSupported"
    assert backend.calls == ["f_v2"]

    missing = raising(Unreadable("FunctionNotFound"))
    backend.answers = {"f_v2": missing, "f": missing}
    guard2 = GuardedNvml(backend)
    with pytest.raises(Unreadable) as caught:
        guard2.call_first(["f_v2", "f"], "h")
    assert caught.value.reason == "FunctionNotFound"
    guard.shutdown()
    guard2.shutdown()
