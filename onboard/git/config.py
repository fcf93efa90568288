"""git's side of CodeCommit: the credential helpers, scoped to CodeCommit URLs.

A generic `osxkeychain`/`manager`/`store` helper asked before the AWS CLI
helper replays CodeCommit's short-lived SigV4 password after it expires
(HTTP 403 some 15 minutes later). We therefore scope the AWS helper to the
CodeCommit URL with an empty `helper =` in front of it, which clears the
helpers set earlier for CodeCommit only. The change is one atomic
replacement of the global config file under git's own lock, with the lines
`git config` would write (`onboard.git.configfile`). Reading what git will run lives in
`onboard.git.helpers`, running git in `onboard.git.cli`; both are re-exported
here, the module the screens and the doctor import.
"""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Mapping
from typing import Literal

from onboard.errors import InvalidInput, OnboardError
from onboard.git.cli import GitResult, git_version, ls_remote, parse_git_version, run_git
from onboard.git.configfile import (
    CODECOMMIT_URL_PATTERN,
    HELPER_KEY,
    USE_HTTP_PATH_KEY,
    set_codecommit_helpers,
)
from onboard.git.helpers import (
    HelperEntry,
    caching_helpers_ahead,
    credential_helpers_for,
    helper_name,
    is_aws_helper,
    password_keepers,
)
from onboard.platform import Platform

__all__ = [
    "CODECOMMIT_URL_PATTERN",
    "HELPER_KEY",
    "METHODS",
    "USE_HTTP_PATH_KEY",
    "GitResult",
    "HelperEntry",
    "aws_helper_value",
    "caching_helpers_ahead",
    "clone_url",
    "configure_credential_helper",
    "configure_password_helper",
    "credential_helpers_for",
    "git_version",
    "helper_name",
    "is_aws_helper",
    "ls_remote",
    "parse_git_version",
    "password_keepers",
    "remove_credential_helper",
    "store_git_credentials",
    "suggested_password_helper",
    "use_http_path",
]


Method = Literal["https-helper", "https-git-credentials", "ssh", "grc"]
METHODS: tuple[Method, ...] = ("https-helper", "https-git-credentials", "ssh", "grc")

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_REPO = re.compile(r"^[\w.-]{1,100}$")


def aws_helper_value(aws_command: str = "aws", profile: str | None = None) -> str:
    """The helper value git runs: `!aws [--profile P] codecommit credential-helper $@`."""
    parts = [shlex.quote(aws_command)]
    if profile:
        parts += ["--profile", shlex.quote(profile)]
    return "!" + " ".join([*parts, "codecommit", "credential-helper", "$@"])


def configure_credential_helper(
    env: Mapping[str, str] | None, *, aws_command: str = "aws", profile: str | None = None
) -> list[str]:
    """Scope the AWS CLI helper to CodeCommit URLs in the global git config.

    Writes `helper =` (clears helpers set earlier, e.g. osxkeychain) and
    then the AWS helper, plus `UseHttpPath = true`. Idempotent: returns the
    git commands it ran, [] when everything was already so.
    """
    return _set_codecommit_helpers(env, ["", aws_helper_value(aws_command, profile)])


def remove_credential_helper(env: Mapping[str, str] | None) -> list[str]:
    """Remove onboard's CodeCommit helper section values (for HTTPS Git credentials)."""
    return set_codecommit_helpers(env, [], use_http_path=None).commands


