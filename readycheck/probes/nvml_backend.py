"""The NVML boundary: the only module that imports pynvml.

The NVML probe talks to a backend through three methods (`init`, `shutdown`,
`call(function_name, *args)`) that mirror NVML itself, so the probe reads like
the NVML documentation and a test can replace the driver with a fake returning
plain Python. `PynvmlBackend` is the real adapter: it turns every pynvml error
into `Unreadable(reason)`, ctypes structures into `SimpleNamespace`, bytes into
str, and field values into a dict. `GuardedNvml` wraps any backend, real or
fake, with what a hung or old driver needs: a deadline on every call, fail-fast
after the first hang, and functions that an old driver lacks probed only once.
"""

from __future__ import annotations

import ctypes
import importlib
import queue
import sys
import threading
import time
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, Callable, Protocol, TypeVar

from readycheck.facts import FUNCTION_NOT_FOUND, TIMEOUT, Unreadable

CALL_TIMEOUT_S = 5.0
# nvmlInit attaches to every GPU; without persistence mode that can take many
# seconds on an 8-GPU node, so it gets a longer deadline than a single query.
INIT_TIMEOUT_S = 30.0

# Only queries go through this boundary: the tool is read-only on the machine.
READ_ONLY_PREFIXES = ("nvmlDeviceGet", "nvmlSystemGet")

# nvmlReturn_t codes as the short CamelCase words `unavailable` maps carry
# (the same words pynvml uses in its NVMLError_<Word> class names).
NVML_ERROR_WORDS = {
    1: "Uninitialized", 2: "InvalidArgument", 3: "NotSupported", 4: "NoPermission",
    5: "AlreadyInitialized", 6: "NotFound", 7: "InsufficientSize", 8: "InsufficientPower",
    9: "DriverNotLoaded", 10: "Timeout", 11: "IrqIssue", 12: "LibraryNotFound",
    13: "FunctionNotFound", 14: "CorruptedInforom", 15: "GpuIsLost", 16: "ResetRequired",
    17: "OperatingSystem", 18: "LibRmVersionMismatch", 19: "InUse", 20: "Memory", 21: "NoData",
    22: "VgpuEccNotSupported", 23: "InsufficientResources", 24: "FreqNotSupported",
    25: "ArgumentVersionMismatch", 26: "Deprecated", 27: "NotReady", 28: "GpuNotFound",
    29: "InvalidState", 30: "ResetTypeNotSupported", 999: "Unknown",
}
NVML_ERROR_LIBRARY_NOT_FOUND = 12
ARGUMENT_VERSION_MISMATCH = "ArgumentVersionMismatch"
T = TypeVar("T")


def nvml_error_word(code: int) -> str:
    return NVML_ERROR_WORDS.get(code, f"NvmlError{code}")


class NvmlUnavailable(Exception):
    """NVML cannot be used at all. `str(exc)` says why in words, `reason` is a short word."""

    def __init__(self, message: str, reason: str = "NvmlUnavailable"):
        super().__init__(message)
        self.reason = reason


class NvmlBackend(Protocol):
    """What the NVML probe needs from a driver binding: NVML's own calls, by name.

    `call` takes an NVML function name (`"nvmlDeviceGetPowerUsage"`) and its
    arguments after any output parameters, and returns plain Python: ints, str,
    lists, tuples, `SimpleNamespace` for structures, opaque device handles, and
    for `nvmlDeviceGetFieldValues(handle, ids)` a dict id -> value or
    `Unreadable`. A value that cannot be read raises `Unreadable(reason)`.
    """

    def init(self) -> None:
        """Load and initialise NVML; raise `NvmlUnavailable` when it cannot be used."""

    def shutdown(self) -> None:
        """Release NVML."""

    def call(self, function: str, *args: Any) -> Any:
        """Run one read-only NVML query."""


# Functions whose pynvml wrapper wants the caller to allocate the output
# structure: function name -> pynvml structure class name. The versioned
# structure sets its own version field in its constructor.
_OUT_STRUCTS = {
    "nvmlDeviceGetGpuFabricInfoV": "c_nvmlGpuFabricInfoV_t",
    "nvmlDeviceGetGpuFabricInfo": "c_nvmlGpuFabricInfo_t",
}

# nvmlValueType_t -> member of the nvmlValue_t union that holds the value.
_VALUE_MEMBERS = {0: "dVal", 1: "uiVal", 2: "ulVal", 3: "ullVal", 4: "sllVal", 5: "siVal", 6: "usVal"}


