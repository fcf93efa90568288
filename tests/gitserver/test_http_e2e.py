"""Real git, the real AWS CLI credential helper and git-remote-codecommit over HTTPS."""

from __future__ import annotations

import base64
import http.client
import os
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import pytest

from onboard.sandbox.git_auth import sign_git_password
from tests.gitserver.conftest import (
    GIT_USER,
    HOST,
    HTTPS_URL,
    LONG_TERM_KEY,
    OTHER_KEY,
    REGION,
    REPO,
    SESSION_KEY,
    SESSION_TOKEN,
    GitWorld,
    aws_keys,
    configure_helper,
)

pytestmark = pytest.mark.e2e
DENIED_403 = "The requested URL returned error: 403"


def clone_commit_push(world: GitWorld, url: str, name: str, **env: str) -> None:
    target = world.tmp / name
    cloned = world.run("git", "clone", url, str(target), **env)
    assert cloned.returncode == 0, cloned.stderr
    assert (target / "README.md").exists()
    (target / f"{name}.txt").write_text(f"{name}\n")
    world.run("git", "add", ".", cwd=target)
    committed = world.run("git", "commit", "-qm", f"from {name}", cwd=target)
    assert committed.returncode == 0, committed.stderr
    pushed = world.run("git", "push", "origin", "HEAD:main", cwd=target, **env)
    assert pushed.returncode == 0, pushed.stderr
    check = world.run("git", "ls-remote", url, "refs/heads/main", **env)
    head = world.run("git", "rev-parse", "HEAD", cwd=target).stdout.strip()
    assert check.stdout.startswith(head), check.stdout + check.stderr


def test_helper_with_long_term_keys_clones_commits_and_pushes(git_world: GitWorld) -> None:
    configure_helper(git_world)
    clone_commit_push(git_world, HTTPS_URL, "helper", **aws_keys(LONG_TERM_KEY))
    outcomes = [(e.operation, e.outcome) for e in git_world.http.events]
    assert ("push", "ok") in outcomes and ("pull", "ok") in outcomes
    # The helper scoped on https://git-codecommit.*.amazonaws.com ran: SigV4, not Basic.
    assert any(e.principal.endswith("user/new-hire") for e in git_world.http.events)


def test_https_git_credentials_clone_commit_push(git_world: GitWorld) -> None:
    store = git_world.tmp / "git-credentials"
    store.write_text(f"https://{GIT_USER[0]}:{quote(GIT_USER[1], safe='')}@{HOST}\n")
    clone_commit_push(
        git_world,
        HTTPS_URL,
        "gitcreds",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="credential.helper",
        GIT_CONFIG_VALUE_0=f"store --file={store}",
    )


def test_mfa_session_with_the_helper_works_too(git_world: GitWorld) -> None:
    configure_helper(git_world)
    done = git_world.run("git", "ls-remote", HTTPS_URL, **aws_keys(SESSION_KEY, SESSION_TOKEN))
    assert done.returncode == 0, done.stderr
    assert "refs/heads/main" in done.stdout


def test_breaks_git_long_term_methods_get_403(git_world: GitWorld, breaks_git: None) -> None:
    configure_helper(git_world)
    helper = git_world.run(
        "git", "clone", HTTPS_URL, str(git_world.tmp / "b1"), **aws_keys(LONG_TERM_KEY)
    )
    assert helper.returncode == 128
    assert f"fatal: unable to access '{HTTPS_URL}/': {DENIED_403}" in helper.stderr
    assert git_world.http.events[-1].outcome == "denied: codecommit:GitPull"


def test_breaks_git_grc_with_mfa_session_succeeds(git_world: GitWorld, breaks_git: None) -> None:
    url = f"codecommit::{REGION}://{REPO}"
    clone_commit_push(git_world, url, "grc", **aws_keys(SESSION_KEY, SESSION_TOKEN))
    assert git_world.http.events[-1].outcome == "ok"


def test_user_without_codecommit_permission_gets_403(git_world: GitWorld) -> None:
    configure_helper(git_world)
    done = git_world.run("git", "ls-remote", HTTPS_URL, **aws_keys(OTHER_KEY))
    assert done.returncode == 128
    assert DENIED_403 in done.stderr
    assert git_world.http.events[-1].outcome == "denied: codecommit:GitPull"


def test_wrong_git_credential_password_gets_403(git_world: GitWorld) -> None:
    store = git_world.tmp / "bad-credentials"
    store.write_text(f"https://{GIT_USER[0]}:wrong@{HOST}\n")
    done = git_world.run(
        "git",
        "ls-remote",
        HTTPS_URL,
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="credential.helper",
        GIT_CONFIG_VALUE_0=f"store --file={store}",
    )
    assert done.returncode == 128
    assert DENIED_403 in done.stderr
    assert git_world.http.events[-1].outcome.startswith("auth-failed")