def suggested_password_helper(
    platform: Platform | None = None, env: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """(helper, what it does) to keep HTTPS Git credentials on this system.

    The password is shown once, so a memory-only cache would lose it: on
    Linux without libsecret the fallback is `store`, a 0600 plain-text file.
    """
    system = (platform or Platform.current()).system
    if system == "darwin":
        return "osxkeychain", "the macOS keychain"
    if system == "windows":
        return "manager", "Git Credential Manager (Windows Credential Manager)"
    exec_path = run_git(["--exec-path"], env, check=False).stdout.strip()
    if exec_path and shutil.which("git-credential-libsecret", path=exec_path):
        return "libsecret", "the desktop keyring (libsecret)"
    return "store", "a plain-text file ~/.git-credentials readable only by you (0600)"


def configure_password_helper(env: Mapping[str, str] | None, helper: str) -> list[str]:
    """Make `helper` the one helper for CodeCommit URLs (for HTTPS Git credentials).

    Written like the AWS helper (`helper =` first), so other hosts keep
    theirs and no other helper hands CodeCommit an old password. Idempotent:
    returns the git commands it ran.
    """
    if not helper or helper.startswith("!") or any(char in helper for char in "\r\n"):
        raise InvalidInput(f"{helper!r} is not a credential helper name", "", "use e.g. store")
    # A Git credential is good for every repository of the host and is stored
    # without a path: with UseHttpPath git would look up host+path and never
    # find it ("could not read Username"), so this method turns it off.
    return _set_codecommit_helpers(env, ["", helper], use_http_path=False)


def use_http_path(url: str, env: Mapping[str, str] | None) -> bool:
    """Whether git sends the repository path to helpers for `url` (CodeCommit needs it)."""
    result = run_git(
        ["config", "--bool", "--get-urlmatch", "credential.usehttppath", url],
        env,
        check=False,
    )
    return result.stdout.strip() == "true"


def store_git_credentials(
    env: Mapping[str, str] | None, host: str, username: str, password: str
) -> list[HelperEntry]:
    """Hand HTTPS Git credentials to git's own helpers (`git credential approve`).

    The password goes through stdin, never the command line. Returns the
    helpers that received it; raises when no helper would keep it (check
    `password_keepers` before creating the credential).
    """
    for label, value in (("host", host), ("user name", username), ("password", password)):
        if not value or any(char in value for char in "\0\r\n"):
            raise InvalidInput(
                f"the {label} cannot be given to git",
                "it is empty or contains a line break",
                "copy it again from the screen that showed it",
            )
    keepers = password_keepers(host, env)
    if not keepers:
        raise OnboardError(
            "git has no credential helper to keep the password",
            "`git credential approve` only hands it to configured helpers",
            "configure one (macOS: osxkeychain, Windows: manager, Linux: libsecret or store), "
            "or choose the AWS CLI credential helper method",
        )
    payload = f"protocol=https\nhost={host}\nusername={username}\npassword={password}\n\n"
    run_git(["credential", "approve"], env, stdin=payload)
    return keepers


def clone_url(region: str, repo: str, method: str, profile: str | None = None) -> str:
    """The URL to clone `repo` with `method` (https-helper, https-git-credentials, ssh, grc)."""
    if not _REGION.match(region):
        raise InvalidInput(f"{region!r} is not an AWS region", "", "use e.g. us-east-1")
    if not _REPO.match(repo):
        raise InvalidInput(
            f"{repo!r} is not a CodeCommit repository name",
            "names use letters, digits, '.', '_' and '-' (at most 100)",
            "pick the repository from the list, or check its spelling",
        )
    if method in ("https", "https-helper", "https-git-credentials"):
        return f"https://git-codecommit.{region}.amazonaws.com/v1/repos/{repo}"
    if method == "ssh":
        return f"ssh://git-codecommit.{region}.amazonaws.com/v1/repos/{repo}"
    if method == "grc":
        return f"codecommit::{region}://{profile + '@' if profile else ''}{repo}"
    raise InvalidInput(f"unknown git method {method!r}", "", f"use one of {', '.join(METHODS)}")


def _set_codecommit_helpers(
    env: Mapping[str, str] | None, wanted: list[str], *, use_http_path: bool = True
) -> list[str]:
    """Make the CodeCommit section's helper values exactly `wanted`, and UseHttpPath so.

    One atomic replacement of the global config file under git's lock
    (`onboard.git.configfile`), never a series of `git config` runs.
    """
    return set_codecommit_helpers(env, wanted, use_http_path=use_http_path).commands
