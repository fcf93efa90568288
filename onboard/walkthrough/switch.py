"""Switching git method: undo what the previous method wrote before the next one is set up.

The HTTPS methods write the CodeCommit credential section of the global git
config (and Git credentials leave a password in git's store). Left behind, a
helper the policy denies keeps answering for CodeCommit URLs. The git config
keeps its first `<name>.onboard-backup`, as every onboard edit does.
"""

from __future__ import annotations

from dataclasses import dataclass

from onboard.files import BACKUP_SUFFIX
from onboard.git.cli import run_git
from onboard.git.configfile import global_config_path, set_codecommit_helpers
from onboard.settings import Settings

HTTPS_METHODS = ("https-helper", "https-git-credentials")


@dataclass(frozen=True)
class Removal:
    """What switching away from a method removed, for the summary."""

    method: str
    commands: tuple[str, ...]
    erased_password: bool
    backup: str | None


def remove_method(previous: str, new: str, settings: Settings, host: str) -> Removal | None:
    """Remove `previous`'s git config (and stored Git password) when switching to `new`.

    Nothing to do (None) when the method does not change or the previous one
    wrote nothing to the git config (SSH's block belongs to step 4's key).
    """
    if previous == new or previous not in HTTPS_METHODS:
        return None
    env = settings.env()
    erased = False
    if previous == "https-git-credentials":
        # Ask the configured helpers to forget the password while they are still configured.
        run_git(["credential", "reject"], env, stdin=f"protocol=https\nhost={host}\n\n")
        erased = True
    # Helpers and UseHttpPath go in one atomic write under git's lock; the first
    # backup (the file before onboard) is made or kept by `files.edit_file`.
    change = set_codecommit_helpers(env, [], use_http_path=False)
    commands = change.commands
    backup_path = global_config_path(env).with_name(global_config_path(env).name + BACKUP_SUFFIX)
    backup = str(backup_path) if backup_path.exists() else None
    return Removal(previous, tuple(commands), erased, backup)
