"""Which credential helpers git will run for a URL, in order, and where each was set.

git runs *every* `credential.helper`/`credential.<url>.helper` whose URL
pattern matches, in config order (system, global, local, command line), and
an empty value clears the list so far. `git config --get-urlmatch` shows only
the last value, so we read them all with `--show-origin --show-scope` and
match the patterns with git's rules (`onboard.git.urlmatch`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboard.git.cli import run_git
from onboard.git.urlmatch import url_matches
from onboard.platform import Platform

_AWS_HELPER = re.compile(r"\bcodecommit\s+credential-helper\b")


@dataclass(frozen=True)
class HelperEntry:
    """One `credential.*.helper` value git will run, and where it was set."""

    value: str
    origin_file: str
    """The file that set it (git's `--show-origin` without the `file:`)."""
    scope: str
    """system, global, local, worktree or command."""

    @property
    def name(self) -> str:
        """The helper's short name: `osxkeychain`, `manager`, `store`, `!aws ...` as is."""
        return helper_name(self.value)

    @property
    def is_aws_helper(self) -> bool:
        """Whether this is the AWS CLI's `codecommit credential-helper`."""
        return is_aws_helper(self.value)


def credential_helpers_for(
    url: str, env: Mapping[str, str] | None, *, cwd: Path | None = None
) -> list[HelperEntry]:
    """The credential helpers git will run for `url`, in the order it runs them.

    `cwd` decides whether a repository's own config counts (None: the
    current directory, as git would).
    """
    query = ["config", "--show-origin", "-z", "--get-regexp", r"^credential\..*"]
    result = run_git([*query[:2], "--show-scope", *query[2:]], env, check=False, cwd=cwd)
    with_scope = True
    if result.returncode not in (0, 1):  # git < 2.26 (Ubuntu 20.04) has no --show-scope
        result = run_git(query, env, check=False, cwd=cwd)
        with_scope = False
    helpers: list[HelperEntry] = []
    for scope, origin, key, value in _parse_z(result.stdout, with_scope=with_scope):
        pattern = _helper_pattern(key)
        if pattern is None or value is None:
            continue
        if pattern and not url_matches(pattern, url):
            continue
        if value == "":
            helpers.clear()
            continue
        helpers.append(HelperEntry(value, origin.removeprefix("file:"), scope))
    return helpers


def caching_helpers_ahead(
    url: str, env: Mapping[str, str] | None, platform: Platform | None = None
) -> list[HelperEntry]:
    """Password-storing helpers git asks before the AWS helper for `url`.

    With no AWS helper configured, every storing helper for `url` is listed:
    each would hand git an old password.
    """
    storing = set((platform or Platform.current()).caching_credential_helpers)
    ahead: list[HelperEntry] = []
    for entry in credential_helpers_for(url, env):
        if entry.is_aws_helper:
            break
        if entry.name in storing:
            ahead.append(entry)
    return ahead


def password_keepers(host: str, env: Mapping[str, str] | None) -> list[HelperEntry]:
    """The helpers that would keep a password for `https://host/` (the AWS helper does not).

    Check this *before* creating HTTPS Git credentials: their password is
    shown once, and `git credential approve` silently drops it without one.
    """
    return [
        entry
        for entry in credential_helpers_for(f"https://{host}/", env)
        if not entry.is_aws_helper
    ]


def helper_name(value: str) -> str:
    """A helper value's short name (`/usr/bin/git-credential-manager.exe` -> `manager`)."""
    value = value.strip()
    if value.startswith("!"):
        return value
    try:
        first = shlex.split(value)[0] if value else ""
    except ValueError:
        first = value.split()[0] if value.split() else ""
    base = re.split(r"[\\/]", first)[-1]
    base = re.sub(r"\.(exe|cmd|bat)$", "", base, flags=re.IGNORECASE)
    return base.removeprefix("git-credential-")


def is_aws_helper(value: str) -> bool:
    """Whether a helper value runs the AWS CLI's CodeCommit credential helper."""
    return _AWS_HELPER.search(value) is not None


def _helper_pattern(key: str) -> str | None:
    """'' for `credential.helper`, the URL for `credential.<url>.helper`, else None."""
    lowered = key.lower()
    if lowered == "credential.helper":
        return ""
    if lowered.startswith("credential.") and lowered.endswith(".helper"):
        return key[len("credential.") : -len(".helper")]
    return None


def _parse_z(output: str, *, with_scope: bool = True) -> list[tuple[str, str, str, str | None]]:
    """Entries of `git config [--show-scope] --show-origin -z`: scope, origin, key, value.

    Without `--show-scope` the scope is "unknown".
    """
    fields = output.split("\0")
    width = 3 if with_scope else 2
    entries: list[tuple[str, str, str, str | None]] = []
    for index in range(0, len(fields) - width + 1, width):
        if with_scope:
            scope, origin, key_value = fields[index : index + 3]
        else:
            scope, (origin, key_value) = "unknown", fields[index : index + 2]
        key, newline, value = key_value.partition("\n")
        # A key with no `=` at all (boolean true) comes without the newline.
        entries.append((scope, origin, key, value if newline else None))
    return entries
