"""Real ssh and git over SSH against the sandbox endpoint, like CodeCommit."""

from __future__ import annotations

import subprocess

import pytest

from onboard.sandbox.git_http import port_is_open
from onboard.sandbox.git_redirect import ssh_command
from onboard.sandbox.git_ssh import BANNER, parse_git_command, start_git_ssh
from tests.gitserver.conftest import HOST, SSH_URL, GitWorld, configure_ssh

PERMISSION_DENIED = "Permission denied (publickey)."
CANNOT_READ = "fatal: Could not read from remote repository."


def ssh_t(world: GitWorld):
    return world.run(*ssh_command(world.home), "-T", HOST)


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("git-upload-pack '/v1/repos/my-repo'", ("pull", "my-repo")),
        ("git-receive-pack '/v1/repos/my-repo'", ("push", "my-repo")),
        ("git-upload-pack 'v1/repos/my-repo'", ("pull", "my-repo")),
        ("git-upload-pack /v1/repos/my-repo", ("pull", "my-repo")),
        ("git-upload-pack '/v1/repos/../etc'", None),
        ("git-upload-pack '/home/x/repo'", None),
        ("sh -c id", None),
        ("git-upload-pack 'unterminated", None),
        ("git-upload-archive '/v1/repos/my-repo'", None),
    ],
)
def test_parse_git_command(command: str, expected: tuple[str, str] | None) -> None:
    assert parse_git_command(command) == expected


@pytest.mark.e2e
def test_ssh_t_prints_the_codecommit_banner(git_world: GitWorld) -> None:
    configure_ssh(git_world)
    done = ssh_t(git_world)
    assert BANNER in done.stdout, done.stderr
    assert "You have successfully authenticated over SSH." in done.stdout


@pytest.mark.e2e
def test_clone_commit_push_over_ssh(git_world: GitWorld) -> None:
    configure_ssh(git_world)
    target = git_world.tmp / "ssh-clone"
    cloned = git_world.run("git", "clone", SSH_URL, str(target))
    assert cloned.returncode == 0, cloned.stderr
    (target / "ssh.txt").write_text("ssh\n")
    git_world.run("git", "add", ".", cwd=target)
    assert git_world.run("git", "commit", "-qm", "over ssh", cwd=target).returncode == 0
    pushed = git_world.run("git", "push", "origin", "HEAD:main", cwd=target)
    assert pushed.returncode == 0, pushed.stderr
    head = git_world.run("git", "rev-parse", "HEAD", cwd=target).stdout.strip()
    remote = git_world.run("git", "ls-remote", SSH_URL, "refs/heads/main")
    assert remote.stdout.startswith(head)
    outcomes = [(e.transport, e.operation, e.outcome) for e in git_world.ssh.events]
    assert ("ssh", "push", "ok") in outcomes


@pytest.mark.e2e
@pytest.mark.parametrize(
    "login",
    ["new-hire", "APKAUNKNOWN000000001", "APKAINACTIVE00000001", "APKANOCODECOMMIT0001"],
    ids=["iam-user-name", "unknown-key-id", "inactive-key", "other-users-key-id"],
)
def test_wrong_login_or_key_is_permission_denied(git_world: GitWorld, login: str) -> None:
    configure_ssh(git_world, user=login)
    done = ssh_t(git_world)
    assert done.returncode == 255
    assert PERMISSION_DENIED in done.stderr
    cloned = git_world.run("git", "ls-remote", SSH_URL)
    assert cloned.returncode == 128
    assert PERMISSION_DENIED in cloned.stderr and CANNOT_READ in cloned.stderr


@pytest.mark.e2e
def test_inactive_key_is_refused(git_world: GitWorld) -> None:
    key_id = git_world.ssh_key_id
    body, _ = git_world.new_hire.ssh_keys[key_id]
    git_world.new_hire.ssh_keys[key_id] = (body, "Inactive")
    try:
        configure_ssh(git_world)
        assert PERMISSION_DENIED in ssh_t(git_world).stderr
    finally:
        git_world.new_hire.ssh_keys[key_id] = (body, "Active")


@pytest.mark.e2e
def test_breaks_git_denies_ssh_like_codecommit(git_world: GitWorld, breaks_git: None) -> None:
    configure_ssh(git_world)
    done = git_world.run("git", "clone", SSH_URL, str(git_world.tmp / "denied"))
    assert done.returncode == 128
    assert "is not authorized to perform: codecommit:GitPull" in done.stderr
    assert CANNOT_READ in done.stderr
    # Authentication itself still works: the banner is not a permission check.
    assert BANNER in ssh_t(git_world).stdout


@pytest.mark.e2e
def test_openssh_without_ssh_rsa_cannot_connect(git_world: GitWorld) -> None:
    configure_ssh(git_world, legacy_rsa=False)
    done = ssh_t(git_world)
    assert done.returncode == 255
    assert "no matching host key type found. Their offer: ssh-rsa" in done.stderr


@pytest.mark.e2e
def test_other_commands_are_refused(git_world: GitWorld) -> None:
    configure_ssh(git_world)
    done = git_world.run(*ssh_command(git_world.home), HOST, "cat /etc/passwd")
    assert done.returncode == 1
    assert "root:" not in done.stdout
    assert "Unsupported command" in done.stderr


@pytest.mark.e2e
def test_stop_ends_live_sessions_and_frees_the_port(git_world: GitWorld) -> None:
    server = start_git_ssh(git_world.backend, host_key_path=git_world.tmp / "second_host_key")
    configure_ssh(git_world)
    argv = [
        *ssh_command(git_world.home),
        "-o",
        f"Port={server.port}",
        "-o",
        "StrictHostKeyChecking=no",
        HOST,
        "git-upload-pack '/v1/repos/my-repo'",
    ]
    client = subprocess.Popen(
        argv,
        env=git_world.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert client.stdout is not None
    first = client.stdout.readline()  # the ref advertisement: the session is live
    assert b"refs/heads/main" in first or b"HEAD" in first
    server.stop()
    server.stop()  # idempotent
    assert client.wait(timeout=30) != 0
    assert not port_is_open("127.0.0.1", server.port)
