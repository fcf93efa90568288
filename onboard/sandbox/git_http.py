"""The sandbox's CodeCommit git endpoint over HTTP(S): `git http-backend` behind auth.

One port does two jobs:
- plain smart HTTP at `http://127.0.0.1:<port>/v1/repos/<name>` (handy for
  tests and tools that take an endpoint), and
- an HTTP proxy that accepts `CONNECT git-codecommit.<region>.amazonaws.com:443`
  and speaks TLS inside the tunnel with a certificate from the sandbox CA.
  That is how git, with the real CodeCommit URL, reaches the sandbox (see
  `git_redirect.py`): the URL, and so the credential-helper scoping and the
  signed host, stay exactly those of the real service.

Requests are authenticated like CodeCommit (SigV4 password or HTTPS Git
credentials), authorized with the account's policies (`codecommit:GitPull`
/ `codecommit:GitPush` plus the KMS calls made via CodeCommit), and answered
401 without credentials and 403 when refused, like CodeCommit.
"""

from __future__ import annotations

import base64
import binascii
import collections
import logging
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from onboard.errors import OnboardError
from onboard.sandbox.git_auth import (
    GitAuthBackend,
    authenticate_http,
    authorize_git,
    backend_now,
)
from onboard.sandbox.git_tls import TlsMaterial, codecommit_hostnames, make_tls_material

log = logging.getLogger("onboard.sandbox.git_http")

_ROUTE = re.compile(
    r"^/v1/repos/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"(?P<rest>/info/refs|/git-upload-pack|/git-receive-pack)$"
)
_CONNECT_TARGET = re.compile(r"^git-codecommit(-fips)?\.[a-z0-9-]+\.amazonaws\.com:443$")
_MAX_BODY = 256 * 1024 * 1024
_CGI_TIMEOUT = 120


@dataclass(frozen=True)
class GitEvent:
    """One git request as the server judged it (no secrets: key ids and user names only)."""

    transport: str
    repo: str
    operation: str
    principal: str
    outcome: str
    """"ok", "unauthenticated", "auth-failed: <why>", "denied: <action>", "no-such-repo"."""
    message: str = ""


@dataclass(frozen=True)
class RunningServer:
    """A git endpoint running in a background thread."""

    url: str
    port: int
    _stop: Callable[[], None] = field(repr=False, compare=False)
    events: collections.deque[GitEvent] = field(
        default_factory=lambda: collections.deque(maxlen=1000), repr=False, compare=False
    )
    ca_cert: Path | None = None
    """The CA that signed the TLS certificate offered inside CONNECT tunnels."""
    host_public_key: str | None = None
    """The SSH host key in OpenSSH form (SSH endpoint only)."""

    def stop(self) -> None:
        """Stop serving and free the port (idempotent)."""
        self._stop()


class _GitHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    backend: GitAuthBackend
    tls_context: ssl.SSLContext
    events: collections.deque[GitEvent]


