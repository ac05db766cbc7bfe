"""DMTF's Redfish Mockup Server on a loopback port, serving DMTF's public-rackmount1 mockup or a variant.

The server (DMTF/Redfish-Mockup-Server, `redfishMockupServer.py`, BSD 3-Clause code) is not on PyPI and
is not copied into this repository: the tests run it from the folder named by
`READYCHECK_REDFISH_MOCKUP_SERVER` (a checkout of that repository; .ci/run sets it when the project's
tools folder holds one). Without it they serve the same mockup files the way that server's short-form
mode does (each resource is its folder's `index.json`, query strings ignored, optional TLS and a fixed
delay per answer) from a small stdlib server here, so the probe still runs end to end over HTTP; which
one served is `SERVER_KIND`. The mockup data is
tests/data/redfish/public-rackmount1 (see its NOTICE.md); a variant lays the files of
tests/data/redfish/variants/<name>/ over a copy of it and removes the folders its REMOVE file lists.

Also here: the small stdlib servers for what the mockup server cannot do (it never answers 401).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DATA = Path(__file__).parent / "data" / "redfish"
MOCKUP = DATA / "public-rackmount1"
VARIANTS = DATA / "variants"
TLS = DATA / "tls"
STUBS = Path(__file__).parent / "redfish_stubs"
SERVER = Path(os.environ.get("READYCHECK_REDFISH_MOCKUP_SERVER") or "/nonexistent") / "redfishMockupServer.py"

SERVER_KIND = "DMTF Redfish-Mockup-Server" if SERVER.is_file() else "the mockup's files over a stdlib server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mockup(tmp_path: Path, variant: str | None = None) -> Path:
    """The mockup folder to serve: the original, or a copy with the variant's edits."""
    if variant is None:
        return MOCKUP
    folder = tmp_path / f"mockup-{variant}"
    shutil.copytree(MOCKUP, folder)
    edits = VARIANTS / variant
    removed = edits / "REMOVE"
    for line in removed.read_text().split() if removed.exists() else []:
        shutil.rmtree(folder / line)
    for path in edits.rglob("index.json"):
        target = folder / path.relative_to(edits)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return folder


@contextlib.contextmanager
def mockup_server(folder: Path, *, tls: bool = False, delay_s: float = 0.0):
    """Serve `folder` on 127.0.0.1 (DMTF's server where there is a checkout, else `_files_server`); yield
    the URL; stop the server afterwards."""
    server = _dmtf_server if SERVER.is_file() else _files_server
    with server(folder, tls=tls, delay_s=delay_s) as url:
        yield url


class _Files(BaseHTTPRequestHandler):
    """GET answers `<folder>/<path below /redfish/v1>/index.json`, as DMTF's server does for a short-form
    mockup; anything else is 404 or 405."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes) -> None:
        time.sleep(self.server.delay_s)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        path = self.path.split("?", 1)[0].rstrip("/")
        if path != "/redfish" and not path.startswith("/redfish/v1"):
            self._send(404, b"{}")
            return
        relative = path[len("/redfish/v1"):].lstrip("/")
        target = (self.server.folder / relative / "index.json").resolve()
        if self.server.folder not in target.parents or not target.is_file():
            self._send(404, b"{}")
            return
        self._send(200, target.read_bytes())

    def do_POST(self):  # noqa: N802
        self._send(405, b"{}")


@contextlib.contextmanager
def _files_server(folder: Path, *, tls: bool = False, delay_s: float = 0.0):
    import ssl

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    httpd.folder, httpd.delay_s = folder.resolve(), delay_s
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(TLS / "bmc-cert.pem", TLS / "bmc-key.pem")
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def _dmtf_server(folder: Path, *, tls: bool = False, delay_s: float = 0.0):
    """Run DMTF's server on 127.0.0.1 serving `folder`; yield its URL; stop it (SIGTERM) afterwards."""
    port = free_port()
    argv = [sys.executable, str(SERVER), "-H", "127.0.0.1", "-p", str(port), "-S", "-D", str(folder)]
    if tls:
        argv += ["-s", "--cert", str(TLS / "bmc-cert.pem"), "--key", str(TLS / "bmc-key.pem")]
    if delay_s:
        argv += ["-t", str(delay_s)]
    env = dict(os.environ, PYTHONPATH=str(STUBS))
    log = open(folder.parent / f"mockup-server-{port}.log", "wb") if folder != MOCKUP else subprocess.DEVNULL
    server = subprocess.Popen(argv, cwd=SERVER.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL)
    try:
        _wait_for(port, server)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if log is not subprocess.DEVNULL:
            log.close()


def _wait_for(port: int, server: subprocess.Popen, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the mockup server exited with status {server.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"the mockup server did not listen on port {port} within {seconds:g} s")


class _Refusing(BaseHTTPRequestHandler):
    """A BMC that gives its service root but answers 401 to everything else, as a real one does to a
    wrong password (DMTF's mockup server has no authentication). It remembers what it was sent."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="BMC"')
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.seen.append(self.headers.get("Authorization"))
        if self.path.rstrip("/") == "/redfish/v1":
            self._send(200, b'{"@odata.id": "/redfish/v1/", "RedfishVersion": "1.15.0", "Chassis": '
                            b'{"@odata.id": "/redfish/v1/Chassis"}, "Links": {"Sessions": '
                            b'{"@odata.id": "/redfish/v1/SessionService/Sessions"}}}')
        else:
            self._send(401, b'{"error": {"code": "Base.1.8.GeneralError", "message": "401 Unauthorized"}}')


@contextlib.contextmanager
def refusing_server():
    """Yield (URL, list of Authorization headers received) of a BMC that answers 401."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.seen
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server():
    """Yield the URL of a BMC that accepts connections and never answers (a hung BMC)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
