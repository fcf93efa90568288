"""Doctor test helpers: sandbox settings with the venv's tools on PATH, MFA sessions."""

from __future__ import annotations

import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.aws.models import SessionCredentials
from onboard.git import config as gitconfig
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings
from onboard.ssh import config as sshconfig

VENV_BIN = str(Path(sys.executable).parent)


def with_venv_path(settings: Settings) -> Settings:
    """The settings with the venv's bin (aws, git-remote-codecommit) first on PATH."""
    environ = dict(settings.environ or {})
    environ["PATH"] = VENV_BIN + ":" + environ.get("PATH", "/usr/bin:/bin")
    return settings.replace(environ=environ)


def self_settings(sandbox: Sandbox) -> Settings:
    """The new hire's settings (long-term key, no MFA)."""
    return with_venv_path(sandbox.settings())


_SESSIONS: weakref.WeakKeyDictionary[Sandbox, SessionCredentials] = weakref.WeakKeyDictionary()


def mfa_settings(sandbox: Sandbox) -> Settings:
    """The new hire with an MFA session (the onboarded scenario has a device).

    One session per sandbox, as a user keeps theirs: AWS takes each code once, so a
    second GetSessionToken within the same 30 s with the same code is refused.
    """
    from onboard.aws.gateway import Gateway

    settings = self_settings(sandbox)
    creds = _SESSIONS.get(sandbox)
    if creds is None:
        gateway = Gateway.from_settings(settings)
        code = sandbox.totp_now(sandbox.mfa_serial)
        creds = _SESSIONS[sandbox] = gateway.get_session_token(sandbox.mfa_serial, code)
    environ = dict(settings.environ or {})
    environ.update(
        AWS_ACCESS_KEY_ID=creds.access_key_id,
        AWS_SECRET_ACCESS_KEY=creds.secret_access_key.reveal(),
        AWS_SESSION_TOKEN=creds.session_token.reveal(),
    )
    return settings.replace(environ=environ)


def helpdesk(sandbox: Sandbox) -> Settings:
    """The helpdesk's settings."""
    return with_venv_path(sandbox.helpdesk_settings())


def set_up_ssh(sandbox: Sandbox) -> Path:
    """Write the onboarded user's ssh config and .pub beside the sandbox's private key."""
    home = sandbox.home
    private = home.ssh_dir / "codecommit_rsa"
    public = subprocess.run(
        ["ssh-keygen", "-y", "-f", str(private)], capture_output=True, text=True, check=True
    ).stdout
    private.with_name("codecommit_rsa.pub").write_text(public)
    key_id = sandbox.seeded.ssh_key_id
    assert key_id is not None
    sshconfig.write_ssh_config(home, key_id, private, sshconfig.ssh_version(home.env()))
    return private


def git(
    settings: Settings, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Real git with the settings' environment, never prompting (the breakage tests' git)."""
    env = {**settings.env(), "GIT_TERMINAL_PROMPT": "0"}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def set_up_https_helper(settings: Settings) -> None:
    """The AWS CLI credential helper for CodeCommit in the sandbox home's git config."""
    gitconfig.configure_credential_helper(settings.env())


@pytest.fixture
def sandbox_factory() -> Iterator[list[Sandbox]]:
    """Start sandboxes inside a test; every one is stopped afterwards."""
    started: list[Sandbox] = []
    yield started
    for sandbox in started:
        sandbox.stop()
