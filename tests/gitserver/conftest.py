"""The git endpoints against a small in-test GitAuthBackend over the real policy engine.

`InMemoryBackend` implements our own `GitAuthBackend` protocol (not a fake of
boto3): a few users with keys, Git credentials, SSH keys and policies, and
bare repositories on disk. Decisions come from `onboard.policy.evaluate`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from onboard.git.config import configure_credential_helper
from onboard.home import Home
from onboard.policy import Policy, Request, evaluate, parse_policy
from onboard.sandbox.git_auth import GitIdentity
from onboard.sandbox.git_http import RunningServer, start_git_http
from onboard.sandbox.git_redirect import redirect_env, write_redirect
from onboard.sandbox.git_ssh import start_git_ssh
from onboard.sandbox.repos import create_bare_repository

ACCOUNT = "123456789012"
REGION = "us-east-1"
REPO = "my-repo"
HOST = f"git-codecommit.{REGION}.amazonaws.com"
HTTPS_URL = f"https://{HOST}/v1/repos/{REPO}"
SSH_URL = f"ssh://{HOST}/v1/repos/{REPO}"
VENV_BIN = Path(sys.executable).parent
POLICIES = Path(__file__).resolve().parents[2] / "onboard" / "sandbox" / "policies"

LONG_TERM_KEY = ("AKIANEWHIRE000000001", "newhire/secret+key/0000000000000000000000")
SESSION_KEY = ("ASIANEWHIRESESSION01", "session/secret+key/00000000000000000000000")
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE/token+with/slashes=="
GIT_USER = (f"new-hire-at-{ACCOUNT}", "GitPassw0rd+/=example")
OTHER_KEY = ("AKIANOCODECOMMIT0001", "nocc/secret+key/00000000000000000000000000")


def load_policies(*names: str) -> tuple[Policy, ...]:
    """The shared fixture policies, parsed by the real engine."""
    return tuple(parse_policy((POLICIES / f"{n}.json").read_text(), n) for n in names)


FRESH = ("codecommit-developer-grants", "force-mfa-codecommit-ok")
BREAKS_GIT = ("codecommit-developer-grants", "force-mfa-breaks-git")


@dataclass
class GitUser:
    """One IAM user as the git endpoints see it."""

    name: str
    access_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (secret, status)
    sessions: dict[str, tuple[str, str, datetime | None]] = field(default_factory=dict)
    git_credentials: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (pw, st)
    ssh_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # key id -> (body, status)
    policies: Sequence[Policy] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:user/{self.name}"

    def identity(self, mfa_at: datetime | None = None) -> GitIdentity:
        return GitIdentity(self.name, self.arn, ACCOUNT, mfa_at)


@dataclass
class InMemoryBackend:
    """GitAuthBackend over in-memory users, deciding with onboard.policy."""

    repos: dict[str, Path]
    users: dict[str, GitUser]
    region: str = REGION
    account_id: str = ACCOUNT
    requests: list[Request] = field(default_factory=list)
    clock_offset: float = 0.0
    """Seconds the account's clock runs ahead of this machine's (negative: behind)."""

    def now(self) -> float:
        return time.time() + self.clock_offset

    def access_key_secret(
        self, access_key_id: str, session_token: str | None
    ) -> tuple[str, GitIdentity] | None:
        for user in self.users.values():
            if session_token is None and access_key_id in user.access_keys:
                secret, status = user.access_keys[access_key_id]
                return (secret, user.identity()) if status == "Active" else None
            if session_token is not None and access_key_id in user.sessions:
                secret, token, mfa_at = user.sessions[access_key_id]
                return (secret, user.identity(mfa_at)) if token == session_token else None
        return None

    def git_credential_identity(self, username: str, password: str) -> GitIdentity | None:
        for user in self.users.values():
            if user.git_credentials.get(username) == (password, "Active"):
                return user.identity()
        return None

    def ssh_key_identity(self, ssh_key_id: str, public_key_openssh: str) -> GitIdentity | None:
        offered = public_key_openssh.split()[:2]
        for user in self.users.values():
            found = user.ssh_keys.get(ssh_key_id)
            if found and found[1] == "Active" and found[0].split()[:2] == offered:
                return user.identity()
        return None

    def authorize(
        self, identity: GitIdentity, action: str, resource_arn: str, context: Mapping[str, str]
    ) -> tuple[bool, str]:
        request = Request(action, resource_arn, identity.user_arn, dict(context))
        self.requests.append(request)
        result = evaluate(request, self.users[identity.user_name].policies)
        if result.allowed:
            return True, ""
        return False, (
            f"User: {identity.user_arn} is not authorized to perform: {action} "
            f"on resource: {resource_arn} ({result.decision})"
        )

    def repository_path(self, repo_name: str) -> Path | None:
        return self.repos.get(repo_name)


@dataclass
class GitWorld:
    """Running endpoints, the backend behind them, and a redirected sandbox home."""

    backend: InMemoryBackend
    http: RunningServer
    ssh: RunningServer
    home: Home
    ssh_key_id: str
    ssh_key_path: Path
    tmp: Path
    redirect: Any = None

    def reset_home(self) -> None:
        """Back to a sandbox home with only the redirect (no walkthrough config)."""
        for path in (self.home.gitconfig, self.home.ssh_config):
            path.unlink(missing_ok=True)
        self.redirect()

    @property
    def new_hire(self) -> GitUser:
        return self.backend.users["new-hire"]

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for git/aws/ssh subprocesses: sandbox home, redirect, no prompts."""
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "GIT_", "SSH_")) and k not in ("NO_PROXY", "no_proxy")
        }
        env = self.home.env(base)
        env.update(redirect_env(self.home))
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["EMAIL"] = "New Hire <new-hire@example.com>"
        env["AWS_DEFAULT_REGION"] = REGION
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env.update(extra)
        return env

    def run(
        self, *argv: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        """Run a command with `env(**extra)`; never raises on failure."""
        return subprocess.run(
            list(argv), cwd=cwd, env=self.env(**extra), capture_output=True, text=True, timeout=120
        )


def _ssh_keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-C", "test", "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub").read_text()


@pytest.fixture(scope="module")
def git_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitWorld]:
    """Endpoints + redirect for a new hire with MFA, keys and an uploaded SSH key."""
    tmp = tmp_path_factory.mktemp("gitworld")
    repo = create_bare_repository(tmp / "repos", REPO)
    home = Home.sandbox(tmp / "home")
    key_path = home.ssh_dir / "codecommit_rsa"
    public_key = _ssh_keygen(key_path)
    other_key = _ssh_keygen(tmp / "other_rsa")
    mfa_at = datetime.now(UTC) - timedelta(minutes=5)
    new_hire = GitUser(
        "new-hire",
        access_keys={
            LONG_TERM_KEY[0]: (LONG_TERM_KEY[1], "Active"),
            "AKIAINACTIVE00000001": ("x", "Inactive"),
        },
        sessions={SESSION_KEY[0]: (SESSION_KEY[1], SESSION_TOKEN, mfa_at)},
        git_credentials={GIT_USER[0]: (GIT_USER[1], "Active")},
        ssh_keys={
            "APKANEWHIRE000000001": (public_key, "Active"),
            "APKAINACTIVE00000001": (other_key, "Inactive"),
        },
        policies=load_policies(*FRESH),
    )
    outsider = GitUser(
        "no-codecommit",
        access_keys={OTHER_KEY[0]: (OTHER_KEY[1], "Active")},
        ssh_keys={"APKANOCODECOMMIT0001": (other_key, "Active")},
        policies=load_policies("force-mfa-codecommit-ok"),
    )
    backend = InMemoryBackend({REPO: repo.path}, {"new-hire": new_hire, "no-codecommit": outsider})
    http = start_git_http(backend, tls_dir=tmp / "tls")
    ssh = start_git_ssh(backend, host_key_path=tmp / "ssh_host_rsa_key")
    write_redirect(
        home, REGION, http.url, ssh.port, ca_cert=http.ca_cert, ssh_host_key=ssh.host_public_key
    )
    world = GitWorld(backend, http, ssh, home, "APKANEWHIRE000000001", key_path, tmp)
    world.redirect = lambda: write_redirect(
        home, REGION, http.url, ssh.port, ca_cert=http.ca_cert, ssh_host_key=ssh.host_public_key
    )
    try:
        yield world
    finally:
        ssh.stop()
        http.stop()


