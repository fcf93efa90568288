"""The helper configuration with the real git and the real AWS CLI credential helper.

`git credential fill` shows which password git would send. A stale password
in a storing helper (here `store`) must win before `configure_credential_helper`
and lose after it, for CodeCommit only. With a saved MFA session profile,
the AWS helper signs with the session (user name `<key id>%<session token>`).
No network: the AWS CLI computes the SigV4 password locally.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from onboard.aws import files as awsfiles
from onboard.git import config as gitconfig
from onboard.home import Home

HOST = "git-codecommit.us-east-1.amazonaws.com"
SIGV4_PASSWORD = re.compile(r"^\d{8}T\d{6}Z[0-9a-f]{64}$")
VENV_BIN = Path(sys.executable).parent


@pytest.fixture
def env(home: Home) -> dict[str, str]:
    """The isolated home's environment with the venv's `aws` and long-term test keys."""
    env = home.env()
    for name in list(env):
        if name.startswith("AWS_") and name not in (
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
        ):
            del env[name]
    env.update(
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLELONGTERM1",
        AWS_SECRET_ACCESS_KEY="long/term+secret",
        AWS_DEFAULT_REGION="us-east-1",
        GIT_TERMINAL_PROMPT="0",
    )
    return env


def fill(env: dict[str, str], host: str = HOST) -> dict[str, str]:
    out = subprocess.run(
        ["git", "credential", "fill"],
        input=f"protocol=https\nhost={host}\npath=v1/repos/demo\n\n",
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_stale_stored_password_loses_to_the_aws_helper(home: Home, env: dict[str, str]) -> None:
    subprocess.run(["git", "config", "--global", "credential.helper", "store"], env=env, check=True)
    (home.root / ".git-credentials").write_text(
        f"https://AKIAOLD:20200101T000000Zdead@{HOST}\nhttps://me:kept@example.com\n"
    )
    assert fill(env)["password"] == "20200101T000000Zdead"  # the 403-in-15-minutes trap
    gitconfig.configure_credential_helper(env)
    filled = fill(env)
    assert filled["username"] == "AKIAEXAMPLELONGTERM1"
    assert SIGV4_PASSWORD.match(filled["password"])
    # Other hosts still get their stored password.
    assert fill(env, "example.com")["password"] == "kept"


@dataclass(frozen=True)
class Session:
    access_key_id: str = "ASIAEXAMPLESESSION01"
    secret_access_key: str = "session/secret"
    session_token: str = "SessionTokenValue"


def test_saved_mfa_profile_signs_with_the_session(home: Home, env: dict[str, str]) -> None:
    expiry = datetime(2099, 1, 1, tzinfo=UTC)
    awsfiles.save_session_profile(home, "dev", Session(), "us-east-1", expiry)
    gitconfig.configure_credential_helper(
        env, aws_command=str(VENV_BIN / "aws"), profile=awsfiles.session_profile_name("dev")
    )
    filled = fill(env)
    assert filled["username"] == "ASIAEXAMPLESESSION01%SessionTokenValue"
    assert SIGV4_PASSWORD.match(filled["password"])
