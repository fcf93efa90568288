"""The sandbox endpoint's front door: local callers only, admin paths behind a token, time limits.

The sandbox serves real-looking secrets on 127.0.0.1, and any web page the
developer opens can send requests there. So, in front of moto:
- the Host header must name the loopback (`127.0.0.1`, `localhost`, `[::1]`):
  a DNS-rebinding page reaches the port under its own name and is refused;
- moto's admin API (`/moto-api/...`: the whole state with secret keys, reset)
  and the fault endpoint answer only with the `X-Onboard-Sandbox-Token`
  header set to the sandbox's token, which only the env file holds;
- no CORS: preflights are refused and moto's `Access-Control-*` headers
  are dropped, so a page cannot read any answer;
- each request has a time limit: it runs in a worker thread, and when it
  takes longer the caller gets a 503 and the server goes on serving others.
  Request bodies are capped too.
"""

from __future__ import annotations

import hmac
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

TOKEN_HEADER = "X-Onboard-Sandbox-Token"
TOKEN_ENV = "ONBOARD_SANDBOX_ADMIN_TOKEN"
ADMIN_PREFIXES = ("/moto-api", "/onboard-sandbox/")
REQUEST_TIME_LIMIT = 30.0
MAX_BODY = 16 * 1024 * 1024
MAX_RUNAWAY = 4
"""Requests still running past their limit; beyond this new ones are refused at once."""
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def _host_name(environ: Environ) -> str:
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _refuse(start_response: StartResponse, status: str, message: str) -> list[bytes]:
    body = json.dumps({"__type": "AccessDeniedException", "message": message}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class Guard:
    """Wraps the sandbox's WSGI app with the rules in the module docstring."""

    def __init__(self, app: WsgiApp, token: str, *, time_limit: float = REQUEST_TIME_LIMIT) -> None:
        self._app = app
        self._token = token
        self.time_limit = time_limit
        self._runaway = 0
        self._lock = threading.Lock()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if _host_name(environ).lower() not in LOOPBACK:
            return _refuse(start_response, "403 Forbidden", "The sandbox serves 127.0.0.1 only.")
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return _refuse(start_response, "403 Forbidden", "No cross-origin requests.")
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(ADMIN_PREFIXES):
            given = str(environ.get("HTTP_X_ONBOARD_SANDBOX_TOKEN", ""))
            if not hmac.compare_digest(given.encode(), self._token.encode()):
                return _refuse(
                    start_response,
                    "403 Forbidden",
                    f"The sandbox's admin paths need the {TOKEN_HEADER} header "
                    f"({TOKEN_ENV} in the sandbox's env file).",
                )
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = MAX_BODY + 1
        if length > MAX_BODY:
            return _refuse(start_response, "413 Payload Too Large", "The request is too large.")
        return self._run_limited(environ, start_response)

    def _run_limited(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            if self._runaway >= MAX_RUNAWAY:
                return _refuse(
                    start_response, "503 Service Unavailable", "The sandbox is busy; try again."
                )
        reply: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            reply["status"], reply["headers"] = status, headers
            return lambda _data: None

        def work() -> None:
            try:
                chunks = self._app(environ, capture)
                try:
                    reply["body"] = list(chunks)
                finally:
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()
            except BaseException as exc:  # handed to the serving thread below
                reply["error"] = exc
            finally:
                finished.set()

        finished = threading.Event()
        worker = threading.Thread(target=work, daemon=True, name="onboard-sandbox-request")
        worker.start()
        if not finished.wait(self.time_limit):
            with self._lock:
                self._runaway += 1
            threading.Thread(target=self._reap, args=(finished,), daemon=True).start()
            return _refuse(
                start_response,
                "503 Service Unavailable",
                f"The sandbox stopped waiting for this request after {self.time_limit:g} s.",
            )
        if "error" in reply:
            raise reply["error"]
        if "status" not in reply:  # the app closed the connection itself (a "drop" fault)
            return []
        headers = [
            (name, value)
            for name, value in reply["headers"]
            if not name.lower().startswith("access-control-")
        ]
        start_response(reply["status"], headers)
        body: list[bytes] = reply.get("body", [])
        return body

    def _reap(self, finished: threading.Event) -> None:
        finished.wait()
        with self._lock:
            self._runaway -= 1