# The library pynvml loads on Linux (pynvml._LoadNvmlLibrary: CDLL("libnvidia-ml.so.1")).
NVML_LIBRARY = "libnvidia-ml.so.1"


def library_loads() -> bool:
    """Whether the driver's NVML library loads, as pynvml will load it."""
    try:
        ctypes.CDLL(NVML_LIBRARY)
    except OSError:
        return False
    return True


class PynvmlBackend:
    """The real NVML, through NVIDIA's `nvidia-ml-py` binding (module `pynvml`).

    pynvml is imported in `init`, not at module import, so `readycheck` starts
    and works on machines without the binding or the driver; and only once the
    driver's library loads: on a node without the driver, importing pynvml just
    to hear that would cost a scan more than all its other probes.
    """

    def __init__(self) -> None:
        self._nvml: Any = None

    def init(self) -> None:
        if sys.platform.startswith("linux") and not library_loads():
            raise NvmlUnavailable(f"{NVML_LIBRARY} not found", "LibraryNotFound")
        try:
            self._nvml = importlib.import_module("pynvml")
        except ImportError:
            raise NvmlUnavailable("nvidia-ml-py (module pynvml) is not installed", "BindingNotInstalled") \
                from None
        try:
            self._nvml.nvmlInit()
        except self._nvml.NVMLError as exc:
            code = getattr(exc, "value", None)
            if code == NVML_ERROR_LIBRARY_NOT_FOUND:
                raise NvmlUnavailable("libnvidia-ml.so.1 not found", "LibraryNotFound") from None
            raise NvmlUnavailable(str(exc), nvml_error_word(code)) from None
        except Exception as exc:  # a broken binding must read as "NVML unavailable", not crash collect
            raise NvmlUnavailable(f"nvmlInit failed: {type(exc).__name__}: {exc}") from None

    def shutdown(self) -> None:
        try:
            self._nvml.nvmlShutdown()
        except self._nvml.NVMLError as exc:
            raise Unreadable(nvml_error_word(getattr(exc, "value", -1)), f"nvmlShutdown: {exc}") from None

    def call(self, function: str, *args: Any) -> Any:
        if not function.startswith(READ_ONLY_PREFIXES):
            raise ValueError(f"{function} is not a read-only NVML query; readycheck never changes the GPU")
        nvml = self._nvml
        if nvml is None:
            raise Unreadable("Uninitialized", f"{function}: init() was not called")
        fn = getattr(nvml, function, None)
        struct_name = _OUT_STRUCTS.get(function)
        struct = getattr(nvml, struct_name, None) if struct_name else None
        if fn is None or (struct_name and struct is None):
            raise Unreadable(FUNCTION_NOT_FOUND, f"{function}: not in this nvidia-ml-py")
        try:
            if struct is not None:
                out = struct()
                # pynvml hands this argument to libnvidia-ml unchanged: it must be a pointer, or
                # ctypes copies the structure onto the stack and NVML writes past it.
                fn(*args, ctypes.byref(out))
                return plain(out)
            result = fn(*args)
        except nvml.NVMLError as exc:
            code = getattr(exc, "value", -1)
            raise Unreadable(nvml_error_word(code), f"{function}: {exc}") from None
        except (TypeError, ValueError, AttributeError, ctypes.ArgumentError) as exc:
            # The binding's signature differs from the one this adapter expects
            # (an older or newer nvidia-ml-py): one unreadable value, not a crash.
            raise Unreadable("BindingError", f"{function}: {type(exc).__name__}: {exc}") from None
        if function == "nvmlDeviceGetFieldValues":
            return field_values(args[1], result)
        if function == "nvmlDeviceGetSamples":
            return samples(result)
        return plain(result)


def plain(value: Any) -> Any:
    """ctypes structures -> SimpleNamespace, arrays -> lists, bytes -> str; handles pass through."""
    if value.__class__ in (int, str, float):  # most answers: nothing to convert
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (ctypes.Structure, ctypes.Union)):
        return SimpleNamespace(**{name: plain(getattr(value, name)) for name, *_ in value._fields_})
    if isinstance(value, ctypes.Array):
        return [plain(item) for item in value]
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value


