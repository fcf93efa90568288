"""Issue 4's acceptance: real git, aws helper, ssh and grc against `Sandbox` scenarios."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest

from onboard.git.config import configure_credential_helper
from onboard.sandbox.account import Sandbox
from onboard.sandbox.git_redirect import ssh_command
from onboard.sandbox.git_ssh import BANNER
from tests.gitserver.conftest import VENV_BIN

pytestmark = pytest.mark.e2e
DENIED_403 = "The requested URL returned error: 403"


@dataclass
class Onboarded:
    """A sandbox whose new hire did the walkthrough's AWS steps (MFA, session, key, Git creds)."""

    sandbox: Sandbox
    session: dict[str, str]
    ssh_key_id: str
    git_user: str
    git_password: str
    tmp: Path

    @property
    def https_url(self) -> str:
        return f"https://git-codecommit.{self.sandbox.region}.amazonaws.com/v1/repos/{self.sandbox.repo_name}"

    @property
    def ssh_url(self) -> str:
        return f"ssh://git-codecommit.{self.sandbox.region}.amazonaws.com/v1/repos/{self.sandbox.repo_name}"

    def env(self, **extra: str) -> dict[str, str]:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "GIT_", "SSH_")) and k not in ("NO_PROXY", "no_proxy")
        }
        env = self.sandbox.home.env(base)
        env.update(self.sandbox.env())
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["EMAIL"] = "New Hire <new-hire@example.com>"
        env.update(extra)
        return env

    def run(
        self, *argv: str, cwd: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), cwd=cwd, env=self.env(**extra), capture_output=True, text=True, timeout=120
        )


def _client(sandbox: Sandbox, service: str, creds: dict[str, str]):
    return boto3.client(
        service,
        endpoint_url=sandbox.endpoint_url,
        region_name=sandbox.region,
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds.get("AWS_SESSION_TOKEN"),
    )


def onboard_new_hire(sandbox: Sandbox, tmp: Path) -> Onboarded:
    """Enroll MFA, get an MFA session, upload an SSH key, create Git credentials, configure."""
    long_term = {
        "AWS_ACCESS_KEY_ID": sandbox.new_hire.access_key_id,
        "AWS_SECRET_ACCESS_KEY": sandbox.new_hire.secret_access_key,
    }
    user = sandbox.new_hire.user_name
    iam = _client(sandbox, "iam", long_term)
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"][
        "SerialNumber"
    ]
    now = time.time()
    iam.enable_mfa_device(
        UserName=user,
        SerialNumber=serial,
        AuthenticationCode1=sandbox.totp_now(serial, now - 60),
        AuthenticationCode2=sandbox.totp_now(serial, now - 30),
    )
    sts = _client(sandbox, "sts", long_term)
    creds = sts.get_session_token(SerialNumber=serial, TokenCode=sandbox.totp_now(serial))[
        "Credentials"
    ]
    session = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    home = sandbox.home
    key_path = home.ssh_dir / "codecommit_rsa"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key_path)], check=True
    )
    iam_mfa = _client(sandbox, "iam", session)
    uploaded = iam_mfa.upload_ssh_public_key(
        UserName=user, SSHPublicKeyBody=key_path.with_suffix(".pub").read_text()
    )["SSHPublicKey"]
    git_cred = iam_mfa.create_service_specific_credential(
        UserName=user, ServiceName="codecommit.amazonaws.com"
    )["ServiceSpecificCredential"]
    world = Onboarded(
        sandbox,
        session,
        uploaded["SSHPublicKeyId"],
        git_cred["ServiceUserName"],
        git_cred["ServicePassword"],
        tmp,
    )
    # What the walkthrough writes: the scoped AWS helper and the CodeCommit ssh block.
    configure_credential_helper(world.env())
    with home.ssh_config.open("a") as handle:
        handle.write(
            "\nHost git-codecommit.*.amazonaws.com\n"
            f"  User {world.ssh_key_id}\n  IdentityFile {key_path}\n  IdentitiesOnly yes\n"
            "  BatchMode yes\n  HostKeyAlgorithms +ssh-rsa\n  PubkeyAcceptedAlgorithms +ssh-rsa\n"
        )
    return world


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Onboarded]:
    with Sandbox.start("fresh", home_root=tmp_path / "home") as sandbox:
        yield onboard_new_hire(sandbox, tmp_path)


@pytest.fixture
def breaks_git(tmp_path: Path) -> Iterator[Onboarded]:
    with Sandbox.start("breaks-git", home_root=tmp_path / "home") as sandbox:
        yield onboard_new_hire(sandbox, tmp_path)


def _clone_commit_push(world: Onboarded, url: str, name: str, **env: str) -> None:
    target = world.tmp / name
    cloned = world.run("git", "clone", url, str(target), **env)
    assert cloned.returncode == 0, cloned.stderr
    (target / f"{name}.txt").write_text(name)
    world.run("git", "add", ".", cwd=target)
    assert world.run("git", "commit", "-qm", name, cwd=target).returncode == 0
    pushed = world.run("git", "push", "origin", "HEAD:main", cwd=target, **env)
    assert pushed.returncode == 0, pushed.stderr


