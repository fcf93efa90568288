"""Locks that keep concurrent `onboard` processes (and git) from losing each other's edits.

Two kinds:
- `folder_lock(folder)`: onboard's own guard around every read-modify-write
  of a file in `folder` (`flock` on the folder itself on POSIX, on a hidden
  `.onboard-lock` file on Windows). The kernel releases it when its process
  dies, so it is never stale. Re-entrant within a thread.
- `git_lock(path)`: git's own protocol, `<path>.lock` created exclusively,
  the new content written into it and renamed over `path`. git and onboard
  exclude each other; a `.lock` nobody is writing is recovered with a note.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from onboard.errors import ConfigFileError

LOCK_TIMEOUT = 30.0
"""Seconds to wait for another onboard process (or git) before giving up."""
STALE_GIT_LOCK = 5.0
"""A `<file>.lock` older than this while we hold the folder guard is stale:
git holds a config lock for milliseconds, and every onboard writer holds the
guard while its `.lock` exists, so the process that made it is gone."""

_held = threading.local()


def _counts() -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] | None = getattr(_held, "counts", None)
    if counts is None:
        counts = {}
        _held.counts = counts
    return counts


@contextlib.contextmanager
def folder_lock(folder: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold onboard's edit guard for `folder` (waits up to `timeout` seconds)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    key = (info.st_dev, info.st_ino)
    counts = _counts()
    if counts.get(key):
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
        return
    fd = _open_guard(folder)
    try:
        _acquire(fd, folder, timeout)
        counts[key] = 1
        try:
            yield
        finally:
            counts.pop(key, None)
            _release(fd)
    finally:
        os.close(fd)


def _open_guard(folder: Path) -> int:
    try:
        if os.name == "nt":  # pragma: no cover - Windows cannot lock a folder
            return os.open(folder / ".onboard-lock", os.O_RDWR | os.O_CREAT, 0o600)
        return os.open(folder, os.O_RDONLY)
    except OSError as exc:
        raise ConfigFileError(
            f"cannot lock {folder} for editing",
            exc.strerror or str(exc),
            f"check the permissions of {folder}",
        ) from exc


def _acquire(fd: int, folder: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _try_lock(fd)
            return
        except BlockingIOError:
            pass
        except OSError as exc:
            if exc.errno not in (11, 13, 35):  # EAGAIN, EACCES, EWOULDBLOCK (macOS)
                raise ConfigFileError(
                    f"cannot lock {folder} for editing",
                    exc.strerror or str(exc),
                    "check that the folder is on a local disk",
                ) from exc
        if time.monotonic() >= deadline:
            raise ConfigFileError(
                f"another onboard process is editing files in {folder}",
                f"it held the lock for more than {timeout:g} seconds",
                "let it finish (or stop it), then run onboard again",
            )
        time.sleep(0.01)


def _try_lock(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _release(fd: int) -> None:
    if os.name == "nt":  # pragma: no cover
        import msvcrt

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def create_exclusive(
    path: Path,
    suffix: str,
    mode: int,
    notes: list[str],
    *,
    stale_after: float,
    timeout: float = LOCK_TIMEOUT,
) -> tuple[int, Path]:
    """Create `<path><suffix>` exclusively with `mode`; returns (fd, its path).

    Call it while holding `folder_lock(path.parent)`. With `suffix=".lock"`
    this is git's lock protocol: it waits while git holds the lock. A file
    older than `stale_after` seconds was left by a process that was stopped
    before it finished: it is removed, and `notes` says so.
    """
    lock = path.with_name(path.name + suffix)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            try:
                age = time.time() - lock.stat().st_mtime
            except FileNotFoundError:
                continue  # git just finished: try again at once
            if age >= stale_after:
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                notes.append(
                    f"removed {lock}, left {age:.0f} s ago by a git or onboard "
                    "process that was stopped before it finished"
                )
                continue
            if time.monotonic() >= deadline:
                raise ConfigFileError(
                    f"git is editing {path} ({lock} exists)",
                    f"the lock stayed for more than {timeout:g} seconds",
                    f"wait for git to finish; if no git runs, remove {lock}",
                ) from None
            time.sleep(0.01)
            continue
        except OSError as exc:
            raise ConfigFileError(
                f"cannot write {path}",
                exc.strerror or str(exc),
                f"check the permissions of {path.parent}",
            ) from exc
        if hasattr(os, "fchmod"):
            os.fchmod(fd, mode)  # the final mode from the first byte, whatever the umask
        return fd, lock
