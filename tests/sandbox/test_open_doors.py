"""The sandbox's doors: loopback only, admin paths behind the token, no CORS, time limits, homes."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from onboard.errors import InvalidInput
from onboard.sandbox.guard import Guard
from onboard.sandbox.home_claim import MARKER, claim_folder

from .helpers import client


def fetch(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, dict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_moto_admin_api_needs_the_token(sandbox) -> None:  # type: ignore[no-untyped-def]
    base = sandbox.endpoint_url
    status, _, body = fetch(base + "/moto-api/data.json")
    assert status == 403 and sandbox.new_hire.secret_access_key.encode() not in body
    assert b"X-Onboard-Sandbox-Token" in body
    status, _, _ = fetch(base + "/moto-api/reset", method="POST")
    assert status == 403
    assert client(sandbox, "sts").get_caller_identity()["Arn"].endswith("user/new-hire")
    token = {"X-Onboard-Sandbox-Token": sandbox.admin_token}
    status, _, _ = fetch(base + "/moto-api/data.json", headers=token)
    assert status == 200
    status, _, _ = fetch(base + "/onboard-sandbox/faults", method="DELETE")
    assert status == 403


def test_no_cors_and_only_loopback_host_names(sandbox) -> None:  # type: ignore[no-untyped-def]
    base = sandbox.endpoint_url
    status, headers, _ = fetch(
        base + "/", method="OPTIONS", headers={"Origin": "https://evil.example"}
    )
    assert status == 403
    assert not any(name.lower().startswith("access-control") for name in headers)
    # A DNS-rebinding page reaches 127.0.0.1 under its own host name.
    status, _, _ = fetch(base + "/moto-api/data.json", headers={"Host": "evil.example"})
    assert status == 403
    status, headers, _ = fetch(
        base + "/?Action=GetCallerIdentity&Version=2011-06-15", headers={"Origin": "https://x.y"}
    )
    assert not any(name.lower().startswith("access-control") for name in headers)


def _start_response(seen: dict[str, Any]) -> Any:
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen["status"], seen["headers"] = status, headers
        return lambda _data: None

    return start


def test_a_runaway_request_gets_503_and_others_are_still_served() -> None:
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            release.wait(10)
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Access-Control-Allow-Origin", "*")]
        )
        return [b"ok"]

    guard = Guard(app, "token", time_limit=0.3)
    environ = {"HTTP_HOST": "127.0.0.1:1", "REQUEST_METHOD": "GET"}
    slow: dict[str, Any] = {}
    started = time.monotonic()
    body = guard({**environ, "PATH_INFO": "/slow"}, _start_response(slow))
    assert slow["status"].startswith("503") and time.monotonic() - started < 2
    assert b"stopped waiting" in b"".join(body)
    fast: dict[str, Any] = {}
    assert list(guard({**environ, "PATH_INFO": "/fast"}, _start_response(fast))) == [b"ok"]
    assert fast["status"] == "200 OK"
    assert [name for name, _ in fast["headers"]] == ["Content-Type"]  # CORS header dropped
    release.set()


def test_oversized_request_body_is_refused() -> None:
    guard = Guard(lambda environ, start: [b""], "t")
    seen: dict[str, Any] = {}
    environ = {"HTTP_HOST": "localhost", "PATH_INFO": "/", "CONTENT_LENGTH": str(1 << 30)}
    guard(environ, _start_response(seen))
    assert seen["status"].startswith("413")


def test_home_that_is_not_empty_and_not_ours_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "me"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "codecommit_rsa").write_text("MY REAL KEY")
    with pytest.raises(InvalidInput) as caught:
        claim_folder(home, MARKER, "home")
    assert "was not made by the sandbox" in caught.value.what
    assert str(home / ".ssh" / "codecommit_rsa") in caught.value.why
    with pytest.raises(InvalidInput, match="not a folder"):
        claim_folder(Path("/dev/null"), MARKER, "home")
    with pytest.raises(InvalidInput, match="cannot use"):
        claim_folder(Path("/dev/null/home"), MARKER, "home")


def test_onboarded_scenario_never_overwrites_a_key_it_did_not_write(tmp_path: Path) -> None:
    from onboard.sandbox.account import Sandbox

    home = tmp_path / "home"
    claim_folder(home, MARKER, "home")  # a sandbox home from an earlier run
    (home / ".ssh").mkdir(mode=0o700)
    mine = home / ".ssh" / "codecommit_rsa"
    mine.write_text("THE USER'S OWN KEY")
    with Sandbox.start("onboarded", home_root=home, git=False) as sandbox:
        assert sandbox.ssh_private_key_path is not None
        assert sandbox.ssh_private_key_path != mine
        assert "PRIVATE KEY" in sandbox.ssh_private_key_path.read_text()
    assert mine.read_text() == "THE USER'S OWN KEY"
    # The key the sandbox wrote is its own: the next run may replace it, not add a third.
    with Sandbox.start("onboarded", home_root=home, git=False) as again:
        assert again.ssh_private_key_path == sandbox.ssh_private_key_path
    manifest = json.loads((home / MARKER).read_text())
    assert ".ssh/codecommit_rsa" not in manifest["files"]