def _get(world: GitWorld, path: str, authorization: str | None = None, host: str = HOST):
    parts = urlsplit(world.http.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    headers = {"Host": host}
    if authorization:
        headers["Authorization"] = authorization
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_no_credentials_gets_401_with_basic_challenge(git_world: GitWorld) -> None:
    response, _ = _get(git_world, f"/v1/repos/{REPO}/info/refs?service=git-upload-pack")
    assert response.status == 401
    assert response.getheader("WWW-Authenticate", "").startswith("Basic")


def test_expired_signature_gets_403_and_fresh_one_200(git_world: GitWorld) -> None:
    path = f"/v1/repos/{REPO}"
    old = sign_git_password(
        LONG_TERM_KEY[1], REGION, HOST, path, datetime.now(UTC) - timedelta(minutes=20)
    )
    response, _ = _get(
        git_world, f"{path}/info/refs?service=git-upload-pack", _basic(LONG_TERM_KEY[0], old)
    )
    assert response.status == 403
    assert git_world.http.events[-1].outcome == "auth-failed: signature expired"
    fresh = sign_git_password(LONG_TERM_KEY[1], REGION, HOST, path)
    response, body = _get(
        git_world, f"{path}/info/refs?service=git-upload-pack", _basic(LONG_TERM_KEY[0], fresh)
    )
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/x-git-upload-pack-advertisement"
    assert b"refs/heads/main" in body


def test_unknown_repository_is_404_after_authorization(git_world: GitWorld) -> None:
    path = "/v1/repos/no-such-repo"
    password = sign_git_password(LONG_TERM_KEY[1], REGION, HOST, path)
    response, _ = _get(
        git_world, f"{path}/info/refs?service=git-upload-pack", _basic(LONG_TERM_KEY[0], password)
    )
    assert response.status == 404


def test_dumb_http_and_other_proxy_targets_are_refused(git_world: GitWorld) -> None:
    response, _ = _get(git_world, f"/v1/repos/{REPO}/HEAD")
    assert response.status == 404
    parts = urlsplit(git_world.http.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("CONNECT", "example.com:443")
    assert conn.getresponse().status == 403
    conn.close()


def test_no_secret_in_the_event_log(git_world: GitWorld) -> None:
    text = repr(list(git_world.http.events))
    for secret in (LONG_TERM_KEY[1], SESSION_KEY[1], SESSION_TOKEN, GIT_USER[1]):
        assert secret not in text


def test_large_push_uses_chunked_upload(git_world: GitWorld) -> None:
    """Bodies over http.postBuffer (1 MiB) arrive chunked; the server must decode them."""
    configure_helper(git_world)
    keys = aws_keys(LONG_TERM_KEY)
    target = git_world.tmp / "large"
    assert git_world.run("git", "clone", HTTPS_URL, str(target), **keys).returncode == 0
    (target / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git_world.run("git", "add", ".", cwd=target)
    git_world.run("git", "commit", "-qm", "large", cwd=target)
    pushed = git_world.run(
        "git",
        "push",
        "origin",
        "HEAD:refs/heads/large",
        cwd=target,
        GIT_TRACE_CURL="1",
        GIT_TRACE_CURL_NO_DATA="1",
        **keys,
    )
    assert pushed.returncode == 0, pushed.stderr[-2000:]
    assert "Transfer-Encoding: chunked" in pushed.stderr
    remote = git_world.run("git", "ls-remote", HTTPS_URL, "refs/heads/large", **keys)
    head = git_world.run("git", "rev-parse", "HEAD", cwd=target).stdout.strip()
    assert remote.stdout.startswith(head)


@pytest.mark.parametrize(
    ("offset", "why"),
    [(20 * 60, "signature expired"), (-10 * 60, "signature date is in the future")],
    ids=["developer-clock-behind", "developer-clock-ahead"],
)
def test_clock_skew_breaks_signed_passwords_like_codecommit(
    git_world: GitWorld, offset: float, why: str
) -> None:
    configure_helper(git_world)
    git_world.backend.clock_offset = offset
    try:
        done = git_world.run("git", "ls-remote", HTTPS_URL, **aws_keys(LONG_TERM_KEY))
    finally:
        git_world.backend.clock_offset = 0.0
    assert done.returncode == 128 and DENIED_403 in done.stderr
    assert git_world.http.events[-1].outcome == f"auth-failed: {why}"


def test_caching_helper_replays_an_expired_password_and_gets_403(git_world: GitWorld) -> None:
    """A generic `credential.helper = store` before the AWS helper: 403 once 15 min pass."""
    store = git_world.tmp / "replayed-credentials"
    store.unlink(missing_ok=True)
    git_world.run("git", "config", "--global", "credential.helper", f"store --file={store}")
    section = "credential.https://git-codecommit.*.amazonaws.com"
    git_world.run(
        "git", "config", "--global", f"{section}.helper", "!aws codecommit credential-helper $@"
    )
    git_world.run("git", "config", "--global", f"{section}.UseHttpPath", "true")
    keys = aws_keys(LONG_TERM_KEY)
    first = git_world.run("git", "ls-remote", HTTPS_URL, **keys)
    assert first.returncode == 0, first.stderr
    assert LONG_TERM_KEY[0] in store.read_text()  # the signed password got cached
    git_world.backend.clock_offset = 16 * 60
    try:
        later = git_world.run("git", "ls-remote", HTTPS_URL, **keys)
    finally:
        git_world.backend.clock_offset = 0.0
    assert later.returncode == 128 and DENIED_403 in later.stderr
    assert git_world.http.events[-1].outcome == "auth-failed: signature expired"
