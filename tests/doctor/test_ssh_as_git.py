"""SSH as git runs it (sandbox, real git and ssh): each breakage fails git; the doctor names it."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.doctor.checks import DoctorContext, run_checks
from onboard.doctor.findings import Finding, exit_code
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings

from .conftest import git, helpdesk, mfa_settings, set_up_ssh

SSH_URL = "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"


@pytest.fixture(scope="module")
def onboarded() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("onboarded")
    try:
        set_up_ssh(sandbox)
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def clone(onboarded: Sandbox, tmp_path: Path) -> Path:
    done = git(mfa_settings(onboarded), "clone", "-q", SSH_URL, str(tmp_path / "c"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "c"


def doctor(settings: Settings, clone: Path, timeout: float = 20) -> dict[str, Finding]:
    findings, _ = run_checks(DoctorContext(settings, live_timeout=timeout, cwd=clone))
    found = {f.id: f for f in findings}
    found["exit"] = Finding("exit", "ok", str(exit_code(findings)))
    return found


def _env(settings: Settings, **changes: str) -> Settings:
    return settings.replace(environ={**(settings.environ or {}), **changes})


def test_healthy_ssh_clone_is_green(onboarded: Sandbox, clone: Path) -> None:
    found = doctor(mfa_settings(onboarded), clone)
    assert [f.summary for f in found.values() if f.status == "fail"] == []
    assert found["live.ssh"].status == "ok"
    assert found["ssh.key_id"].status == "ok"
    assert "core.sshCommand" in found["ssh.config"].details[0]  # the sandbox's, as git runs it


def test_git_ssh_command_with_another_user_is_named(onboarded: Sandbox, clone: Path) -> None:
    settings = mfa_settings(onboarded)
    config = onboarded.home.ssh_config
    broken = _env(settings, GIT_SSH_COMMAND=f"ssh -F {config} -o User=new-hire")
    assert git(broken, "fetch", cwd=clone).returncode != 0
    found = doctor(broken, clone)
    key = found["ssh.key_id"]
    assert key.status == "fail" and key.causes == ("ssh-user-not-key-id",)
    assert "'new-hire'" in key.summary and "GIT_SSH_COMMAND" in " ".join(key.details)
    assert found["live.ssh"].status == "fail" and found["exit"].summary == "1"


def test_host_star_user_above_the_codecommit_block_is_named(
    onboarded: Sandbox, clone: Path
) -> None:
    config = onboarded.home.ssh_config
    original = config.read_text()
    try:
        config.write_text("Host *\n  User root\n\n" + original)
        settings = mfa_settings(onboarded)
        assert git(settings, "fetch", cwd=clone).returncode != 0
        key = doctor(settings, clone)["ssh.key_id"]
        assert key.causes == ("ssh-user-not-key-id",)
        assert f"Host * ({config} line 1" in " ".join(key.details)
        assert key.fix is not None and "above that block" in key.fix.summary
    finally:
        config.write_text(original)


def test_missing_pub_is_judged_from_the_private_key(onboarded: Sandbox, clone: Path) -> None:
    public = onboarded.home.ssh_dir / "codecommit_rsa.pub"
    saved = public.read_text()
    try:
        public.unlink()
        found = doctor(mfa_settings(onboarded), clone)
        identity = found["ssh.identity_file"]
        assert identity.status == "ok", identity
        assert "ssh-keygen -y" in identity.details[0]
        # a .pub of another key beside it: the private key decides, and it still matches
        other = subprocess.run(
            ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(clone / "k")],
            capture_output=True, check=True,
        )  # fmt: skip
        assert other.returncode == 0
        public.write_text((clone / "k.pub").read_text())
        assert doctor(mfa_settings(onboarded), clone)["ssh.identity_file"].status == "ok"
    finally:
        public.write_text(saved)


def test_inactive_and_deleted_ssh_keys_are_different_causes(
    onboarded: Sandbox, clone: Path
) -> None:
    from onboard.aws.gateway import Gateway

    gateway = Gateway.from_settings(helpdesk(onboarded))
    key_id = onboarded.seeded.ssh_key_id
    assert key_id is not None
    settings = mfa_settings(onboarded)
    try:
        gateway.update_ssh_public_key("new-hire", key_id, "Inactive")
        assert git(settings, "fetch", cwd=clone).returncode != 0
        inactive = doctor(settings, clone)["ssh.key_id"]
        assert inactive.causes == ("ssh-key-inactive",)
        assert inactive.fix is not None and "--status Active" in str(inactive.fix.command)
    finally:
        gateway.update_ssh_public_key("new-hire", key_id, "Active")


def test_match_exec_that_hangs_is_a_clear_finding(onboarded: Sandbox, clone: Path) -> None:
    config = onboarded.home.ssh_config
    original = config.read_text()
    try:
        config.write_text('Match exec "sleep 60"\n  User root\n\n' + original)
        started = time.monotonic()
        found = doctor(mfa_settings(onboarded), clone, timeout=3)
        assert time.monotonic() - started < 30
        ssh = found["ssh.config"]
        assert ssh.status == "fail" and ssh.causes == ("ssh-config-invalid",)
        assert "no answer within 3 s" in ssh.summary and "Match exec" in ssh.details[0]
        assert "TimeoutExpired" not in str([f.summary for f in found.values()])
    finally:
        config.write_text(original)


def test_fifo_as_ssh_config_is_a_clear_finding(onboarded: Sandbox, clone: Path) -> None:
    fifo = clone / "fifo"
    os.mkfifo(fifo)
    settings = _env(mfa_settings(onboarded), GIT_SSH_COMMAND=f"ssh -F {fifo}")
    found = doctor(settings, clone, timeout=3)
    assert found["ssh.config"].status == "fail"
    assert "no answer within 3 s" in found["ssh.config"].summary
    assert found["exit"].summary == "1"


def test_git_ssh_is_ignored_when_core_sshcommand_is_set(onboarded: Sandbox, clone: Path) -> None:
    """git's order: core.sshCommand beats GIT_SSH, so a stray plink does not break git."""
    settings = _env(mfa_settings(onboarded), GIT_SSH="/usr/local/bin/plink.exe")
    assert git(settings, "fetch", cwd=clone).returncode == 0
    found = doctor(settings, clone)
    assert found["ssh.config"].status == "ok"
    assert "core.sshCommand" in found["ssh.config"].details[0]
    assert found["live.ssh"].status == "ok"
    # git never runs the stray GIT_SSH: the doctor says what git does run
    assert found["env.git_ssh"].status == "ok"
    assert "core.sshCommand" in found["env.git_ssh"].summary
    assert found["exit"].summary == "0"


def test_plink_in_git_ssh_without_sshcommand_is_named(tmp_path: Path) -> None:
    from onboard.doctor.gitssh import NotOpenSsh, effective

    env = {"GIT_SSH": "/usr/local/bin/plink.exe", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": str(tmp_path / "none")}  # fmt: skip
    with pytest.raises(NotOpenSsh, match="GIT_SSH"):
        effective("git-codecommit.us-east-1.amazonaws.com", env, cwd=tmp_path, timeout=5)