def field_values(requested: Sequence[Any], values: Any) -> dict[Any, Any]:
    """nvmlFieldValue_t array -> {requested id: value or Unreadable}, keyed as the caller asked.

    A request may be a field id or an (id, scope) pair; each entry carries its
    own return code, so one unsupported field does not hide the others.
    """
    result: dict[Any, Any] = {}
    for key, value in zip(requested, values):
        if value.nvmlReturn != 0:
            word = nvml_error_word(value.nvmlReturn)
            result[key] = Unreadable(word, f"field {value.fieldId}: {word}")
            continue
        member = _VALUE_MEMBERS.get(value.valueType)
        if member is None:
            result[key] = Unreadable("UnknownValueType", f"field {value.fieldId}: value type {value.valueType}")
        else:
            result[key] = getattr(value.value, member)
    return result


def samples(result: Any) -> list[tuple[int, Any]]:
    """pynvml's (nvmlValueType_t, [nvmlSample_t]) -> [(CPU timestamp in microseconds, value)]."""
    value_type, raw = result
    member = _VALUE_MEMBERS.get(value_type)
    if member is None:
        raise Unreadable("UnknownValueType", f"nvmlDeviceGetSamples: value type {value_type}")
    return [(int(sample.timeStamp), getattr(sample.sampleValue, member)) for sample in raw]


