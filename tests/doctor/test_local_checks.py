"""Local checks against broken configurations made in a temp home (real git and ssh)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from onboard.doctor import local_checks, ssh_checks
from onboard.doctor.checks import DoctorContext
from onboard.home import Home
from onboard.platform import Platform, System
from onboard.settings import Settings

AWS_HELPER = "!aws codecommit credential-helper $@"
HELPER_KEY = "credential.https://git-codecommit.*.amazonaws.com.helper"


def _settings(home: Home, system: System = "linux", **env: str) -> Settings:
    base = {"PATH": os.environ["PATH"], **env}
    return Settings(home=home, platform=Platform(system), environ=base, region="us-east-1")


def _ctx(home: Home, system: System = "linux", **env: str) -> DoctorContext:
    return DoctorContext(_settings(home, system, **env), repo="my-repo")


def _git_config(home: Home, *args: str) -> None:
    subprocess.run(["git", "config", "--global", *args], env=home.env(), check=True)


def test_aws_helper_alone_is_ok(home: Home) -> None:
    _git_config(home, HELPER_KEY, AWS_HELPER)
    finding = local_checks.check_helpers(_ctx(home))
    assert finding.status == "ok"
    assert "keychain-cached-stale-password" in finding.rules_out


@pytest.mark.parametrize(
    ("system", "helper", "cause"),
    [
        ("darwin", "osxkeychain", "keychain-cached-stale-password"),
        ("windows", "manager", "credential-manager-conflict"),
        ("linux", "store", "keychain-cached-stale-password"),
    ],
)
def test_storing_helper_ahead_of_aws_helper_fails(
    home: Home, system: System, helper: str, cause: str
) -> None:
    _git_config(home, "credential.helper", helper)
    _git_config(home, HELPER_KEY, AWS_HELPER)
    finding = local_checks.check_helpers(_ctx(home, system))
    assert finding.status == "fail"
    assert finding.causes == (cause,)
    assert helper in finding.summary
    assert finding.fix is not None and finding.fix.action == "configure-helper"


def test_osxkeychain_is_not_a_storing_helper_on_linux(home: Home) -> None:
    _git_config(home, "credential.helper", "osxkeychain")
    _git_config(home, HELPER_KEY, AWS_HELPER)
    assert local_checks.check_helpers(_ctx(home, "linux")).status == "ok"


def test_empty_helper_value_resets_the_list(home: Home) -> None:
    _git_config(home, "credential.helper", "osxkeychain")
    _git_config(home, "--add", HELPER_KEY, "")
    _git_config(home, "--add", HELPER_KEY, AWS_HELPER)
    assert local_checks.check_helpers(_ctx(home, "darwin")).status == "ok"


def test_no_helper_is_a_warning_with_the_command(home: Home) -> None:
    finding = local_checks.check_helpers(_ctx(home))
    assert finding.status == "warn"
    assert finding.causes == ("helper-not-configured",)
    assert finding.fix is not None and AWS_HELPER in (finding.fix.command or "")


def test_use_http_path(home: Home) -> None:
    assert local_checks.check_use_http_path(_ctx(home)).status == "skipped"
    _git_config(home, HELPER_KEY, AWS_HELPER)
    missing = local_checks.check_use_http_path(_ctx(home))
    assert missing.status == "fail"
    assert missing.causes == ("credential-helper-misconfigured",)
    _git_config(home, "credential.https://git-codecommit.*.amazonaws.com.UseHttpPath", "true")
    assert local_checks.check_use_http_path(_ctx(home)).status == "ok"


def _git_only_bin(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "git-only-bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    return bin_dir


def test_aws_not_on_gits_path(home: Home, tmp_path: Path) -> None:
    _git_config(home, HELPER_KEY, AWS_HELPER)
    git_only = _git_only_bin(tmp_path)
    finding = local_checks.check_aws_on_path(_ctx(home, PATH=str(git_only)))
    assert finding.status == "fail"
    assert finding.causes == ("no-aws-cli",)
    (git_only / "aws").write_text("#!/bin/sh\nexit 0\n")
    (git_only / "aws").chmod(0o755)
    assert local_checks.check_aws_on_path(_ctx(home, PATH=str(git_only))).status == "ok"


def test_broken_aws_cli(home: Home, tmp_path: Path) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "aws").write_text("#!/nonexistent/python3\nimport awscli\n")
    (fake / "aws").chmod(0o755)
    finding = local_checks.check_aws_cli(_ctx(home, PATH=f"{fake}:/usr/bin:/bin"))
    assert finding.status == "fail"
    assert finding.causes == ("aws-cli-broken",)
    missing = local_checks.check_aws_cli(_ctx(home, PATH=str(tmp_path / "none")))
    assert missing.status == "warn" and missing.causes == ("no-aws-cli",)


def test_auto_prompt_from_environment_and_profile(home: Home) -> None:
    on = local_checks.check_auto_prompt(_ctx(home, AWS_CLI_AUTO_PROMPT="on"))
    assert on.status == "fail" and on.causes == ("aws-cli-auto-prompt",)
    assert local_checks.check_auto_prompt(_ctx(home)).status == "ok"
    home.aws_config.write_text("[default]\ncli_auto_prompt = on\n")
    assert local_checks.check_auto_prompt(_ctx(home)).status == "fail"


def test_git_ssh_pointing_to_plink(home: Home) -> None:
    plink = local_checks.check_git_ssh(_ctx(home, "windows", GIT_SSH="C:\\PuTTY\\plink.exe"))
    assert plink.status == "fail" and plink.causes == ("windows-git-ssh-putty",)
    assert local_checks.check_git_ssh(_ctx(home)).status == "ok"


def test_git_and_ssh_versions(home: Home) -> None:
    git = local_checks.check_git_version(_ctx(home))
    assert git.status == "ok" and git.data["version"][0] >= 2
    ssh = local_checks.check_ssh_version(_ctx(home))
    assert ssh.status == "ok" and "OpenSSH" in ssh.summary
    nothing = local_checks.check_git_version(_ctx(home, PATH="/nonexistent"))
    assert nothing.status == "fail"


def test_ssh_config_with_unknown_option_fails(home: Home) -> None:
    home.ssh_config.write_text("Host *\n  PubkeyAcceptedAlgorithmz +ssh-rsa\n")
    finding = ssh_checks.check_config(_ctx(home))
    assert finding.status == "fail"
    assert finding.causes == ("ssh-config-invalid",)


def test_ssh_algorithms_need_ssh_rsa_for_a_configured_key_id(home: Home) -> None:
    home.ssh_config.write_text(
        "Host git-codecommit.*.amazonaws.com\n  User APKAEXAMPLE1234567890\n"
    )
    bare = ssh_checks.check_algorithms(_ctx(home))
    version = ssh_checks.sshconfig.ssh_version(home.env())
    assert version is not None
    if version >= (8, 8):
        assert bare.status == "fail" and bare.causes == ("ssh-rsa-sha1-disabled",)
    home.ssh_config.write_text(
        "Host git-codecommit.*.amazonaws.com\n  User APKAEXAMPLE1234567890\n"
        "  HostKeyAlgorithms +ssh-rsa\n  PubkeyAcceptedAlgorithms +ssh-rsa\n"
    )
    fixed = ssh_checks.check_algorithms(_ctx(home))
    assert fixed.status == "ok" and "ssh-rsa-sha1-disabled" in fixed.rules_out


def test_ssh_algorithms_say_nothing_alarming_before_ssh_is_set_up(home: Home) -> None:
    # An HTTPS-only user (no SSH key ID as User) gets no warning about ssh-rsa.
    finding = ssh_checks.check_algorithms(_ctx(home))
    version = ssh_checks.sshconfig.ssh_version(home.env())
    assert version is not None
    if version >= (8, 8):
        assert finding.status == "skipped"
        assert "SSH is not set up" in finding.summary and "+ssh-rsa" in finding.summary
    else:
        assert finding.status == "ok"


def test_expired_mfa_session_profile(home: Home) -> None:
    from onboard.doctor.account_checks import check_expiry

    home.aws_credentials.write_text(
        "[dev-mfa]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = x\n"
        "aws_session_token = tok\nexpiration = 2020-01-01T00:00:00+00:00\n"
        "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = y\n"
    )
    settings = _settings(home).replace(profile="dev-mfa")
    expired = check_expiry(DoctorContext(settings))
    assert expired.status == "fail" and expired.causes == ("expired-session-token",)
    long_term = check_expiry(DoctorContext(_settings(home).replace(profile="dev")))
    assert long_term.status == "ok" and "long-term" in long_term.summary
    home.aws_credentials.write_text(
        "[dev-mfa]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = x\n"
        "aws_session_token = tok\nexpiration = 2999-01-01T00:00:00Z\n"
    )
    valid = check_expiry(DoctorContext(settings))
    assert valid.status == "ok" and "expired-session-token" in valid.rules_out


def _script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_aws_cli_version_from_a_pip_install_without_starting_it(home: Home, tmp_path: Path) -> None:
    # A pip (v1) layout: bin/aws runs bin/python, site-packages holds the dist-info.
    prefix = tmp_path / "venv"
    _script(prefix / "bin", "python3", "#!/bin/sh\nexit 1\n")  # would fail if it were started
    _script(prefix / "bin", "aws", f"#!{prefix}/bin/python3\nimport awscli\n")
    (prefix / "lib" / "python3.11" / "site-packages" / "awscli-1.46.3.dist-info").mkdir(
        parents=True
    )
    finding = local_checks.check_aws_cli(_ctx(home, PATH=f"{prefix / 'bin'}:/usr/bin:/bin"))
    assert finding.status == "ok"
    assert finding.summary.startswith("AWS CLI 1.46.3 at ")
    assert finding.data["version_from"] == "dist-info"


def test_aws_cli_v2_version_from_its_install_directory(home: Home, tmp_path: Path) -> None:
    # The v2 installer: /usr/local/bin/aws -> /usr/local/aws-cli/v2/current/bin/aws,
    # current -> 2.15.30 (a self-contained binary: no #! line).
    install = tmp_path / "aws-cli" / "v2" / "2.15.30"
    _script(install / "bin", "aws", "not a script\n")
    (tmp_path / "aws-cli" / "v2" / "current").symlink_to(install)
    links = tmp_path / "bin"
    links.mkdir()
    (links / "aws").symlink_to(tmp_path / "aws-cli" / "v2" / "current" / "bin" / "aws")
    finding = local_checks.check_aws_cli(_ctx(home, PATH=f"{links}:/usr/bin:/bin"))
    assert finding.status == "ok"
    assert finding.summary.startswith("AWS CLI 2.15.30 at ")
    assert finding.data["version_from"] == "path"


def test_aws_cli_version_by_running_it_when_the_install_does_not_say(
    home: Home, tmp_path: Path
) -> None:
    # A wrapper (pyenv shim style): only running it tells; its own output is the source.
    shim = tmp_path / "shims"
    _script(shim, "aws", "#!/bin/sh\necho 'aws-cli/1.45.11 Python/3.11.7 Linux botocore/1.43'\n")
    finding = local_checks.check_aws_cli(_ctx(home, PATH=f"{shim}:/usr/bin:/bin"))
    assert finding.summary.startswith("AWS CLI 1.45.11 at ")
    assert finding.data["version_from"] == "aws --version"
    # A shim that cannot find the command (pyenv: aws: command not found) is broken.
    _script(shim, "aws", "#!/bin/sh\necho 'pyenv: aws: command not found' >&2\nexit 127\n")
    broken = local_checks.check_aws_cli(_ctx(home, PATH=f"{shim}:/usr/bin:/bin"))
    assert broken.status == "fail" and broken.causes == ("aws-cli-broken",)
    assert "command not found" in broken.details[0]


def test_no_helper_fix_is_the_whole_codecommit_setup_and_works(home: Home) -> None:
    finding = local_checks.check_helpers(_ctx(home))
    assert finding.status == "warn" and finding.fix is not None and finding.fix.command
    # Running the suggested command gives exactly the configuration the checks want.
    subprocess.run(finding.fix.command, shell=True, env=home.env(), check=True)
    assert local_checks.check_helpers(_ctx(home)).status == "ok"
    assert local_checks.check_use_http_path(_ctx(home)).status == "ok"


def test_nothing_configured_is_a_warning_with_the_way_forward(home: Home) -> None:
    from onboard.doctor.live_checks import check_live

    (finding,) = check_live(_ctx(home))
    assert finding.id == "live.ls_remote"
    assert finding.status == "warn"
    assert finding.fix is not None and "onboard" in finding.fix.summary
