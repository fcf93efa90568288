"""Switching git method: undo what the previous method wrote before the next one is set up.

The HTTPS methods write the CodeCommit credential section of the global git
config (and Git credentials leave a password in git's store). Left behind, a
helper the policy denies keeps answering for CodeCommit URLs. The git config
is copied to `<name>.onboard-backup` first, as every onboard edit does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from onboard.errors import ConfigFileError
from onboard.files import BACKUP_SUFFIX
from onboard.git import config as gitconfig
from onboard.git.cli import run_git
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
    gitconfig_path = settings.home.gitconfig
    backup = None
    backup_path = gitconfig_path.with_name(gitconfig_path.name + BACKUP_SUFFIX)
    # The first backup is the file before onboard (as `files.edit_file` keeps it).
    if gitconfig_path.exists() and not backup_path.exists():
        try:
            shutil.copy2(gitconfig_path, backup_path)
            backup_path.chmod(0o600)
        except OSError as exc:
            raise ConfigFileError(
                f"cannot back up {gitconfig_path}",
                exc.strerror or str(exc),
                f"check the permissions of {gitconfig_path.parent}",
            ) from exc
    if backup_path.exists():
        backup = str(backup_path)
    erased = False
    if previous == "https-git-credentials":
        # Ask the configured helpers to forget the password while they are still configured.
        run_git(["credential", "reject"], env, stdin=f"protocol=https\nhost={host}\n\n")
        erased = True
    commands = list(gitconfig.remove_credential_helper(env))
    unset = ["config", "--global", "--unset-all", gitconfig.USE_HTTP_PATH_KEY]
    if run_git(unset, env, check=False).returncode == 0:
        commands.append("git " + " ".join(unset))
    return Removal(previous, tuple(commands), erased, backup)