class _Pending:
    __slots__ = ("done", "value", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: Exception | None = None


class _Watch:
    """A reading run on the worker thread by `GuardedNvml.watched`: the call in progress, and every call so
    far with its answer (value or `Unreadable`), keyed only if a hang needs them (`answers_by_call`)."""

    __slots__ = ("current", "answers")

    def __init__(self) -> None:
        self.current: tuple[str, float] | None = None  # (function, monotonic start)
        self.answers: list[tuple[str, tuple, Any]] = []

    def answers_by_call(self) -> dict[tuple, Any]:
        return {_call_key(function, args): answer for function, args, answer in list(self.answers)}


def _call_key(function: str, args: tuple) -> tuple:
    """A dictionary key for one call. Lists (field ids) become tuples; pynvml's device handles (ctypes
    pointers) cannot be hashed and count by identity: a reading keeps using the handles NVML gave it."""
    return (function, *map(_arg_key, args))


def _arg_key(arg: Any) -> Any:
    if isinstance(arg, list):
        return tuple(arg)
    try:
        hash(arg)
    except TypeError:
        return ("object", id(arg))
    return arg


class GuardedNvml:
    """A backend whose every call has a deadline, run on one daemon worker thread.

    NVML serialises calls behind a global lock, so once one call hangs, every
    later call would queue behind it: after the first timeout every call fails
    at once with `Timeout`. The worker is a daemon thread (a
    ThreadPoolExecutor's workers are joined at interpreter exit) so a call that
    never returns cannot keep the tool from exiting.

    Handing each call to the worker costs two thread switches, far more than
    the call itself (an 8-GPU node's snapshot makes some 1400 calls): `watched`
    runs a whole reading on the worker instead, its calls made there directly,
    with the caller watching the call in progress against the same deadline.

    Functions the driver or binding lacks (`FunctionNotFound`) are remembered
    and not asked again; `call_first` tries versioned names newest first, so
    the first GPU finds which one exists and the others go straight to it.
    """

    def __init__(self, backend: NvmlBackend, timeout: float = CALL_TIMEOUT_S,
                 init_timeout: float = INIT_TIMEOUT_S):
        self.backend = backend
        self.timeout = timeout
        self.init_timeout = init_timeout
        self.hung: str | None = None
        self._missing: set[str] = set()
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._watch: _Watch | None = None  # the reading the worker runs (see `watched`)
        self._replay: dict[tuple, Any] | None = None  # its answers, once a call in it hung

    def _serve(self) -> None:
        while True:
            job = self._requests.get()
            if job is None:
                return
            fn, args, pending = job
            try:
                pending.value = fn(*args)
            except Exception as exc:  # handed to the caller, who decides
                pending.error = exc
            finally:
                pending.done.set()

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._serve, name="nvml-calls", daemon=True)
            self._worker.start()

    def _run(self, label: str, timeout: float, fn: Any, *args: Any) -> Any:
        if self.hung is not None:
            raise Unreadable(TIMEOUT, f"{label}: not asked, NVML stopped answering at {self.hung}")
        self._start_worker()
        pending = _Pending()
        self._requests.put((fn, args, pending))
        if not pending.done.wait(timeout):
            self.hung = label
            raise Unreadable(TIMEOUT, f"{label}: no answer within {timeout:g}s")
        if pending.error is not None:
            raise pending.error
        return pending.value

    def init(self) -> None:
        try:
            self._run("nvmlInit", self.init_timeout, self.backend.init)
        except Unreadable as exc:
            raise NvmlUnavailable(f"nvmlInit gave no answer within {self.init_timeout:g}s "
                                  "(driver or a GPU hung)", exc.reason) from None

    def shutdown(self) -> None:
        """Release NVML unless a call hung (nvmlShutdown would only queue behind it), then `close`."""
        try:
            if self.hung is None:
                self._run("nvmlShutdown", self.timeout, self.backend.shutdown)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker thread; one stuck in a hung call is left to end with the process."""
        if self.hung is None and self._worker is not None:
            self._requests.put(None)
            self._worker = None

    def call(self, function: str, *args: Any) -> Any:
        if function in self._missing:
            raise Unreadable(FUNCTION_NOT_FOUND, f"{function}: not in this driver or binding")
        watch = self._watch
        if watch is not None and threading.current_thread() is self._worker:
            return self._call_watched(watch, function, args)
        if self._replay is not None and _call_key(function, args) in self._replay:
            answer = self._replay[_call_key(function, args)]
            if isinstance(answer, Unreadable):
                raise Unreadable(answer.reason, str(answer))
            return answer
        try:
            return self._run(function, self.timeout, self.backend.call, function, *args)
        except Unreadable as exc:
            if exc.reason == FUNCTION_NOT_FOUND:
                self._missing.add(function)
            raise

    def _call_watched(self, watch: _Watch, function: str, args: tuple) -> Any:
        """One call of a watched reading, on the worker: made directly, its start shown to the watcher."""
        if self.hung is not None:
            raise Unreadable(TIMEOUT, f"{function}: not asked, NVML stopped answering at {self.hung}")
        watch.current = (function, time.monotonic())
        try:
            answer = self.backend.call(function, *args)
        except Unreadable as exc:
            answer = exc
        finally:
            watch.current = None
        if self.hung is not None:  # it answered after the watcher gave up on it
            raise Unreadable(TIMEOUT, f"{function}: no answer within {self.timeout:g}s")
        watch.answers.append((function, args, answer))
        if isinstance(answer, Unreadable):
            if answer.reason == FUNCTION_NOT_FOUND:
                self._missing.add(function)
            raise answer
        return answer

    def watched(self, reading: Callable[..., T], *args: Any) -> T:
        """`reading(*args)`, a function that makes many NVML calls through this object, run on the worker
        with its calls made there directly: one hand-off in all instead of one per call.

        Every call keeps its deadline. The caller watches the call in progress; when one has run for
        `timeout`, NVML is marked hung and `reading` runs again on the caller's thread, where each call made
        before the hang answers as it did and every other fails at once with `Timeout`: the same result as
        handing each call over. `reading` must not depend on anything but NVML's answers and `args`, and
        gets the same `args` both times (give it its own list for messages, merged once it returned)."""
        if self.hung is not None:
            return reading(*args)
        watch = _Watch()
        pending = _Pending()

        def run() -> T:
            self._watch = watch
            try:
                return reading(*args)
            finally:
                self._watch = None  # before _serve marks `pending` done

        self._start_worker()
        self._requests.put((run, (), pending))
        while not pending.done.wait(self._time_left(watch)):
            current = watch.current
            if current is not None and time.monotonic() - current[1] >= self.timeout:
                self.hung = current[0]
                self._replay = watch.answers_by_call()
                return reading(*args)
        if pending.error is not None:
            raise pending.error
        return pending.value

    def _time_left(self, watch: _Watch) -> float:
        current = watch.current
        return self.timeout if current is None else max(0.0, current[1] + self.timeout - time.monotonic())

    def call_first(self, functions: Sequence[str], *args: Any) -> Any:
        """Call the first of `functions` (newest version first) that this driver and binding have."""
        for function in functions:
            if function in self._missing:
                continue
            try:
                return self.call(function, *args)
            except Unreadable as exc:
                if exc.reason == ARGUMENT_VERSION_MISMATCH:
                    self._missing.add(function)
                elif exc.reason != FUNCTION_NOT_FOUND:
                    raise
        raise Unreadable(FUNCTION_NOT_FOUND, f"none of {', '.join(functions)} in this driver or binding")
