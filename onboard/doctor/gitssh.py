"""SSH as git runs it: the command git picks, and `ssh -G` with that command's options.

git runs `GIT_SSH_COMMAND`, else `core.sshCommand`, else `GIT_SSH` (a
program, whose kind `GIT_SSH_VARIANT` or its name tells), else `ssh`; the
URL's user (`ssh://APKA...@host`) is passed as `user@host`. The effective
config comes from that same command with `-G` added, so `-F`, `-o User=...`
and `-i` count. `-v` names each block ssh applied, in order: the first one
that sets `User` wins, which is how a `Host *` above the CodeCommit block
takes over. Bounded by the run's timeout (a `Match exec` or a FIFO hangs).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from onboard.doctor.procs import run_bounded
from onboard.errors import OnboardError

_APPLYING = re.compile(
    r"debug1: (?P<file>.+?) line (?P<line>\d+): Applying options for (?P<pat>.*)"
)
_PUTTY = ("plink", "tortoiseplink", "putty")


class NotOpenSsh(OnboardError):
    """git runs PuTTY's plink (GIT_SSH / GIT_SSH_VARIANT), which has no `-G`."""


@dataclass(frozen=True)
class GitSsh:
    """The ssh command git runs, and where git got it."""

    argv: tuple[str, ...]
    source: str
    """`GIT_SSH_COMMAND`, `core.sshCommand (FILE)`, `GIT_SSH`, or `ssh (default)`."""
    variant: str = "ssh"


@dataclass(frozen=True)
class Effective:
    """`ssh -G` for the CodeCommit host as git runs it, and the block that set `User`."""

    options: dict[str, list[str]]
    command: GitSsh
    blocks: tuple[tuple[str, int, str], ...] = ()
    """(file, line, pattern) of each Host/Match block ssh applied, in order."""
    user_from: str | None = None
    """`Host * (FILE line N)` when a config block set User; None when the URL or -o did."""
    extra: dict[str, str] = field(default_factory=dict)

    def get(self, key: str, default: list[str] | None = None) -> list[str] | None:
        """An option's values (lower-case key), like a dict."""
        return self.options.get(key, default)


def git_ssh(env: Mapping[str, str], cwd: Path | None, timeout: float) -> GitSsh:
    """The ssh command git would run here (GIT_SSH_COMMAND > core.sshCommand > GIT_SSH)."""
    if env.get("GIT_SSH_COMMAND"):
        return GitSsh(tuple(_split(env["GIT_SSH_COMMAND"])), "GIT_SSH_COMMAND")
    ran = run_bounded(
        ["git", "config", "--show-origin", "--get", "core.sshCommand"], env, timeout, cwd=cwd
    )
    if ran.ok and ran.stdout.strip():
        origin, _, value = ran.stdout.strip().partition("\t")
        return GitSsh(tuple(_split(value)), f"core.sshCommand ({origin.removeprefix('file:')})")
    if env.get("GIT_SSH"):
        program = env["GIT_SSH"]
        name = os.path.basename(program).lower().removesuffix(".exe")
        variant = env.get("GIT_SSH_VARIANT") or ("plink" if name in _PUTTY else "ssh")
        return GitSsh((program,), "GIT_SSH", variant)
    return GitSsh(("ssh",), "ssh (default)")


def _split(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def effective(
    host: str,
    env: Mapping[str, str],
    *,
    cwd: Path | None,
    timeout: float,
    url_user: str | None = None,
    isolated_config: Path | None = None,
) -> Effective:
    """`<git's ssh> -G -v [user@]host`: the options git's ssh will use for CodeCommit."""
    command = git_ssh(env, cwd, timeout)
    if command.variant not in ("ssh", "auto"):
        raise NotOpenSsh(
            f"git runs {command.argv[0]} ({command.source}), which is not OpenSSH",
            "PuTTY's plink does not read ~/.ssh/config nor OpenSSH keys",
            "unset GIT_SSH (or set GIT_SSH_COMMAND=ssh)",
        )
    argv = list(command.argv)
    if isolated_config is not None and "-F" not in argv:
        # OpenSSH reads the passwd home's config, not $HOME's: name the isolated one.
        argv += ["-F", str(isolated_config)]
    target = f"{url_user}@{host}" if url_user else host
    ran = run_bounded([*argv, "-G", "-v", target], env, timeout, cwd=cwd)
    if ran.timed_out:
        raise OnboardError(
            f"`{' '.join(argv)} -G {host}` gave no answer within {timeout:g} s",
            "a `Match exec` command in the ssh config that does not return, or a FIFO or "
            "device where a config or Include file should be",
            "run `ssh -G -v " + host + "` and fix the last file/line it prints",
        )
    if not ran.ok:
        raise OnboardError(
            "ssh cannot read its configuration",
            ran.stderr.strip().splitlines()[-1] if ran.stderr.strip() else ran.problem(timeout),
            "fix the line it names in the ssh config (onboard keeps a .onboard-backup beside it)",
        )
    options: dict[str, list[str]] = {}
    for line in ran.stdout.splitlines():
        key, _, value = line.partition(" ")
        if key:
            options.setdefault(key.lower(), []).append(value)
    blocks = tuple(
        (m["file"], int(m["line"]), m["pat"].strip())
        for m in map(_APPLYING.match, ran.stderr.splitlines())
        if m is not None
    )
    user_from = None if url_user or _has_user_option(argv) else _user_block(blocks)
    return Effective(options, command, blocks, user_from)


def _has_user_option(argv: list[str]) -> bool:
    joined = " ".join(argv).lower()
    return "-l " in joined or "user=" in joined


def _user_block(blocks: tuple[tuple[str, int, str], ...]) -> str | None:
    """The first applied block that sets User (ssh keeps the first value it finds)."""
    for path, line, pattern in blocks:
        try:
            lines = Path(path).expanduser().read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, text in enumerate(lines[line:], start=line + 1):
            word = text.strip().split(None, 1)
            if not word:
                continue
            keyword = word[0].lower()
            if keyword in ("host", "match"):
                break
            if keyword == "user" or keyword.startswith("user="):
                kind = "Match" if pattern.startswith(("all", "exec", "host ")) else "Host"
                return f"{kind} {pattern} ({path} line {line}, User at line {number})"
    return None
