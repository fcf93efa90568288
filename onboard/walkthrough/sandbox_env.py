"""The sandbox's environment as a file, so a shell can use the sandbox while onboard runs.

`env $(cat FILE) git clone URL` then runs git exactly as the walkthrough
does: the sandbox home, its git config, its AWS endpoint and the new hire's
keys. The file is 0600 (it holds the sandbox's access key) and lives in the
sandbox home, which goes away when onboard stops.
"""

from __future__ import annotations

from pathlib import Path

from onboard.files import atomic_write
from onboard.settings import Settings

ENV_FILE_NAME = "sandbox.env"
# The helpdesk's keys are the administrator's: the new hire's shell never gets them.
_LEFT_OUT_PREFIXES = ("ONBOARD_HELPDESK_",)
_KEPT = (
    "AWS_",
    "HOME",
    "USERPROFILE",
    "GIT_",
    "NO_PROXY",
    "no_proxy",
    "PATH",
    "SSH_",
)


def sandbox_env(settings: Settings) -> dict[str, str]:
    """The variables a shell needs to act as the walkthrough does in the sandbox."""
    chosen: dict[str, str] = {}
    for name, value in settings.env().items():
        if name.startswith(_LEFT_OUT_PREFIXES) or not name.startswith(_KEPT):
            continue
        if not value or any(char.isspace() for char in value):
            continue  # `env $(cat FILE)` splits on blanks: such a value cannot be carried
        chosen[name] = value
    return chosen


def write_env_file(settings: Settings) -> Path:
    """Write `NAME=value` lines (0600) into the sandbox home; returns the file's path."""
    path = settings.home.root / ENV_FILE_NAME
    text = "".join(f"{name}={value}\n" for name, value in sandbox_env(settings).items())
    atomic_write(path, text, mode=0o600, backup=False)
    path.chmod(0o600)
    return path


def shell_command(env_file: Path, command: str) -> str:
    """`env $(cat FILE) COMMAND`: the command run from any shell against the sandbox."""
    return f"env $(cat {env_file}) {command}"