def _git_credentials(world: Onboarded, password: str) -> dict[str, str]:
    store = world.tmp / "git-credentials"
    host = f"git-codecommit.{world.sandbox.region}.amazonaws.com"
    store.write_text(
        f"https://{quote(world.git_user, safe='')}:{quote(password, safe='')}@{host}\n"
    )
    # Git credentials replace the AWS helper (as the walkthrough would set them up).
    return {
        "GIT_CONFIG_COUNT": "3",
        "GIT_CONFIG_KEY_0": "credential.https://git-codecommit.*.amazonaws.com.helper",
        "GIT_CONFIG_VALUE_0": "",
        "GIT_CONFIG_KEY_1": "credential.https://git-codecommit.*.amazonaws.com.helper",
        "GIT_CONFIG_VALUE_1": f"store --file={store}",
        "GIT_CONFIG_KEY_2": "credential.https://git-codecommit.*.amazonaws.com.UseHttpPath",
        "GIT_CONFIG_VALUE_2": "false",
    }


def test_fresh_every_method_clones_commits_and_pushes(fresh: Onboarded) -> None:
    _clone_commit_push(fresh, fresh.https_url, "helper")
    _clone_commit_push(
        fresh, fresh.https_url, "gitcreds", **_git_credentials(fresh, fresh.git_password)
    )
    _clone_commit_push(fresh, fresh.ssh_url, "ssh")
    banner = fresh.run(
        *ssh_command(fresh.sandbox.home),
        "-T",
        f"git-codecommit.{fresh.sandbox.region}.amazonaws.com",
    )
    assert BANNER in banner.stdout, banner.stderr
    heads = fresh.run("git", "ls-remote", fresh.https_url, "refs/heads/main")
    assert heads.returncode == 0 and heads.stdout


def test_fresh_refusals_look_like_codecommit(fresh: Onboarded) -> None:
    wrong = fresh.run(
        "git", "ls-remote", fresh.https_url, **_git_credentials(fresh, "wrong-password")
    )
    assert wrong.returncode == 128 and DENIED_403 in wrong.stderr
    iam = _client(fresh.sandbox, "iam", fresh.session)
    iam.update_ssh_public_key(
        UserName="new-hire", SSHPublicKeyId=fresh.ssh_key_id, Status="Inactive"
    )
    inactive = fresh.run("git", "ls-remote", fresh.ssh_url)
    assert inactive.returncode == 128 and "Permission denied (publickey)." in inactive.stderr
    iam.update_ssh_public_key(UserName="new-hire", SSHPublicKeyId=fresh.ssh_key_id, Status="Active")
    bad_login = fresh.run(
        *ssh_command(fresh.sandbox.home),
        "-l",
        "APKAWRONGKEYID000000",
        "-T",
        f"git-codecommit.{fresh.sandbox.region}.amazonaws.com",
    )
    assert "Permission denied (publickey)." in bad_login.stderr


def test_breaks_git_long_term_methods_fail_and_grc_with_mfa_works(breaks_git: Onboarded) -> None:
    world = breaks_git
    helper = world.run("git", "clone", world.https_url, str(world.tmp / "h"))
    assert helper.returncode == 128
    assert f"fatal: unable to access '{world.https_url}/': {DENIED_403}" in helper.stderr
    creds = world.run(
        "git",
        "clone",
        world.https_url,
        str(world.tmp / "c"),
        **_git_credentials(world, world.git_password),
    )
    assert creds.returncode == 128 and DENIED_403 in creds.stderr
    ssh = world.run("git", "clone", world.ssh_url, str(world.tmp / "s"))
    assert ssh.returncode == 128
    assert "is not authorized to perform: codecommit:GitPull" in ssh.stderr
    assert "fatal: Could not read from remote repository." in ssh.stderr
    grc_url = f"codecommit::{world.sandbox.region}://{world.sandbox.repo_name}"
    _clone_commit_push(world, grc_url, "grc", **world.session)


def test_env_file_reaches_the_sandbox_from_a_plain_shell(tmp_path: Path) -> None:
    """`env $(cat FILE) git ...` from a shell that knows nothing (its own GIT_SSL_CAINFO kept)."""
    with Sandbox.start("onboarded", home_root=tmp_path / "home") as sandbox:
        env_file = tmp_path / "sandbox.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in sandbox.env().items()))
        shell_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        shell_env["PATH"] = f"{VENV_BIN}{os.pathsep}{shell_env.get('PATH', '/usr/bin:/bin')}"
        shell_env["GIT_TERMINAL_PROMPT"] = "0"
        section = "credential.https://git-codecommit.*.amazonaws.com"
        home_env = sandbox.home.env(shell_env)
        subprocess.run(
            [
                "git",
                "config",
                "--global",
                f"{section}.helper",
                "!aws codecommit credential-helper $@",
            ],
            env=home_env,
            check=True,
        )
        subprocess.run(
            ["git", "config", "--global", f"{section}.UseHttpPath", "true"],
            env=home_env,
            check=True,
        )
        url = f"https://git-codecommit.{sandbox.region}.amazonaws.com/v1/repos/{sandbox.repo_name}"
        done = subprocess.run(
            ["sh", "-c", f'env $(cat "{env_file}") git ls-remote {url}'],
            env=shell_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "refs/heads/main" in done.stdout
