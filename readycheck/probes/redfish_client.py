"""GETs from a BMC's Redfish service through DMTF's client library (PyPI `redfish`), bounded and quiet.

The only module that imports `redfish`. The library's defaults do not suit a
probe, so each is set here:

- no timeout by default: every request gets `REQUEST_TIMEOUT_S`, cut to what is
  left of the whole read's `BUDGET_S`;
- 10 retries a second apart, for any error: `MAX_RETRY` is 1;
- TLS not verified unless a CA file is given: an HTTPS adapter forces
  verification (the certifi bundle, or `--bmc-ca FILE`), switched off only by
  `--bmc-insecure`;
- its logger dumps the session token (and error bodies) at DEBUG and ERROR: it
  gets a NullHandler and does not propagate, so nothing of it reaches a log;
- its exceptions hide the cause (`RetriesExhaustedError().__cause__`): each is
  turned into `Unreadable` with a reason word and a plain sentence of ours,
  never the library's text, and that sentence is passed through the target's
  `redact()`.

Login is HTTP Basic (DSP0266, Redfish Specification, "Authentication": a
service supports both Basic and session login): a read of a dozen GETs needs
no session, and a session left open by a read that timed out would hold one
of the BMC's few session slots.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

from readycheck.facts import NOT_FOUND, TIMEOUT, Unreadable
from readycheck.probes.bmc_target import BmcTarget

REQUEST_TIMEOUT_S = 5.0
MAX_RETRY = 1
BUDGET_S = 12.0  # the whole read, with the probe's 1 s backstop, stays under 15 s
# Below this much time left a request is not started: it could not finish.
LEAST_S = 0.2

UNREACHABLE = "Unreachable"
LOGIN_REFUSED = "LoginRefused"
BAD_CERTIFICATE = "BadCertificate"
TLS_FAILED = "TlsFailed"
BMC_ERROR = "BmcError"
NO_LIBRARY = "NoLibrary"

_LOGGER = logging.getLogger("redfish")
_LOGGER.addHandler(logging.NullHandler())
_LOGGER.propagate = False
# Its own UserWarnings (a service root that wants credentials, a login without Location) are not ours to print.
warnings.filterwarnings("ignore", module=r"redfish(\.|$)")


class Session:
    """A logged-in (or anonymous) connection that answers `get(path) -> dict` until the deadline."""

    def __init__(self, target: BmcTarget, request_timeout_s: float | None = None):
        self.target = target
        self.budget_s = BUDGET_S
        self.deadline = time.monotonic() + self.budget_s
        self.request_timeout_s = request_timeout_s or REQUEST_TIMEOUT_S
        try:
            import redfish
            from redfish.rest.v1 import AuthMethod
        except ImportError:
            raise Unreadable(NO_LIBRARY, "DMTF's Redfish library is not installed: pip install "
                                         "'readycheck[bmc]'") from None
        adapter = _verifying_adapter(target)
        self.client = self._call(lambda: redfish.redfish_client(
            base_url=target.url, username=target.user, password=target.password,
            timeout=self._timeout(), max_retry=MAX_RETRY, https_adapter=adapter, check_connectivity=True))
        if target.user:
            self._call(lambda: self.client.login(auth=AuthMethod.BASIC))
        first = self.client.root_resp  # the library's connectivity check already fetched the service root
        self.root: dict[str, Any] = self._call(lambda: first.dict) if first.status == 200 else self.get("/redfish/v1/")
        if not isinstance(self.root, dict):
            raise Unreadable(BMC_ERROR, f"the BMC at {target.url} gave a service root that is not a JSON object")

    def get(self, path: str) -> dict[str, Any]:
        """The JSON object at `path`; HTTP errors and bad answers raise `Unreadable`."""
        response = self._call(lambda: self.client.get(path, timeout=self._timeout(), max_retry=self._retries()))
        status = response.status
        if status in (401, 403):
            raise Unreadable(LOGIN_REFUSED, self._refused(status, path))
        if status == 404:
            raise Unreadable(NOT_FOUND, f"the BMC has no {path} (HTTP 404)")
        if status != 200:
            raise Unreadable(BMC_ERROR, f"the BMC answered HTTP {status} for {path}")
        document = self._call(lambda: response.dict)
        if not isinstance(document, dict):
            raise Unreadable(BMC_ERROR, f"the BMC's answer for {path} is not a JSON object")
        return document

    def allow(self, seconds: float) -> None:
        """Let the next requests run until `seconds` from now (the load phase samples for minutes)."""
        self.budget_s = seconds
        self.deadline = time.monotonic() + seconds

    def close(self) -> None:
        try:
            self.client.logout()  # Basic login: no request, closes the connection pool
        except Exception:  # noqa: BLE001 - closing must not turn a good read into an error
            pass

    def _timeout(self) -> float:
        left = self.deadline - time.monotonic()
        if left < LEAST_S:
            raise Unreadable(TIMEOUT, f"the BMC read did not finish within {self.budget_s:g} s")
        return min(self.request_timeout_s, left)

    def _retries(self) -> int:
        """A retry only when the time left allows a second try (and the library's 1 s pause)."""
        return MAX_RETRY if self.deadline - time.monotonic() > 2 * self.request_timeout_s + 1 else 0

    def _refused(self, status: int, path: str) -> str:
        if not self.target.user:
            return (f"the BMC wants credentials for {path} (HTTP {status}): set READYCHECK_BMC_USER and "
                    f"READYCHECK_BMC_PASSWORD, or --bmc-credentials FILE")
        return f"the BMC refused the credentials for {path} (HTTP {status})"

    def _call(self, action):
        """Run one library call; its exceptions become `Unreadable` with our words, never its text."""
        from redfish.rest.v1 import (
            InvalidCredentialsError,
            JsonDecodingError,
            RetriesExhaustedError,
            ServerDownOrUnreachableError,
        )

        url = self.target.url
        try:
            return action()
        except Unreadable:
            raise
        except InvalidCredentialsError:
            raise Unreadable(LOGIN_REFUSED, self.target.redact(
                f"the BMC at {url} refused the login (HTTP 401): check READYCHECK_BMC_USER/READYCHECK_BMC_PASSWORD "
                f"or --bmc-credentials")) from None
        except RetriesExhaustedError as exc:
            raise _transport(exc.__cause__, url, self.target) from None
        except ServerDownOrUnreachableError as exc:
            status = getattr(getattr(exc, "response", None), "status", None)
            raise Unreadable(BMC_ERROR, f"the BMC at {url} did not give its service root (HTTP {status})") from None
        except JsonDecodingError:
            raise Unreadable(BMC_ERROR, f"the BMC at {url} answered with something that is not JSON") from None
        except Exception as exc:  # noqa: BLE001 - whatever the library raises, the probe says it plainly
            raise Unreadable(BMC_ERROR, f"the Redfish library failed talking to {url}: {type(exc).__name__}") from None


def _transport(cause: BaseException | None, url: str, target: BmcTarget) -> Unreadable:
    """The real failure behind the library's RetriesExhaustedError, in words."""
    import requests

    if isinstance(cause, requests.exceptions.SSLError):
        if "certificate verify failed" not in str(cause).lower():
            return Unreadable(TLS_FAILED, f"the TLS handshake with {url} failed (is it an HTTPS service?)")
        how = f"--bmc-ca {target.ca_file}" if target.ca_file else "the default trust store (certifi)"
        return Unreadable(BAD_CERTIFICATE, f"the BMC's TLS certificate at {url} is not trusted by {how} (or names "
                                           f"another host): pass --bmc-ca FILE with the CA that signed it, or "
                                           f"--bmc-insecure")
    if isinstance(cause, requests.exceptions.Timeout):
        return Unreadable(TIMEOUT, f"the BMC at {url} did not answer in time")
    if isinstance(cause, requests.exceptions.ConnectionError):
        return Unreadable(UNREACHABLE, f"cannot connect to the BMC at {url} (connection refused or reset, no "
                                       f"route, or not an HTTP service)")
    return Unreadable(BMC_ERROR, f"talking to the BMC at {url} failed: {type(cause).__name__}")


def _verifying_adapter(target: BmcTarget):
    """An HTTPS adapter that verifies the certificate as the target says, whatever the library passes."""
    import requests.adapters

    verify: bool | str = False if target.insecure else (target.ca_file or True)

    class VerifyingAdapter(requests.adapters.HTTPAdapter):
        def send(self, request, **kwargs):
            kwargs["verify"] = verify
            return super().send(request, **kwargs)

    return VerifyingAdapter()