class _GitHttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "onboard-sandbox-codecommit"
    timeout = 60
    server: _GitHttpServer
    in_tls = False

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle and
        # delayed ACKs add ~40 ms to every request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        # Request lines hold no secrets (passwords travel in headers only).
        log.debug("%s " + format, self.client_address[0], *args)

    # -- the proxy side -----------------------------------------------------------
    def do_CONNECT(self) -> None:
        if self.in_tls or not _CONNECT_TARGET.match(self.path):
            self._reply(403, b"Only CodeCommit git hosts are served here.\n", close=True)
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tls = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake in tunnel failed: %s", exc)
            self.close_connection = True
            return
        self.connection = tls
        self.rfile = tls.makefile("rb", -1)
        self.wfile = socketserver._SocketWriter(tls)  # type: ignore[attr-defined]
        self.in_tls = True
        self.close_connection = False

    # -- the git side -------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve_git()

    def do_POST(self) -> None:
        self._serve_git()

    def _reply(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        close: bool = False,
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _record(self, event: GitEvent) -> None:
        self.server.events.append(event)
        log.info(
            "%s %s %s %s: %s",
            *(event.transport, event.operation, event.repo, event.principal, event.outcome),
        )

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > _MAX_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def _credentials(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, sep, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return (user, password) if sep else None

    def _serve_git(self) -> None:
        split = urlsplit(self.path)
        route = _ROUTE.match(split.path)
        # Only the smart protocol exists on CodeCommit: no dumb-HTTP file reads.
        if route is None or (route["rest"] == "/info/refs" and "service=" not in split.query):
            self._reply(404, b"Not found\n")
            return
        repo, rest = route["repo"], route["rest"]
        push = rest == "/git-receive-pack" or "service=git-receive-pack" in split.query
        operation = "push" if push else "pull"
        transport = "https" if self.in_tls else "http"
        body = b""
        if self.command == "POST":
            try:
                body = self._read_body()
            except (ValueError, OSError):
                self._reply(400, b"Bad request body\n", close=True)
                return
        credentials = self._credentials()
        if credentials is None:
            self._record(GitEvent(transport, repo, operation, "-", "unauthenticated"))
            self._reply(401, b"", {"WWW-Authenticate": 'Basic realm="AWS CodeCommit"'})
            return
        backend = self.server.backend
        host = self.headers.get("Host", "")
        now = backend_now(backend)
        auth = authenticate_http(
            backend, *credentials, host=host, path=f"/v1/repos/{repo}", now=now
        )
        principal = credentials[0].partition("%")[0]
        if auth.identity is None:
            outcome = f"auth-failed: {auth.failure}"
            self._record(GitEvent(transport, repo, operation, principal, outcome))
            self._reply(403, b"")
            return
        identity = auth.identity
        if auth.method == "git-credentials":
            method = "https-git-credentials"
        else:
            # Session credentials (`%<token>` in the user name): git-remote-codecommit's way.
            method = "grc" if "%" in credentials[0] else "https-helper"
        decision = authorize_git(
            backend, identity, repo, operation, method, secure_transport=self.in_tls, now=now
        )
        principal = identity.user_arn
        if not decision.allowed:
            outcome = f"denied: {decision.action}"
            self._record(GitEvent(transport, repo, operation, principal, outcome, decision.message))
            self._reply(403, b"")
            return
        repo_path = backend.repository_path(repo)
        if repo_path is None or not repo_path.is_dir():
            self._record(GitEvent(transport, repo, operation, principal, "no-such-repo"))
            self._reply(404, b"Repository not found\n")
            return
        self._record(GitEvent(transport, repo, operation, principal, "ok"))
        self._run_backend(repo_path, rest, split.query, body, identity.user_name)

    def _run_backend(
        self, repo_path: Path, rest: str, query: str, body: bytes, user_name: str
    ) -> None:
        env = {
            "PATH": _search_path(),
            "GIT_PROJECT_ROOT": str(repo_path.parent),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "PATH_INFO": f"/{repo_path.name}{rest}",
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user_name,
            "REMOTE_ADDR": self.client_address[0],
        }
        for header, variable in (
            ("Content-Encoding", "HTTP_CONTENT_ENCODING"),
            ("Git-Protocol", "GIT_PROTOCOL"),
        ):
            if self.headers.get(header):
                env[variable] = self.headers[header]
        try:
            done = subprocess.run(
                ["git", "http-backend"],
                input=body,
                capture_output=True,
                env=env,
                timeout=_CGI_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("git http-backend failed: %s", exc)
            self._reply(500, b"git http-backend failed\n", close=True)
            return
        head, _, payload = _split_cgi(done.stdout)
        status = 200
        headers: dict[str, str] = {}
        for line in head.splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split(" ", 1)[0])
            elif name and name.lower() not in ("content-length", "transfer-encoding"):
                headers[name.strip()] = value.strip()
        if done.returncode != 0 and not done.stdout:
            log.warning("git http-backend: %s", done.stderr.decode(errors="replace").strip())
            status = 500
        self._reply(status, payload, headers)


def cannot_listen(what: str, host: str, port: int, exc: OSError) -> OnboardError:
    """The error for a sandbox endpoint that cannot bind its address."""
    return OnboardError(
        f"the sandbox {what} endpoint cannot listen on {host}:{port}",
        exc.strerror or str(exc),
        "pick another port, or 0 for any free one",
    )


def _split_cgi(output: bytes) -> tuple[str, bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, sep, payload = output.partition(separator)
        if sep:
            return head.decode("latin-1"), sep, payload
    return "", b"", output


def _search_path() -> str:
    git = shutil.which("git")
    return str(Path(git).parent) if git else "/usr/bin:/bin"


def start_git_http(
    backend: GitAuthBackend,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls_dir: Path | None = None,
) -> RunningServer:
    """Serve the backend's repositories over smart HTTP (and as a CONNECT proxy for TLS).

    `tls_dir` keeps the sandbox CA and server certificate (a temp folder when
    None, removed on stop). Returns once the port is listening.
    """
    owned_tmp = None
    if tls_dir is None:
        owned_tmp = tempfile.mkdtemp(prefix="onboard-git-tls-")
        tls_dir = Path(owned_tmp)
    material: TlsMaterial = make_tls_material(tls_dir, codecommit_hostnames(backend.region))
    try:
        server = _GitHttpServer((host, port), _GitHttpHandler)
    except OSError as exc:
        if owned_tmp:
            shutil.rmtree(owned_tmp, ignore_errors=True)
        raise cannot_listen("git HTTPS", host, port, exc) from exc
    server.backend = backend
    server.tls_context = material.server_context()
    events: collections.deque[GitEvent] = collections.deque(maxlen=1000)
    server.events = events
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},
        daemon=True,
        name="onboard-git-http",
    )
    thread.start()
    stopped = threading.Event()

    def stop() -> None:
        if stopped.is_set():
            return
        stopped.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        if owned_tmp:
            shutil.rmtree(owned_tmp, ignore_errors=True)

    bound_port = server.server_address[1]
    url_host = host if ":" not in host else f"[{host}]"
    return RunningServer(
        f"http://{url_host}:{bound_port}", int(bound_port), stop, events, material.ca_cert
    )


def port_is_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port (for health checks)."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False
