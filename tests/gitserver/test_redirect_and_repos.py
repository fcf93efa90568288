"""The sandbox-home redirect (git + ssh config) and the seeded bare repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from onboard.home import Home
from onboard.sandbox.git_redirect import (
    redirect_env,
    redirect_paths,
    remove_redirect,
    ssh_command,
    write_redirect,
)
from onboard.sandbox.repos import DEFAULT_BRANCH, create_bare_repository, seed_repositories
from tests.gitserver.conftest import InMemoryBackend

URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"
HOST_KEY = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 sandbox"


def git(home: Home, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], env=home.env(), capture_output=True, text=True)


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return path


def test_git_sees_proxy_and_ca_only_for_codecommit(home: Home, ca: Path) -> None:
    home.gitconfig.write_text("[user]\n\tname = Someone\n")
    write_redirect(
        home, "us-east-1", "http://127.0.0.1:4567", 2222, ca_cert=ca, ssh_host_key=HOST_KEY
    )
    proxy = git(home, "config", "--get-urlmatch", "http.proxy", URL)
    assert proxy.stdout.strip() == "http://127.0.0.1:4567"
    assert git(home, "config", "--get-urlmatch", "http.sslcainfo", URL).stdout.strip() == str(ca)
    other = git(home, "config", "--get-urlmatch", "http.proxy", "https://github.com/x/y")
    assert other.returncode == 1 and other.stdout == ""
    # The URL is not rewritten: no insteadOf anywhere.
    assert "insteadof" not in git(home, "config", "--list").stdout.lower()
    assert "[user]\n\tname = Someone\n" in home.gitconfig.read_text()
    bundle = redirect_paths(home).ca_bundle.read_text()
    assert bundle.endswith(ca.read_text())
    assert redirect_env(home)["GIT_SSL_CAINFO"] == str(redirect_paths(home).ca_bundle)


def test_credential_helper_scope_still_matches_the_real_url(home: Home, ca: Path) -> None:
    write_redirect(home, "us-east-1", "http://127.0.0.1:4567", 2222, ca_cert=ca)
    key = "credential.https://git-codecommit.*.amazonaws.com.helper"
    git(home, "config", "--global", key, "!echo username=u; echo password=p; true")
    filled = subprocess.run(
        ["git", "credential", "fill"],
        input=f"url={URL}\n\n",
        env={**home.env(), "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
    )
    assert "host=git-codecommit.us-east-1.amazonaws.com" in filled.stdout
    assert "username=u" in filled.stdout and "password=p" in filled.stdout


def test_ssh_resolves_codecommit_to_the_sandbox(home: Home, ca: Path) -> None:
    home.ssh_config.write_text("Host *\n  ServerAliveInterval 30\n")
    write_redirect(
        home, "us-east-1", "http://127.0.0.1:4567", 2222, ca_cert=ca, ssh_host_key=HOST_KEY
    )
    effective = subprocess.run(
        [*ssh_command(home), "-G", "git-codecommit.us-east-1.amazonaws.com"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "hostname 127.0.0.1" in effective
    assert "port 2222" in effective
    assert "hostkeyalias git-codecommit.us-east-1.amazonaws.com" in effective
    github = subprocess.run(
        [*ssh_command(home), "-G", "github.com"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "hostname github.com" in github and "port 22" in github
    known = redirect_paths(home).known_hosts.read_text()
    assert known == f"git-codecommit.us-east-1.amazonaws.com {HOST_KEY}\n"
    assert home.ssh_config.read_text().endswith("Host *\n  ServerAliveInterval 30\n")
    ssh_cmd = git(home, "config", "core.sshCommand").stdout
    assert str(home.ssh_config) in ssh_cmd


def test_redirect_is_idempotent_and_removable(home: Home, ca: Path) -> None:
    home.gitconfig.write_text("[user]\n\tname = Someone\n")
    home.ssh_config.write_text("Host x\n  User y\n")
    write_redirect(home, "us-east-1", "http://127.0.0.1:1", 22, ca_cert=ca)
    first = (home.gitconfig.read_text(), home.ssh_config.read_text())
    write_redirect(home, "us-east-1", "http://127.0.0.1:1", 22, ca_cert=ca)
    assert (home.gitconfig.read_text(), home.ssh_config.read_text()) == first
    remove_redirect(home)
    assert home.gitconfig.read_text() == "[user]\n\tname = Someone\n"
    assert home.ssh_config.read_text() == "Host x\n  User y\n"
    assert not redirect_paths(home).git_config.exists()


def test_the_real_home_is_never_redirected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_redirect(Home(tmp_path), "us-east-1", "http://127.0.0.1:1", 22)
    assert not (tmp_path / ".gitconfig").exists()


def test_seeded_repository_has_a_first_commit_on_main(tmp_path: Path) -> None:
    repo = create_bare_repository(tmp_path, "my-repo")
    show = subprocess.run(
        ["git", "--git-dir", str(repo.path), "log", "--format=%H %s", DEFAULT_BRANCH],
        capture_output=True,
        text=True,
        check=True,
    )
    assert show.stdout.strip() == f"{repo.head_commit} Initial commit"
    head = (repo.path / "HEAD").read_text().strip()
    assert head == f"ref: refs/heads/{DEFAULT_BRANCH}"
    again = create_bare_repository(tmp_path, "my-repo")
    assert again == repo  # idempotent, and the same commit id in every run
    assert seed_repositories(tmp_path / "other", ["my-repo"])["my-repo"].name == "my-repo.git"
    assert create_bare_repository(tmp_path / "x", "my-repo").head_commit == repo.head_commit


def test_busy_port_is_a_clear_error_not_a_traceback(tmp_path: Path) -> None:
    import socket

    from onboard.errors import OnboardError
    from onboard.sandbox.git_http import start_git_http
    from onboard.sandbox.git_ssh import start_git_ssh

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OnboardError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_git_http(InMemoryBackend({}, {}), port=port, tls_dir=tmp_path / "tls")
        with pytest.raises(OnboardError, match="git SSH endpoint cannot listen"):
            start_git_ssh(InMemoryBackend({}, {}), port=port, host_key_path=tmp_path / "hk")
