"""The ssh side of CodeCommit: `ssh -V`, the managed `~/.ssh/config` block, `ssh -G`.

CodeCommit's SSH endpoint offers only the `ssh-rsa` host-key and signature
algorithm, which OpenSSH >= 8.8 disables by default; the login name must be
the SSH key ID. The block we write says both, in the keywords the installed
OpenSSH understands (an unknown keyword is a fatal config error).

OpenSSH reads `~/.ssh/config` from the passwd home, not `$HOME`: for an
isolated (sandbox) home every ssh call must name the config with `-F`
(`ssh_command`, `git_ssh_command`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from onboard.errors import ConfigFileError, InvalidInput
from onboard.files import EditResult, edit_file, find_block, read_text, upsert_block
from onboard.home import Home
from onboard.platform import Platform

CODECOMMIT_HOST_PATTERN = "git-codecommit.*.amazonaws.com"
BLOCK_NAME = "codecommit"
"""The name of onboard's managed block in the ssh config."""

_VERSION = re.compile(r"OpenSSH_(?:for_Windows_)?(\d+)\.(\d+)")
_KEY_ID = re.compile(r"^[A-Za-z0-9]{1,128}$")
# `PubkeyAcceptedAlgorithms` replaced `PubkeyAcceptedKeyTypes` in OpenSSH 8.5.
_ACCEPTED_ALGORITHMS_SINCE = (8, 5)
# The `+algorithm` append syntax exists from OpenSSH 7.0; before it ssh-rsa was on anyway.
_PLUS_SYNTAX_SINCE = (7, 0)
_SCOPE_LINE = re.compile(r"^\s*(host|match)\b", re.IGNORECASE)