@pytest.fixture(autouse=True)
def _clean_home(request: pytest.FixtureRequest) -> None:
    """Each test starts from a home with only the redirect in it."""
    if "git_world" in request.fixturenames:
        request.getfixturevalue("git_world").reset_home()


@pytest.fixture
def breaks_git(git_world: GitWorld) -> Iterator[None]:
    """The seed's incident: the new hire's force-MFA policy without the two fixes."""
    saved = git_world.new_hire.policies
    git_world.new_hire.policies = load_policies(*BREAKS_GIT)
    try:
        yield
    finally:
        git_world.new_hire.policies = saved


def configure_helper(world: GitWorld) -> None:
    """What the walkthrough writes for HTTPS with the AWS CLI credential helper."""
    configure_credential_helper(world.env())


def configure_ssh(world: GitWorld, user: str | None = None, *, legacy_rsa: bool = True) -> None:
    """What the walkthrough writes to ~/.ssh/config for CodeCommit (after the include)."""
    lines = [
        "",
        "Host git-codecommit.*.amazonaws.com",
        f"  User {user or world.ssh_key_id}",
        f"  IdentityFile {world.ssh_key_path}",
        "  IdentitiesOnly yes",
        "  BatchMode yes",
    ]
    if legacy_rsa:
        lines += ["  HostKeyAlgorithms +ssh-rsa", "  PubkeyAcceptedAlgorithms +ssh-rsa"]
    text = world.home.ssh_config.read_text()
    marker = "\n# test-codecommit-block\n"
    text = text.split(marker)[0]
    world.home.ssh_config.write_text(text + marker + "\n".join(lines) + "\n")


def aws_keys(key: tuple[str, str], token: str | None = None) -> dict[str, Any]:
    """Environment variables for a key pair (and session token)."""
    env = {"AWS_ACCESS_KEY_ID": key[0], "AWS_SECRET_ACCESS_KEY": key[1]}
    if token:
        env["AWS_SESSION_TOKEN"] = token
    return env
