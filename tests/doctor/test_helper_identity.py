"""The credentials git's helper uses, on an onboarded account (MFA session saved; real git)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from onboard.sandbox.account import Sandbox

from .conftest import git, self_settings, set_up_https_helper
from .test_git_view import URL, doctor


def _save_session(sandbox: Sandbox, hours: float, step: int = 0) -> str:
    """Save `default-mfa` (as the walkthrough does); its access key id."""
    from datetime import UTC, datetime, timedelta

    from onboard.aws.files import save_session_profile
    from onboard.aws.gateway import Gateway

    gateway = Gateway.from_settings(self_settings(sandbox))
    creds = gateway.get_session_token(
        sandbox.mfa_serial, sandbox.totp_now(sandbox.mfa_serial, time.time() + 30 * step)
    )
    expires = datetime.now(UTC) + timedelta(hours=hours)
    save_session_profile(sandbox.home, None, creds, "us-east-1", expires)
    return creds.access_key_id


def test_deactivated_then_deleted_access_key(tmp_path: Path) -> None:
    from onboard.aws.gateway import Gateway

    sandbox = Sandbox.start("onboarded")
    try:
        settings = self_settings(sandbox)
        set_up_https_helper(settings)
        _save_session(sandbox, hours=1)
        assert git(settings, "clone", "-q", URL, str(tmp_path / "c")).returncode == 0
        clone = tmp_path / "c"
        iam = Gateway.from_settings(sandbox.helpdesk_settings()).client("iam")
        key = sandbox.new_hire.access_key_id
        iam.update_access_key(UserName="new-hire", AccessKeyId=key, Status="Inactive")
        assert git(settings, "fetch", cwd=clone).returncode != 0
        found, code = doctor(settings, cwd=clone)
        # AWS answers both the same; without iam:ListAccessKeys both stay possible
        unknown = found["credentials.identity"]
        assert unknown.causes == ("access-key-inactive", "access-key-deleted"), unknown
        # AWS's own force-MFA sample lets users list their keys (with MFA): then it knows
        iam.put_user_policy(
            UserName="new-hire",
            PolicyName="ListOwnKeys",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "iam:ListAccessKeys",
                "Resource": "arn:aws:iam::*:user/${aws:username}"}]}),
        )  # fmt: skip
        found, code = doctor(settings, cwd=clone)
        identity = found["credentials.identity"]
        assert identity.causes == ("access-key-inactive",), identity
        assert key in identity.summary
        assert identity.fix is not None and "--profile default-mfa" in str(identity.fix.command)
        assert found["live.https-helper"].causes == ("access-key-inactive",)
        assert code == 1
        iam.delete_access_key(UserName="new-hire", AccessKeyId=key)
        found, code = doctor(settings, cwd=clone)
        assert found["credentials.identity"].causes == ("access-key-deleted",)
        assert code == 1
    finally:
        sandbox.stop()


def test_expired_saved_session_used_by_a_codecommit_remote(tmp_path: Path) -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        settings = self_settings(sandbox)
        key = _save_session(sandbox, hours=1)
        grc = "codecommit::us-east-1://default-mfa@my-repo"
        assert git(settings, "clone", "-q", grc, str(tmp_path / "c")).returncode == 0
        clone = tmp_path / "c"
        healthy, code = doctor(settings, cwd=clone)
        assert healthy["credentials.mfa_session"].status == "ok"
        assert healthy["live.grc"].status == "ok", healthy["live.grc"]
        assert code == 0, [f.summary for f in healthy.values() if f.status == "fail"]
        _save_session(sandbox, hours=-1, step=1)  # a new session (next code), recorded as expired
        sandbox.state.sessions[_saved_key(sandbox)].expires_at = time.time() - 60
        assert key != _saved_key(sandbox)
        assert git(settings, "fetch", cwd=clone).returncode != 0
        found, code = doctor(settings, cwd=clone)
        session = found["credentials.mfa_session"]
        assert session.status == "fail" and session.causes == ("expired-session-token",)
        assert "git-remote-codecommit" in session.summary
        assert found["live.grc"].status == "fail"
        assert code == 1
    finally:
        sandbox.stop()


def _saved_key(sandbox: Sandbox) -> str:
    from onboard.aws.files import read_session_profile

    saved = read_session_profile(sandbox.home, None)
    assert saved is not None
    return saved.access_key_id


def test_healthy_https_git_credentials_clone_has_no_failure(tmp_path: Path) -> None:
    from onboard.git import config as gitconfig

    sandbox = Sandbox.start("onboarded")
    try:
        settings = self_settings(sandbox)
        env = settings.env()
        gitconfig.configure_password_helper(env, "store")
        host = "git-codecommit.us-east-1.amazonaws.com"
        assert sandbox.git_username and sandbox.git_password
        gitconfig.store_git_credentials(env, host, sandbox.git_username, sandbox.git_password)
        assert git(settings, "clone", "-q", URL, str(tmp_path / "c")).returncode == 0
        found, code = doctor(settings, cwd=tmp_path / "c")
        assert [f.summary for f in found.values() if f.status == "fail"] == [] and code == 0
        assert found["live.https-git-credentials"].status == "ok"
        assert found["git.remote"].status == "ok"
    finally:
        sandbox.stop()
