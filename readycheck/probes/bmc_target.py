"""Which BMC to read over Redfish and how: the URL, the credentials, the TLS policy (`--bmc*` options).

Credentials come only from the environment (`READYCHECK_BMC_USER`,
`READYCHECK_BMC_PASSWORD`) or from a file (`--bmc-credentials FILE`, the same
two `NAME=value` lines, as systemd's EnvironmentFile= reads them) that only
its owner may read: a password flag would show in `ps` and in shell history.
The password is kept out of `repr()`, and `redact()` blanks it in any text
before that text is stored or shown.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from readycheck.errors import InputError
from readycheck.inputs import read_text

USER_VARIABLE = "READYCHECK_BMC_USER"
PASSWORD_VARIABLE = "READYCHECK_BMC_PASSWORD"
INSTALL_HINT = "--bmc needs DMTF's Redfish library: pip install 'readycheck[bmc]' (PyPI package redfish)"
HIDDEN = "***"


@dataclass(frozen=True)
class BmcTarget:
    """`url` None: discover the host interface from SMBIOS type 42. `ca_file` None: the default trust store."""

    url: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    user: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    def redact(self, text: str) -> str:
        """`text` with the password blanked, and the Basic credentials that encode it, whatever put them there."""
        if not self.password:
            return text
        import base64  # only a run with BMC credentials has anything to redact

        basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return text.replace(basic, HIDDEN).replace(self.password, HIDDEN)


def library_installed() -> bool:
    return importlib.util.find_spec("redfish") is not None


def from_options(url: str | None, ca_file: str | None, insecure: bool, credentials: str | None,
                 environ: dict[str, str] | None = None) -> BmcTarget:
    """The target the `--bmc*` options describe; a bad option is an `InputError` (exit 2), one line."""
    environ = os.environ if environ is None else environ
    if url is not None:
        _check_url(url)
        if not library_installed():
            raise InputError(INSTALL_HINT)
    if ca_file is not None:
        if insecure:
            raise InputError("--bmc-ca and --bmc-insecure contradict each other: give one")
        if not os.path.isfile(ca_file):
            raise InputError(f"--bmc-ca {ca_file}: no such file")
    if credentials is not None:
        user, password = read_credentials(credentials)
    else:
        user, password = environ.get(USER_VARIABLE) or None, environ.get(PASSWORD_VARIABLE) or None
    if (user is None) != (password is None):
        where = credentials or f"{USER_VARIABLE}/{PASSWORD_VARIABLE}"
        raise InputError(f"{where}: give both the BMC user and its password, or neither")
    return BmcTarget(url=url.rstrip("/") if url else None, ca_file=ca_file, insecure=insecure,
                     user=user, password=password)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise InputError(f"--bmc {url!r}: not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"--bmc {url!r}: give http:// or https:// and the BMC's address")
    if parts.username is not None or parts.password is not None:
        raise InputError(f"--bmc: the URL must not carry credentials (they would show in ps and in the facts); "
                         f"use {USER_VARIABLE}/{PASSWORD_VARIABLE} or --bmc-credentials FILE")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise InputError(f"--bmc {parts.scheme}://{parts.netloc}...: give the BMC's address only, no path")


def read_credentials(path: str) -> tuple[str | None, str | None]:
    """(user, password) from a credentials file only its owner can read (mode 0600 or 0400)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputError(f"--bmc-credentials {path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_IMODE(mode) & 0o077:
        raise InputError(f"--bmc-credentials {path}: mode {stat.S_IMODE(mode):04o} lets others read the BMC "
                         f"password; chmod 600 {path}")
    try:
        text = read_text(path, 64 * 1024, "BMC credentials file")  # a FIFO or a device is refused, never read
    except InputError as exc:
        raise InputError(f"--bmc-credentials {exc}") from None
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or name not in (USER_VARIABLE, PASSWORD_VARIABLE):
            # The line may hold the password: name the line, never show it.
            raise InputError(f"--bmc-credentials {path}: line {number}: expected {USER_VARIABLE}=... or "
                             f"{PASSWORD_VARIABLE}=...")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]  # systemd's quoting
        values[name] = value
    return values.get(USER_VARIABLE) or None, values.get(PASSWORD_VARIABLE) or None
