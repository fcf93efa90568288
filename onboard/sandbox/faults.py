"""Faults the sandbox can inject so error paths are tested for real.

A WSGI middleware in front of moto: throttling (HTTP 400 Throttling, as AWS),
server errors (HTTP 500 InternalFailure), latency (sleep, then serve) and a
dropped connection (socket closed with no reply). Each fault applies to the
next `count` AWS requests (optionally of one service).
Other processes can inject faults into a standalone sandbox with
`POST /onboard-sandbox/faults` (JSON: kind, count, service, seconds) and
clear them with `DELETE /onboard-sandbox/faults`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from onboard.errors import InvalidInput

KINDS = ("throttle", "server-error", "latency", "drop")
ADMIN_PATH = "/onboard-sandbox/faults"

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


@dataclass
class Fault:
    """One injected fault and how many more requests it hits (-1: all)."""

    kind: str
    count: int = 1
    service: str | None = None
    seconds: float = 0.0


def _service_of(environ: Environ) -> str:
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    scope = auth.partition("Credential=")[2].partition(",")[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def _is_json(environ: Environ) -> bool:
    return bool(environ.get("HTTP_X_AMZ_TARGET"))


def _error_body(environ: Environ, code: str, message: str) -> tuple[bytes, str]:
    if _is_json(environ):
        return json.dumps(
            {"__type": code, "message": message}
        ).encode(), "application/x-amz-json-1.1"
    xml = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return xml.encode(), "text/xml"


class FaultInjector:
    """Holds the planned faults and wraps the moto WSGI app."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._clock = clock
        self.hits: dict[str, int] = {}

    def inject(
        self, kind: str, *, count: int = 1, service: str | None = None, seconds: float = 0.0
    ) -> None:
        """Plan a fault for the next `count` requests (of `service`, if given)."""
        if kind not in KINDS:
            raise InvalidInput(
                f"unknown sandbox fault {kind!r}",
                f"the sandbox can inject: {', '.join(KINDS)}",
                "pick one of those",
            )
        with self._lock:
            self._faults.append(Fault(kind, count, service, seconds))

    def clear(self) -> None:
        """Drop every planned fault."""
        with self._lock:
            self._faults.clear()

    def _take(self, environ: Environ) -> Fault | None:
        service = _service_of(environ)
        with self._lock:
            for fault in self._faults:
                if fault.service and fault.service != service:
                    continue
                if fault.count > 0:
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                self.hits[fault.kind] = self.hits.get(fault.kind, 0) + 1
                return fault
        return None

    def _admin(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "DELETE":
            self.clear()
        elif method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
                self.inject(
                    str(spec["kind"]),
                    count=int(spec.get("count", 1)),
                    service=spec.get("service"),
                    seconds=float(spec.get("seconds", 0.0)),
                )
            except (ValueError, KeyError, TypeError, AttributeError, InvalidInput) as exc:
                # Any malformed body (not an object, wrong types) is the caller's error.
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [str(exc).encode()]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"hits": self.hits}).encode()]

    def wrap(self, app: WsgiApp) -> WsgiApp:
        """The moto app behind the fault plan."""

        def middleware(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == ADMIN_PATH:
                return self._admin(environ, start_response)

            dated = start_response

            is_aws = bool(environ.get("HTTP_AUTHORIZATION")) and not str(
                environ.get("PATH_INFO", "")
            ).startswith("/moto-api")
            fault = self._take(environ) if is_aws else None
            if fault is None:
                return app(environ, dated)
            if fault.kind == "latency":
                time.sleep(fault.seconds)
                return app(environ, dated)
            if fault.kind == "drop":
                sock = environ.get("werkzeug.socket")
                if isinstance(sock, socket.socket):
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                return []
            if fault.kind == "throttle":
                code = "ThrottlingException" if _is_json(environ) else "Throttling"
                body, content_type = _error_body(environ, code, "Rate exceeded")
                status = "400 Bad Request"
            else:
                body, content_type = _error_body(
                    environ, "InternalFailure", "The request processing has failed."
                )
                status = "500 Internal Server Error"
            dated(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [body]

        return middleware
