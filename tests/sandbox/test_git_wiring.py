"""The sandbox starts the git endpoints and points its home at them (real git, real ssh)."""

from __future__ import annotations

import subprocess
from urllib.parse import quote

import pytest

from onboard.sandbox.account import Sandbox

from .helpers import client

pytestmark = pytest.mark.e2e

URL = "git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"


def _git(sandbox: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    env = sandbox.settings().env()
    env["GIT_TERMINAL_PROMPT"] = "0"
    return subprocess.run(
        ["git", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_https_git_credentials_reach_the_sandbox(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox: Sandbox = sandbox_factory("onboarded", git=True)
    head = client(sandbox, "codecommit").get_branch(repositoryName="my-repo", branchName="main")
    user, password = quote(sandbox.git_username or ""), quote(sandbox.git_password or "", safe="")
    done = _git(sandbox, "ls-remote", f"https://{user}:{password}@{URL}")
    assert done.returncode == 0, done.stderr
    assert f"{head['branch']['commitId']}\trefs/heads/main" in done.stdout
    wrong = _git(sandbox, "ls-remote", f"https://{user}:wrong@{URL}")
    assert wrong.returncode != 0
    assert "403" in wrong.stderr or "Authentication failed" in wrong.stderr


def test_ssh_key_id_login_reaches_the_sandbox(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox: Sandbox = sandbox_factory("onboarded", git=True)
    key_id = sandbox.seeded.ssh_key_id
    assert sandbox.ssh_private_key_path is not None and key_id
    ssh = (
        f"ssh -F {sandbox.home.ssh_config} -i {sandbox.ssh_private_key_path} "
        "-o IdentitiesOnly=yes -o BatchMode=yes "
        "-o HostKeyAlgorithms=+ssh-rsa -o PubkeyAcceptedAlgorithms=+ssh-rsa"
    )
    done = _git(sandbox, "-c", f"core.sshCommand={ssh}", "ls-remote", f"ssh://{key_id}@{URL}")
    assert done.returncode == 0, done.stderr
    assert "refs/heads/main" in done.stdout


def test_the_aws_cli_works_against_the_sandbox(sandbox: Sandbox) -> None:
    import sys
    from pathlib import Path

    aws = Path(sys.executable).parent / "aws"
    env = sandbox.settings().env()
    done = subprocess.run(
        [str(aws), "sts", "get-caller-identity", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert sandbox.new_hire.arn in done.stdout
    denied = subprocess.run(
        [str(aws), "iam", "list-ssh-public-keys", "--user-name", "new-hire"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert denied.returncode != 0
    assert "explicit deny in an identity-based policy" in denied.stderr
