"""Safe edits of the user's config files (`~/.ssh/config`, `~/.aws/*`, `~/.gitconfig`).

`edit_file(path, change)` is the one way onboard changes a user's file:
- under a lock shared by every onboard process (`onboard.locks.folder_lock`),
  so the read, the change and the write of two concurrent runs never
  interleave; with `git_lock=True` also under git's own `<file>.lock`, so
  git and onboard exclude each other;
- atomic: the new content goes to a temporary file created with its final
  mode, is fsynced and renamed over the file; the temporary file is removed
  on every way out (one left by a killed process is removed by the next run);
- byte-preserving: the text is decoded with `surrogateescape`, so bytes that
  are not UTF-8 (in a comment, say) are written back exactly;
- idempotent (the same content changes nothing), and the first change keeps
  the file as it was before onboard in `<name>.onboard-backup` (0600,
  written atomically; later changes keep that first backup);
- it refuses a read-only file (mode without `u+w`) instead of replacing it.

Readers are bounded: `read_text` and `edit_file` refuse files over
`MAX_CONFIG_BYTES` and anything that is not a regular file (FIFOs, devices);
`read_bounded` and `read_stream` do the same for other inputs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from onboard import locks
from onboard.errors import ConfigFileError, InvalidInput, OnboardError
from onboard.locks import create_exclusive, folder_lock

log = logging.getLogger(__name__)

BACKUP_SUFFIX = ".onboard-backup"
TEMP_SUFFIX = ".onboard-tmp"
MAX_CONFIG_BYTES = 4 * 1024 * 1024
"""The largest config file onboard reads or edits (4 MiB; real ones are a few KiB)."""


@dataclass(frozen=True)
class EditResult:
    """What an edit did: nothing, or wrote `path` (and a backup when one existed)."""

    path: Path
    changed: bool
    backup: Path | None = None
    notes: tuple[str, ...] = ()
    """Things worth telling the user (a stale lock or temporary file removed)."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _read_regular(path: Path, limit: int, error: type[OnboardError]) -> bytes | None:
    """At most `limit` bytes of a regular file; None when it does not exist."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise error(
            f"cannot read {path}", exc.strerror or str(exc), f"check the permissions of {path}"
        ) from exc
    try:
        info = os.fstat(fd)
        for test, kind in _KINDS:
            if test(info.st_mode):
                raise error(
                    f"{path} is not a regular file",
                    f"it is {kind}; onboard only reads ordinary files",
                    "give the path of a file",
                )
        if info.st_size > limit:
            raise error(
                f"{path} is too large ({info.st_size:,} bytes)",
                f"onboard reads at most {limit:,} bytes from it",
                "check that this is the right file",
            )
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew while we read
            raise error(
                f"{path} is too large", f"onboard reads at most {limit:,} bytes from it", ""
            )
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"cannot read {path}", exc.strerror or str(exc), "") from exc
    finally:
        os.close(fd)


def read_bounded(path: Path, limit: int) -> bytes:
    """The bytes of a regular file the user named, refused over `limit` bytes.

    FIFOs, devices (`/dev/zero`) and folders are refused before any read;
    a missing or unreadable file is an `InvalidInput` (exit 3).
    """
    data = _read_regular(path, limit, InvalidInput)
    if data is None:
        raise InvalidInput(f"{path} does not exist", "", "check the path")
    return data


def read_stream(stream: BinaryIO, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of `stream` (stdin) and whether there was more (cut)."""
    data = stream.read(limit + 1) or b""
    return data[:limit], len(data) > limit


def read_text(path: Path) -> str:
    """The file's text ('' when missing), keeping its line endings untouched."""
    data = _read_regular(path, MAX_CONFIG_BYTES, ConfigFileError)
    if data is None:
        return ""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            f"{path} is not UTF-8 text",
            f"byte {exc.start} cannot be decoded",
            f"fix or move {path} aside, then run onboard again",
        ) from exc


def edit_file(
    path: Path,
    change: Callable[[str], str],
    *,
    mode: int | None = 0o600,
    backup: bool = True,
    git_lock: bool = False,
) -> EditResult:
    """Replace `path`'s text with `change(text)`, safely (see the module docstring).

    `change` gets the current text ('' for a missing file) read under the
    lock, and returns the new text; it may raise to refuse. A symlink is
    followed: the file it points to is edited and the link stays. `mode`
    None keeps the file's own mode (0644 for a new file), as git does.
    """
    target = path.resolve() if path.is_symlink() else path
    notes: list[str] = []
    try:
        with folder_lock(target.parent):
            _sweep(target, notes)
            # The temporary file (for git: its `.lock`) is taken before the file is
            # read, so git cannot write between our read and our rename.
            suffix, stale = (".lock", locks.STALE_GIT_LOCK) if git_lock else (TEMP_SUFFIX, 0.0)
            fd, temporary = create_exclusive(target, suffix, 0o600, notes, stale_after=stale)
            data: bytes | None = None
            try:
                old_bytes = _read_regular(target, MAX_CONFIG_BYTES, ConfigFileError)
                old = None if old_bytes is None else old_bytes.decode("utf-8", "surrogateescape")
                new = change(old or "")
                if old is not None and new == old:
                    return EditResult(path, changed=False, notes=_logged(notes))
                if old_bytes is not None:
                    _check_writable(target)
                backup_path: Path | None = None
                if backup and old_bytes is not None:
                    backup_path = target.with_name(target.name + BACKUP_SUFFIX)
                    # The first backup is the file before onboard: later edits keep it.
                    if not os.path.lexists(backup_path):
                        _replace(backup_path, old_bytes, 0o600, TEMP_SUFFIX, notes, 0.0)
                if mode is None:
                    mode = stat.S_IMODE(target.stat().st_mode) if old_bytes is not None else 0o644
                data = new.encode("utf-8", "surrogateescape")
            finally:
                if data is None:  # refused, unchanged or failed: the temporary file goes
                    _discard(fd, temporary)
            _install(fd, temporary, target, data, mode)
    except OSError as exc:
        raise ConfigFileError(
            f"cannot write {path}",
            exc.strerror or str(exc),
            f"check the permissions of {target.parent}",
        ) from exc
    return EditResult(path, changed=True, backup=backup_path, notes=_logged(notes))


