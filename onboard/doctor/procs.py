"""Subprocesses the doctor starts, each bounded by the run's `--timeout`.

A check must answer even when what it runs does not: a `credential_process`
that sleeps, an ssh config whose `Match exec` hangs, a FIFO where a config
file should be. The child runs in its own process group (no terminal to
prompt on) and the whole group is killed at the deadline, so a grandchild
holding the pipes cannot keep the doctor waiting either.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ran:
    """What a bounded command did: exit code (None: stopped or never started), output."""

    argv: tuple[str, ...]
    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    error: str | None = None
    """Why it could not start (not found, not executable), else None."""

    @property
    def ok(self) -> bool:
        """It ran and exited 0."""
        return self.returncode == 0

    def problem(self, timeout: float) -> str:
        """One sentence for a finding: why it did not work."""
        name = self.argv[0] if self.argv else "the command"
        if self.error is not None:
            return f"{name} could not start: {self.error}"
        if self.timed_out:
            return f"`{' '.join(self.argv)}` gave no answer within {timeout:g} s (stopped)"
        last = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return f"{name} exited with {self.returncode}" + (f": {last[-1]}" if last else "")


def run_bounded(
    argv: Sequence[str],
    env: Mapping[str, str] | None,
    timeout: float,
    *,
    cwd: Path | None = None,
    stdin: str | None = None,
) -> Ran:
    """Run `argv` for at most `timeout` seconds; never raises for the command's failures."""
    args = tuple(argv)
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=sys.platform != "win32",
        )
    except OSError as exc:
        return Ran(args, None, "", "", error=exc.strerror or str(exc))
    try:
        stdout, stderr = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        try:
            stdout, stderr = process.communicate(timeout=2)
        except subprocess.TimeoutExpired:  # a grandchild in another group holds the pipes
            stdout, stderr = "", ""
        return Ran(args, None, stdout or "", stderr or "", timed_out=True)
    return Ran(args, process.returncode, stdout, stderr)


def kill_group(process: subprocess.Popen[str]) -> None:
    """Stop a child and everything it started (its process group)."""
    try:
        if sys.platform != "win32":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.kill()
