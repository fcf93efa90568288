"""The credential-helper change is one atomic file replacement that writes what git would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from onboard.errors import ConfigFileError
from onboard.git import config as gitconfig
from onboard.git.configfile import (
    HELPER_KEY,
    USE_HTTP_PATH_KEY,
    git_quote,
    global_config_path,
    set_codecommit_helpers,
)
from onboard.home import Home

URL = "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/demo"
AWS_HELPER = "!aws codecommit credential-helper $@"

STARTS = [
    "",
    "[user]\n\tname = Me\n\temail = me@example.com\n",
    "[credential]\n\thelper = osxkeychain\n[user]\n\tname = Me # comment\n",
    # an older onboard section, then other settings after it
    '[credential "https://git-codecommit.*.amazonaws.com"]\n\thelper = store\n'
    "[alias]\n\tco = checkout\n",
    # two sections for the same URL, and UseHttpPath before the helpers
    '[credential "https://git-codecommit.*.amazonaws.com"]\n\tUseHttpPath = false\n'
    '[core]\n\teditor = vim\n[credential "https://git-codecommit.*.amazonaws.com"]\n'
    "\thelper = manager\n",
    "[user]\n\tname = no final newline",
    "[user]\r\n\tname = Windows\r\n",
]


def git(env: dict[str, str], *args: str, check: bool = True) -> str:
    return subprocess.run(
        ["git", *args], env=env, check=check, capture_output=True, text=True
    ).stdout


def per_key(home: Home) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for entry in git(home.env(), "config", "--global", "-z", "--list").split("\0")[:-1]:
        key, _, value = entry.partition("\n")
        values.setdefault(key, []).append(value)
    return values


def by_git_itself(env: dict[str, str], helpers: list[str], use_http_path: bool) -> None:
    """What the three-command version did: the reference for what git writes."""
    git(env, "config", "--global", "--unset-all", HELPER_KEY, check=False)
    for value in helpers:
        git(env, "config", "--global", "--add", HELPER_KEY, value)
    if use_http_path:
        git(env, "config", "--global", USE_HTTP_PATH_KEY, "true")
    else:
        git(env, "config", "--global", "--unset-all", USE_HTTP_PATH_KEY, check=False)


@pytest.mark.parametrize("start", STARTS)
@pytest.mark.parametrize("method", ["aws", "store"])
def test_same_effective_config_as_git_config_commands(
    tmp_path: Path, start: str, method: str
) -> None:
    ours_home, git_home = Home.sandbox(tmp_path / "ours"), Home.sandbox(tmp_path / "git")
    for home in (ours_home, git_home):
        home.gitconfig.write_text(start, newline="")
    helpers = ["", AWS_HELPER] if method == "aws" else ["", "store"]
    set_codecommit_helpers(ours_home.env(), helpers, use_http_path=method == "aws")
    by_git_itself(git_home.env(), helpers, method == "aws")
    # Same values per key, in the same order (where unrelated keys sit does not matter).
    assert per_key(ours_home) == per_key(git_home)
    args = ["config", "--get-urlmatch", "credential.helper", URL]
    assert git(ours_home.env(), *args) == git(git_home.env(), *args)
    assert (
        git(ours_home.env(), "config", "--global", "--get-all", HELPER_KEY).split("\n")[:-1]
        == helpers
    )
    wanted = "true\n" if method == "aws" else ""
    got = git(
        ours_home.env(),
        "config",
        "--bool",
        "--get-urlmatch",
        "credential.usehttppath",
        URL,
        check=False,
    )
    assert got == wanted
    # Every line of the user's file is still there, in order.
    ours = ours_home.gitconfig.read_bytes().decode()
    kept = [line for line in start.splitlines() if "helper" not in line and "UseHttp" not in line]
    position = 0
    for line in kept:
        position = ours.find(line, position)
        assert position >= 0, line
        position += len(line)


def test_simple_file_is_byte_identical_to_gits(tmp_path: Path) -> None:
    ours_home, git_home = Home.sandbox(tmp_path / "ours"), Home.sandbox(tmp_path / "git")
    start = "[user]\n\tname = Me\n"
    for home in (ours_home, git_home):
        home.gitconfig.write_text(start)
    helper = gitconfig.aws_helper_value("aws", "my profile")
    gitconfig.configure_credential_helper(ours_home.env(), profile="my profile")
    by_git_itself(git_home.env(), ["", helper], True)
    assert ours_home.gitconfig.read_bytes() == git_home.gitconfig.read_bytes()


def test_switching_methods_flips_use_http_path_in_one_write(home: Home) -> None:
    env = home.env()
    gitconfig.configure_credential_helper(env)
    assert gitconfig.use_http_path(URL, env)
    commands = gitconfig.configure_password_helper(env, "store")
    assert commands[-1].endswith(
        "--unset-all 'credential.https://git-codecommit.*.amazonaws.com.UseHttpPath'"
    )
    assert not gitconfig.use_http_path(URL, env)
    assert git(env, "config", "--get-urlmatch", "credential.helper", URL) == "store\n"
    assert gitconfig.configure_password_helper(env, "store") == []  # idempotent
    assert gitconfig.remove_credential_helper(env) != []
    assert git(env, "config", "--global", "--get-all", HELPER_KEY, check=False) == ""


def test_non_utf8_comment_and_other_bytes_survive(home: Home) -> None:
    original = b"# \xe9t\xe9 \xff\n[user]\n\tname = Zo\xeb\n"
    home.gitconfig.write_bytes(original)
    gitconfig.configure_credential_helper(home.env())
    data = home.gitconfig.read_bytes()
    assert data.startswith(original)
    assert b"\thelper = !aws codecommit credential-helper $@\n" in data


def test_git_is_locked_out_while_onboard_writes_and_the_mode_is_kept(home: Home) -> None:
    home.gitconfig.write_text("[user]\n\tname = Me\n")
    home.gitconfig.chmod(0o640)
    env = home.env()
    lock = home.gitconfig.with_name(".gitconfig.lock")
    lock.write_text("")  # what onboard holds while it writes
    failed = subprocess.run(
        ["git", "config", "--global", "user.email", "x@y"], env=env, capture_output=True, text=True
    )
    assert failed.returncode != 0 and "lock" in failed.stderr
    lock.unlink()
    gitconfig.configure_credential_helper(env)
    assert oct(home.gitconfig.stat().st_mode & 0o777) == "0o640"  # git keeps the mode too
    assert not lock.exists()


def test_unusual_layout_is_refused_not_corrupted(home: Home) -> None:
    # A key on the header line: our line editor cannot place it, git's check catches it.
    start = '[credential "https://git-codecommit.*.amazonaws.com"] helper = store\n'
    home.gitconfig.write_text(start)
    with pytest.raises(ConfigFileError, match="cannot edit"):
        gitconfig.configure_credential_helper(home.env())
    assert home.gitconfig.read_text() == start


def test_global_config_path_follows_git(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    assert global_config_path(env) == tmp_path / ".gitconfig"
    xdg = tmp_path / ".config" / "git" / "config"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    assert global_config_path(env) == xdg
    assert global_config_path({**env, "GIT_CONFIG_GLOBAL": "/x/y"}) == Path("/x/y")
    if shutil.which("git"):
        gitconfig.configure_credential_helper(env)
        assert "helper" in xdg.read_text() and not (tmp_path / ".gitconfig").exists()


@pytest.mark.parametrize(
    ("value", "written"),
    [("", ""), ("a b", "a b"), (" lead", '" lead"'), ("x;y", '"x;y"'), ('q"\\', 'q\\"\\\\')],
)
def test_values_quoted_as_git_writes_them(value: str, written: str) -> None:
    assert git_quote(value) == written
