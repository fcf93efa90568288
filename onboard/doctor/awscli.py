"""Which AWS CLI git's helper will start, and its version, without starting it when possible.

`aws --version` starts a whole Python (about as long as one AWS call), so the
version is read from where the installers leave it first: the v2 installer's
`/aws-cli/v2/<version>/` directory, Homebrew's `Cellar/awscli/<version>/`, or
a pip install's `awscli-<version>.dist-info` beside the `#!` interpreter.
Only when none of these answers (a pyenv shim, a wrapper script) is
`aws --version` run, which also proves the launcher starts.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass

_IN_PATH = re.compile(r"/(?:aws-cli/v2|Cellar/awscli)/(\d+\.\d+\.\d+)/")
_DIST_INFO = re.compile(r"awscli-(\d+\.\d+\.\d+)\.dist-info$")
_REPORTED = re.compile(r"aws-cli/(\d+\.\d+\.\d+)")
VERSION_TIMEOUT = 15.0


@dataclass(frozen=True)
class AwsCli:
    """The AWS CLI found on PATH: where, which version, how it was learnt, or why it fails."""

    path: str
    version: str | None = None
    source: str = ""
    """`path`, `dist-info` or `aws --version`: how the version was found."""
    broken: str | None = None
    """Why it cannot start (its interpreter is gone, `aws --version` failed), or None."""

    @property
    def major(self) -> int | None:
        """1 or 2 (None when the version is unknown)."""
        return int(self.version.split(".", 1)[0]) if self.version else None


def _shebang(path: str) -> list[str] | None:
    try:
        with open(path, "rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    return first[2:].split() if first.startswith("#!") else None


def broken_launcher(path: str, env: Mapping[str, str]) -> str | None:
    """Why the script at `path` cannot start (its #! interpreter is gone), or None."""
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    parts = _shebang(path)
    if parts is None:
        return None
    if not parts:
        return f"{path} has an empty #! line"
    interpreter = parts[0]
    if interpreter.endswith("/env") and len(parts) > 1:
        found = shutil.which(parts[1], path=env.get("PATH"))
        return None if found else f"{path} runs `{parts[1]}`, which is not on PATH"
    return None if os.path.exists(interpreter) else f"{path} runs {interpreter}, which is gone"


def _from_dist_info(path: str) -> str | None:
    parts = _shebang(path)
    if not parts or parts[0].endswith("/env"):
        return None
    prefix = os.path.dirname(os.path.dirname(parts[0]))
    pattern = os.path.join(glob.escape(prefix), "lib", "python*", "site-packages", "awscli-*")
    for candidate in sorted(glob.glob(pattern)):
        match = _DIST_INFO.search(candidate)
        if match:
            return match.group(1)
    return None


def _run_version(
    path: str, env: Mapping[str, str], timeout: float = VERSION_TIMEOUT
) -> tuple[str | None, str | None]:
    from onboard.doctor.procs import run_bounded

    # Its own process group, killed whole at the deadline (a wrapper may start children).
    ran = run_bounded([path, "--version"], env, timeout)
    if ran.error is not None or ran.timed_out:
        return None, f"`aws --version` failed: {ran.problem(timeout)}"
    output = (ran.stdout + ran.stderr).strip()
    match = _REPORTED.search(output)
    if ran.returncode != 0 or match is None:
        last = output.splitlines()[-1] if output else f"exit code {ran.returncode}"
        return None, f"`aws --version` failed: {last}"
    return match.group(1), None


def inspect_aws_cli(path: str, env: Mapping[str, str], timeout: float = VERSION_TIMEOUT) -> AwsCli:
    """The AWS CLI at `path`: its version (cheaply when the install says it) or why it fails."""
    broken = broken_launcher(path, env)
    if broken is not None:
        return AwsCli(path, broken=broken)
    match = _IN_PATH.search(os.path.realpath(path).replace(os.sep, "/"))
    if match:
        return AwsCli(path, match.group(1), "path")
    version = _from_dist_info(path)
    if version:
        return AwsCli(path, version, "dist-info")
    version, error = _run_version(path, env, min(timeout, VERSION_TIMEOUT))
    return AwsCli(path, version, "aws --version", broken=error)