def _logged(notes: list[str]) -> tuple[str, ...]:
    for note in notes:  # also in the log: a caller may not show EditResult.notes
        log.warning("%s", note)
    return tuple(notes)


def _write_all(fd: int, data: bytes, mode: int) -> None:
    """Set `mode` (before the first byte), write `data`, fsync."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.fsync(fd)


def atomic_write(path: Path, text: str, mode: int = 0o600, backup: bool = True) -> EditResult:
    """Replace `path` with `text` through `edit_file`; no-op when the content is the same."""
    return edit_file(path, lambda _old: text, mode=mode, backup=backup)


def _check_writable(path: Path) -> None:
    info = path.stat()
    if not info.st_mode & stat.S_IWUSR or not os.access(path, os.W_OK):
        raise ConfigFileError(
            f"{path} is read-only (mode {stat.S_IMODE(info.st_mode):04o})",
            "onboard does not replace a file that was protected from changes",
            f"make it writable (chmod u+w {path}) and run onboard again, "
            "or make the change yourself",
        )


def _sweep(target: Path, notes: list[str]) -> None:
    """Remove temporary files a killed onboard left beside `target` (we hold the lock)."""
    for leftover in (
        target.with_name(target.name + TEMP_SUFFIX),
        target.with_name(target.name + BACKUP_SUFFIX + TEMP_SUFFIX),
    ):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
            notes.append(f"removed {leftover}, left by an onboard process that was stopped")


def _replace(
    target: Path, data: bytes, mode: int, suffix: str, notes: list[str], stale_after: float
) -> None:
    """Write `data` to `<target><suffix>` (mode set before the first byte), fsync, rename."""
    fd, temporary = create_exclusive(target, suffix, mode, notes, stale_after=stale_after)
    _install(fd, temporary, target, data, mode)


def _install(fd: int, temporary: Path, target: Path, data: bytes, mode: int) -> None:
    """Write `data` into the open temporary file, rename it over `target`; closes `fd`.

    On any failure the temporary file is removed and `target` is untouched.
    """
    renamed = False
    try:
        _write_all(fd, data, mode)
        os.replace(temporary, target)
        renamed = True
        _fsync_folder(target.parent)
    finally:
        if not renamed:
            _discard(fd, temporary)
        else:
            os.close(fd)


def _discard(fd: int, temporary: Path) -> None:
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temporary)


def _fsync_folder(folder: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows cannot open a folder
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- onboard's marked blocks -----------------------------------------------------------------


def _markers(name: str) -> tuple[str, str]:
    return (f"# >>> onboard: {name} >>>", f"# <<< onboard: {name} <<<")


def find_block(text: str, name: str) -> tuple[int, int] | None:
    """Where onboard's block `name` is in `text` (start of its first line, end of its last).

    Markers count only at the start of a line: a commented-out old block
    (`# # >>> onboard: ...`) is the user's text, not ours. A start marker
    without an end marker is refused rather than guessed at.
    """
    begin, end = _markers(name)
    start = re.search(r"(?m)^[ \t]*" + re.escape(begin) + r"[ \t]*\r?$", text)
    if start is None:
        return None
    finish = re.compile(r"(?m)^[ \t]*" + re.escape(end) + r"[ \t]*(?:\r?\n|\Z)").search(
        text, start.end()
    )
    if finish is None:
        raise ConfigFileError(
            f"onboard's {name!r} block has a start line but no end line",
            f"the line `{end}` was removed or changed by hand",
            "remove the block's lines (or add the end line), then run onboard again",
        )
    return start.start(), finish.end()


def upsert_block(text: str, name: str, body: str, *, prepend: bool = False) -> str:
    """Put `body` between onboard's markers in `text`, replacing an earlier block.

    Everything outside the markers is kept byte for byte. A new block goes at
    the end, or at the start with `prepend` (ssh uses the first value it
    finds, so a Host block must come before a catch-all `Host *`).
    """
    begin, end = _markers(name)
    newline = "\r\n" if "\r\n" in text else "\n"
    block_lines = [begin, *body.rstrip("\r\n").splitlines(), end]
    block = newline.join(block_lines) + newline
    span = find_block(text, name)
    if span is not None:
        return text[: span[0]] + block + text[span[1] :]
    if not text:
        return block
    if prepend:
        return block + newline + text
    separator = "" if text.endswith(("\n", "\r\n")) else newline
    return text + separator + newline + block


def remove_block(text: str, name: str) -> str:
    """`text` without onboard's block called `name` (unchanged when absent).

    Undoes `upsert_block` exactly: the blank line it put between the block
    and the user's text (before it, or after it with `prepend`) goes too.
    """
    span = find_block(text, name)
    if span is None:
        return text
    start, finish = span
    if start == 0:
        rest = text[finish:]
        for newline in ("\r\n", "\n"):
            if rest.startswith(newline):
                return rest[len(newline) :]
        return rest
    head = text[:start]
    for newline in ("\r\n", "\n"):
        if head.endswith(newline):
            head = head[: -len(newline)]
            break
    return head + text[finish:]


def has_block(text: str, name: str) -> bool:
    """Whether onboard's block called `name` is in `text`."""
    try:
        return find_block(text, name) is not None
    except ConfigFileError:
        return False
