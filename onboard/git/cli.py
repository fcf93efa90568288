"""Running git: the one place that starts a `git` process, and `git ls-remote` for checks.

Every function takes `env` (from `Home.env()`/`Settings.env()`), so the
sandbox's isolated home is what git sees. Nothing secret goes on a command
line: what must stay secret goes through `stdin`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from onboard.errors import OnboardError

_GIT_VERSION = re.compile(r"git version (\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class GitResult:
    """The outcome of a git command run for a check (`git ls-remote`)."""

    ok: bool
    returncode: int | None
    """None when git was stopped at the timeout or could not start."""
    stdout: str
    stderr: str
    timed_out: bool = False


def run_git(
    args: Sequence[str],
    env: Mapping[str, str] | None,
    *,
    check: bool = True,
    stdin: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS`; with `check`, a failure is an `OnboardError` quoting git's message."""
    try:
        result = subprocess.run(
            ["git", *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        raise OnboardError(
            "git was not found",
            "onboard sets up git, so it needs git on the PATH",
            "install git (https://git-scm.com/downloads), then run onboard again",
        ) from None
    except subprocess.TimeoutExpired:
        raise OnboardError(f"`git {args[0]}` did not finish", "it ran for 60 seconds") from None
    if check and result.returncode != 0:
        raise OnboardError(
            f"`git {' '.join(args[:2])}` failed",
            result.stderr.strip() or f"exit code {result.returncode}",
            "check the git config file it names, then run onboard again",
        )
    return result


def git_version(env: Mapping[str, str] | None) -> tuple[int, ...] | None:
    """git's version numbers (`git version 2.39.5` -> (2, 39, 5)); None without git."""
    try:
        result = run_git(["--version"], env, check=False)
    except OnboardError:
        return None
    return parse_git_version(result.stdout)


def parse_git_version(text: str) -> tuple[int, ...] | None:
    """Version numbers from `git --version` output (`2.43.0.windows.1` -> (2, 43, 0))."""
    match = _GIT_VERSION.search(text)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def ls_remote(url: str, env: Mapping[str, str] | None, timeout: float = 30) -> GitResult:
    """`git ls-remote URL` that never prompts and gives up after `timeout` seconds."""
    run_env = dict(os.environ if env is None else env)
    run_env.update(GIT_TERMINAL_PROMPT="0", GCM_INTERACTIVE="never", SSH_ASKPASS_REQUIRE="never")
    # An IDE's askpass would pop a dialog; a check must fail instead.
    for name in ("GIT_ASKPASS", "SSH_ASKPASS"):
        run_env.pop(name, None)
    try:
        process = subprocess.Popen(
            ["git", "ls-remote", url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=run_env,
            # No controlling terminal: ssh cannot stop to ask for a passphrase.
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        return GitResult(False, None, "", f"git could not start: {exc}")
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        stdout, stderr = process.communicate()
        message = f"git ls-remote gave no answer within {timeout:g} seconds"
        return GitResult(False, None, stdout, (stderr + "\n" + message).strip(), timed_out=True)
    return GitResult(process.returncode == 0, process.returncode, stdout, stderr)


def _kill(process: subprocess.Popen[str]) -> None:
    """Stop git and what it started (ssh, helpers): its whole process group."""
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        process.kill()
