"""`git ls-remote` for the live check, with an early verdict once CodeCommit said yes.

After CodeCommit accepts the credentials (HTTP 200), git calls `store` on
every credential helper before it reads the refs. The AWS CLI helper ignores
`store` (its passwords are signed per request), yet git still starts a whole
AWS CLI for it: about as long as the `get` that mattered. When every helper
git runs for the URL is the AWS helper, the check reads git's trace2 events
(on a pipe, `GIT_TRACE2_EVENT=<fd>`) and gives its verdict the moment git
starts that no-op `store`; git finishes in the background. With any other
helper (keychain, store, manager) the doctor waits for git to end, since
their `store` writes a password. Everything else is the user's real git:
their config, their helpers, their PATH. (Not on Windows: no /dev/fd.)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboard.doctor.procs import run_bounded
from onboard.git.cli import GitResult

_NO_PROMPT = {
    "GIT_TERMINAL_PROMPT": "0",
    "GCM_INTERACTIVE": "never",
    "SSH_ASKPASS_REQUIRE": "never",
}

DEV_FD = "/dev/fd"


@dataclass(frozen=True)
class LiveResult:
    """What `git ls-remote` said, and whether the verdict came at git's `store` step."""

    result: GitResult
    early: bool = False
    """True: CodeCommit accepted the credentials and git was storing them when we answered."""
    seconds: float = 0.0


def is_store_start(event: Mapping[str, object]) -> bool:
    """Whether a trace2 event is git starting a credential helper's `store`."""
    if event.get("event") != "child_start":
        return False
    argv = event.get("argv")
    if not isinstance(argv, list) or not argv:
        return False
    return " ".join(str(part) for part in argv).rstrip().endswith(" store")


def run_ls_remote(
    url: str,
    env: Mapping[str, str],
    timeout: float,
    *,
    early_at_store: bool = False,
    cwd: Path | None = None,
) -> LiveResult:
    """`git ls-remote URL` in `cwd` (never prompts, `timeout` s); see the module docstring.

    In a clone (`cwd`) the repository's own config (helpers, sshCommand) applies.
    """
    started = time.perf_counter()
    run_env = {k: v for k, v in env.items() if k not in ("GIT_ASKPASS", "SSH_ASKPASS")}
    run_env.update(_NO_PROMPT)
    if not early_at_store or sys.platform == "win32" or not os.path.isdir(DEV_FD):
        ran = run_bounded(["git", "ls-remote", url], run_env, timeout, cwd=cwd)
        stderr = ran.stderr
        if ran.timed_out:
            stderr = (stderr + f"\ngit ls-remote gave no answer within {timeout:g} seconds").strip()
        elif ran.error is not None:
            stderr = f"git could not start: {ran.error}"
        result = GitResult(ran.ok, ran.returncode, ran.stdout, stderr, timed_out=ran.timed_out)
        return LiveResult(result, seconds=time.perf_counter() - started)
    read_fd, write_fd = os.pipe()
    # trace2 takes a bare fd only from 2 to 9; an absolute path to the inherited pipe
    # works for any fd. The helper runs in git-remote-https, two levels down.
    run_env.update(GIT_TRACE2_EVENT=f"{DEV_FD}/{write_fd}", GIT_TRACE2_EVENT_NESTING="4")
    try:
        process = subprocess.Popen(
            ["git", "ls-remote", url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=run_env,
            cwd=cwd,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        return LiveResult(GitResult(False, None, "", f"git could not start: {exc}"))
    finally:
        # Only git keeps the write end: its last exit is the watcher's end of file.
        _close_quietly(write_fd)
    storing, answered = threading.Event(), threading.Event()
    watcher = threading.Thread(target=_watch, args=(read_fd, storing, answered), daemon=True)
    watcher.start()
    collected: dict[str, str] = {}
    reader = threading.Thread(target=_collect, args=(process, collected, answered), daemon=True)
    reader.start()
    answered.wait(timeout)
    seconds = time.perf_counter() - started
    if "stderr" in collected:
        code = process.returncode
        result = GitResult(code == 0, code, collected.get("stdout", ""), collected["stderr"])
        return LiveResult(result, seconds=seconds)
    if storing.is_set():
        # CodeCommit answered 200 to the signed request; git is only calling the
        # AWS helper's no-op `store` now. The reader thread reaps git when it ends.
        return LiveResult(GitResult(True, 0, "", ""), early=True, seconds=seconds)
    _kill_group(process)
    reader.join(5)
    message = f"git ls-remote gave no answer within {timeout:g} seconds"
    stderr = (collected.get("stderr", "") + "\n" + message).strip()
    return LiveResult(
        GitResult(False, None, collected.get("stdout", ""), stderr, timed_out=True),
        seconds=seconds,
    )


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _watch(read_fd: int, storing: threading.Event, answered: threading.Event) -> None:
    """Read git's trace2 events until git ends; flag the first `store`."""
    with open(read_fd, encoding="utf-8", errors="replace") as events:
        for line in events:
            if storing.is_set():
                continue  # keep draining so git never blocks on a full pipe
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and is_store_start(event):
                storing.set()
                answered.set()


def _collect(
    process: subprocess.Popen[str], into: dict[str, str], answered: threading.Event
) -> None:
    stdout, stderr = process.communicate()
    into["stdout"], into["stderr"] = stdout, stderr
    answered.set()


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Stop git and what it started (helpers, ssh): its whole process group."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()