def ssh_version(
    env: Mapping[str, str] | None = None, platform: Platform | None = None
) -> tuple[int, int] | None:
    """The OpenSSH client's (major, minor) from `ssh -V`, or None when there is no ssh."""
    ssh = _find("ssh", env, platform)
    if ssh is None:
        return None
    try:
        result = subprocess.run(
            [ssh, "-V"],
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_ssh_version(result.stderr + result.stdout)


def parse_ssh_version(text: str) -> tuple[int, int] | None:
    """(major, minor) from `ssh -V` output such as `OpenSSH_9.2p1 Debian-2`."""
    match = _VERSION.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def codecommit_ssh_block(
    key_id: str, identity_file: Path, ssh_version: tuple[int, int] | None
) -> str:
    """The `Host git-codecommit.*.amazonaws.com` block for this key and OpenSSH version."""
    if not _KEY_ID.match(key_id):
        raise InvalidInput(
            f"{key_id!r} is not an SSH key ID",
            "CodeCommit's SSH user name is the key's ID from IAM (APKA...), letters and digits",
            "copy the SSH key ID shown after the upload",
        )
    identity = identity_file.as_posix()
    if any(char in identity for char in "\r\n\"'"):
        raise InvalidInput(f"{identity!r} cannot be written in an ssh config", "", "rename it")
    if " " in identity:
        identity = f'"{identity}"'
    lines = [
        f"Host {CODECOMMIT_HOST_PATTERN}",
        f"  User {key_id}",
        f"  IdentityFile {identity}",
        "  IdentitiesOnly yes",
    ]
    if ssh_version is None:
        # Unknown OpenSSH: name both spellings and let ssh skip the one it lacks.
        lines += [
            "  IgnoreUnknown PubkeyAcceptedAlgorithms,PubkeyAcceptedKeyTypes",
            "  HostKeyAlgorithms +ssh-rsa",
            "  PubkeyAcceptedAlgorithms +ssh-rsa",
            "  PubkeyAcceptedKeyTypes +ssh-rsa",
        ]
    elif ssh_version >= _PLUS_SYNTAX_SINCE:
        accepted = (
            "PubkeyAcceptedAlgorithms"
            if ssh_version >= _ACCEPTED_ALGORITHMS_SINCE
            else "PubkeyAcceptedKeyTypes"
        )
        lines += ["  HostKeyAlgorithms +ssh-rsa", f"  {accepted} +ssh-rsa"]
    return "\n".join(lines) + "\n"


def write_ssh_config(
    home: Home, key_id: str, identity_file: Path, ssh_version: tuple[int, int] | None
) -> EditResult:
    """Write (or update) onboard's CodeCommit block at the top of the ssh config.

    Every other line is kept as it was; the file is 0600 with a backup of
    the previous version. The block goes first because ssh takes the first
    value it finds (a later `Host *` must not win). When the file starts
    with options outside any Host, the block ends with `Host *` so they
    still apply to every host, as before.
    """
    body = codecommit_ssh_block(key_id, identity_file, ssh_version)

    def change(text: str) -> str:
        block = body
        if _starts_with_global_options(_text_after_block(text)):
            block += "# the lines below this block apply to all hosts, as before\nHost *\n"
        return upsert_block(text, BLOCK_NAME, block, prepend=True)

    home.ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A symlinked config (dotfiles) is edited where it lives: edit_file follows the link.
    return edit_file(home.ssh_config, change, mode=0o600)


def managed_block(home: Home) -> str | None:
    """The body of onboard's block in the ssh config, or None when there is none."""
    text = read_text(home.ssh_config)
    span = find_block(text, BLOCK_NAME)
    if span is None:
        return None
    lines = text[span[0] : span[1]].splitlines(keepends=True)
    return "".join(lines[1:-1])


def effective_ssh_config(
    host: str,
    *,
    env: Mapping[str, str] | None,
    platform: Platform | None = None,
    config_file: Path | None = None,
) -> dict[str, list[str]]:
    """What ssh will use for `host`, as `ssh -G` resolves it (keys lower-case).

    Pass `config_file` (e.g. `home.ssh_config` of an isolated home): ssh
    otherwise reads the passwd home's config whatever `HOME` says.
    """
    ssh = _find("ssh", env, platform)
    if ssh is None:
        raise ConfigFileError(
            "ssh was not found", "git over SSH needs the OpenSSH client", "install OpenSSH"
        )
    command = [ssh, "-G"]
    if config_file is not None:
        command += ["-F", str(config_file)]
    result = subprocess.run(
        [*command, host],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        timeout=15,
        check=False,
    )
    if result.returncode != 0:
        raise ConfigFileError(
            "ssh cannot read its configuration",
            result.stderr.strip() or f"`ssh -G {host}` exited with {result.returncode}",
            "fix the line it names in the ssh config (onboard keeps a .onboard-backup beside it)",
        )
    settings: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key:
            settings.setdefault(key.lower(), []).append(value)
    return settings


def ssh_command(home: Home, platform: Platform | None = None) -> list[str]:
    """The ssh command line that reads this home's config (`-F` for an isolated home)."""
    ssh = (platform or Platform.current()).executable("ssh")
    if home.isolated:
        return [ssh, "-F", str(home.ssh_config), "-o", f"UserKnownHostsFile={home.known_hosts}"]
    return [ssh]


def git_ssh_command(home: Home, platform: Platform | None = None) -> str | None:
    """A `GIT_SSH_COMMAND` value for an isolated home; None for the real home."""
    if not home.isolated:
        return None
    return " ".join(shlex.quote(part) for part in ssh_command(home, platform))


def _text_after_block(text: str) -> str:
    span = find_block(text, BLOCK_NAME)
    return text[span[1] :] if span is not None else text


def _starts_with_global_options(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return _SCOPE_LINE.match(stripped) is None
    return False


def _find(name: str, env: Mapping[str, str] | None, platform: Platform | None) -> str | None:
    executable = (platform or Platform.current()).executable(name)
    return shutil.which(executable, path=(env if env is not None else os.environ).get("PATH"))
