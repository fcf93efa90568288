"""SigV4 git passwords, Git credentials and the request context, against the real helpers."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from onboard.sandbox.git_auth import (
    AuthFailure,
    authenticate_http,
    authorize_git,
    git_signature,
    request_context,
    sign_git_password,
    split_username,
    verify_signed_password,
)
from tests.gitserver.conftest import (
    ACCOUNT,
    BREAKS_GIT,
    FRESH,
    GIT_USER,
    HOST,
    LONG_TERM_KEY,
    REGION,
    REPO,
    SESSION_KEY,
    SESSION_TOKEN,
    VENV_BIN,
    GitUser,
    InMemoryBackend,
    load_policies,
)

PATH = f"/v1/repos/{REPO}"


@pytest.fixture
def backend(tmp_path) -> InMemoryBackend:
    user = GitUser(
        "new-hire",
        access_keys={
            LONG_TERM_KEY[0]: (LONG_TERM_KEY[1], "Active"),
            "AKIAINACTIVE00000001": ("inactive-secret", "Inactive"),
        },
        sessions={SESSION_KEY[0]: (SESSION_KEY[1], SESSION_TOKEN, datetime.now(UTC))},
        git_credentials={GIT_USER[0]: (GIT_USER[1], "Active"), "old-at-1": ("pw", "Inactive")},
        policies=load_policies(*FRESH),
    )
    return InMemoryBackend({REPO: tmp_path}, {"new-hire": user})


def helper_output(key: tuple[str, str], token: str | None, tmp_path) -> dict[str, str]:
    """What the real `aws codecommit credential-helper get` prints for our repository."""
    env = {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key[0],
        "AWS_SECRET_ACCESS_KEY": key[1],
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    if token:
        env["AWS_SESSION_TOKEN"] = token
    done = subprocess.run(
        [str(VENV_BIN / "aws"), "codecommit", "credential-helper", "get"],
        input=f"protocol=https\nhost={HOST}\npath=v1/repos/{REPO}\n\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def test_signature_matches_the_aws_cli_helper(tmp_path) -> None:
    out = helper_output(LONG_TERM_KEY, None, tmp_path)
    stamp, _, signature = out["password"].partition("Z")
    assert out["username"] == LONG_TERM_KEY[0]
    assert git_signature(LONG_TERM_KEY[1], REGION, HOST, PATH, stamp) == signature
    assert git_signature("some-other-secret", REGION, HOST, PATH, stamp) != signature


def test_helper_password_verifies_and_session_token_is_split(backend, tmp_path) -> None:
    out = helper_output(SESSION_KEY, SESSION_TOKEN, tmp_path)
    assert split_username(out["username"]) == (SESSION_KEY[0], SESSION_TOKEN)
    result = verify_signed_password(backend, out["username"], out["password"], HOST, PATH)
    assert result.ok, result.failure
    assert result.identity is not None and result.identity.mfa_authenticated_at is not None


def test_git_remote_codecommit_signs_the_same_way(backend) -> None:
    from botocore.credentials import Credentials
    from git_remote_codecommit import sign

    password = sign(HOST, PATH, REGION, Credentials(*LONG_TERM_KEY))
    assert verify_signed_password(backend, LONG_TERM_KEY[0], password, HOST, PATH).ok


def test_port_in_host_is_not_signed(backend) -> None:
    password = sign_git_password(LONG_TERM_KEY[1], REGION, HOST, PATH)
    assert verify_signed_password(backend, LONG_TERM_KEY[0], password, f"{HOST}:443", PATH).ok


@pytest.mark.parametrize(
    ("username", "secret", "host", "path", "shift", "failure"),
    [
        (LONG_TERM_KEY[0], "wrong-secret", HOST, PATH, 0, AuthFailure.BAD_SIGNATURE),
        (LONG_TERM_KEY[0], LONG_TERM_KEY[1], HOST, "/v1/repos/other", 0, AuthFailure.BAD_SIGNATURE),
        (
            LONG_TERM_KEY[0],
            LONG_TERM_KEY[1],
            "git-codecommit.eu-west-1.amazonaws.com",
            PATH,
            0,
            AuthFailure.BAD_SIGNATURE,
        ),
        (LONG_TERM_KEY[0], LONG_TERM_KEY[1], HOST, PATH, -16, AuthFailure.EXPIRED),
        (LONG_TERM_KEY[0], LONG_TERM_KEY[1], HOST, PATH, +10, AuthFailure.FUTURE),
        ("AKIAUNKNOWN000000000", LONG_TERM_KEY[1], HOST, PATH, 0, AuthFailure.UNKNOWN_KEY),
        ("AKIAINACTIVE00000001", "inactive-secret", HOST, PATH, 0, AuthFailure.UNKNOWN_KEY),
        (f"{SESSION_KEY[0]}%wrong-token", SESSION_KEY[1], HOST, PATH, 0, AuthFailure.UNKNOWN_KEY),
        # A session key id without its token is not a long-term key.
        (SESSION_KEY[0], SESSION_KEY[1], HOST, PATH, 0, AuthFailure.UNKNOWN_KEY),
    ],
)
def test_bad_signed_passwords_are_refused(
    backend, username, secret, host, path, shift, failure
) -> None:
    signed_at = datetime.now(UTC) + timedelta(minutes=shift)
    password = sign_git_password(secret, REGION, host, path, signed_at)
    result = verify_signed_password(backend, username, password, HOST, PATH)
    assert not result.ok
    assert result.failure is failure


def test_signature_inside_the_window_is_accepted(backend) -> None:
    signed_at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    password = sign_git_password(LONG_TERM_KEY[1], REGION, HOST, PATH, signed_at)
    later = signed_at + timedelta(minutes=14)
    assert verify_signed_password(backend, LONG_TERM_KEY[0], password, HOST, PATH, later).ok
    too_late = signed_at + timedelta(minutes=15, seconds=1)
    assert not verify_signed_password(backend, LONG_TERM_KEY[0], password, HOST, PATH, too_late).ok


def test_git_credentials_by_basic_auth(backend) -> None:
    good = authenticate_http(backend, *GIT_USER, host=HOST, path=PATH)
    assert good.ok and good.method == "git-credentials"
    wrong = authenticate_http(backend, GIT_USER[0], "nope", host=HOST, path=PATH)
    assert wrong.failure is AuthFailure.BAD_GIT_CREDENTIAL
    inactive = authenticate_http(backend, "old-at-1", "pw", host=HOST, path=PATH)
    assert not inactive.ok


def test_malformed_signed_password_falls_back_to_git_credentials(backend) -> None:
    result = authenticate_http(
        backend, LONG_TERM_KEY[0], "20260101T000000Zxyz", host=HOST, path=PATH
    )
    assert result.failure is AuthFailure.BAD_GIT_CREDENTIAL


def test_request_context_has_no_mfa_key_for_long_term_credentials(backend) -> None:
    user = backend.users["new-hire"]
    for method in ("https-helper", "https-git-credentials", "ssh"):
        context = request_context(user.identity(), method, REGION)
        assert "aws:MultiFactorAuthPresent" not in context
        assert "aws:MultiFactorAuthAge" not in context
        assert context["aws:username"] == "new-hire"
    assert "aws:SecureTransport" not in request_context(user.identity(), "ssh", REGION)


def test_request_context_of_an_mfa_session_has_its_age(backend) -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    identity = backend.users["new-hire"].identity(now - timedelta(seconds=90))
    context = request_context(identity, "grc", REGION, now=now)
    assert context["aws:MultiFactorAuthPresent"] == "true"
    assert context["aws:MultiFactorAuthAge"] == "90"


def test_breaks_git_denies_long_term_pull_but_not_mfa_sessions(backend) -> None:
    user = backend.users["new-hire"]
    assert authorize_git(backend, user.identity(), REPO, "push", "https-helper").allowed
    user.policies = load_policies(*BREAKS_GIT)
    denied = authorize_git(backend, user.identity(), REPO, "pull", "https-helper")
    assert not denied.allowed
    assert denied.action == "codecommit:GitPull"
    assert f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{REPO}" in denied.message
    mfa = authorize_git(backend, user.identity(datetime.now(UTC)), REPO, "pull", "grc")
    assert mfa.allowed


def test_kms_via_codecommit_is_checked(backend) -> None:
    """The seed's second fix: without `Null kms:ViaService`, KMS calls via CodeCommit fail."""
    document = load_policies("force-mfa-codecommit-ok")[0].document
    half_fixed = {
        "Version": "2012-10-17",
        "Statement": [
            {**s, "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
            if s.get("Sid") == "DenyAllExceptListedIfNoMFA"
            else s
            for s in document["Statement"]
        ],
    }
    from onboard.policy import parse_policy

    user = backend.users["new-hire"]
    user.policies = (
        *load_policies("codecommit-developer-grants"),
        parse_policy(half_fixed, "half"),
    )
    decision = authorize_git(backend, user.identity(), REPO, "pull", "https-helper")
    assert not decision.allowed
    assert decision.action == "kms:Decrypt"
    kms = [r for r in backend.requests if r.action == "kms:Decrypt"]
    assert kms[-1].context["kms:ViaService"] == f"codecommit.{REGION}.amazonaws.com"
