"""Safe edits of the user's config files (`~/.ssh/config`, `~/.aws/*`, ...).

Every edit is atomic (write a temp file in the same folder, fsync, rename),
idempotent (writing the same content again changes nothing and makes no
backup), keeps every byte we do not own, and leaves a backup of the old file
beside it (`<name>.onboard-backup`) before the first change of a run.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from onboard.errors import ConfigFileError

BACKUP_SUFFIX = ".onboard-backup"


@dataclass(frozen=True)
class EditResult:
    """What an edit did: nothing, or wrote `path` (and a backup when one existed)."""

    path: Path
    changed: bool
    backup: Path | None = None


def read_text(path: Path) -> str:
    """The file's text ('' when missing), keeping its line endings untouched."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""
    except UnicodeDecodeError as exc:
        raise ConfigFileError(
            f"{path} is not UTF-8 text",
            f"byte {exc.start} cannot be decoded",
            f"fix or move {path} aside, then run onboard again",
        ) from exc
    except OSError as exc:
        raise ConfigFileError(
            f"cannot read {path}", exc.strerror or str(exc), f"check the permissions of {path}"
        ) from exc


def atomic_write(path: Path, text: str, mode: int = 0o600, backup: bool = True) -> EditResult:
    """Replace `path` with `text` atomically; no-op when the content is the same."""
    old = read_text(path) if path.exists() else None
    if old == text:
        return EditResult(path, changed=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        backup_path: Path | None = None
        if backup and old is not None:
            backup_path = path.with_name(path.name + BACKUP_SUFFIX)
            shutil.copy2(path, backup_path)
            os.chmod(backup_path, mode)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, mode)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise
    except OSError as exc:
        raise ConfigFileError(
            f"cannot write {path}",
            exc.strerror or str(exc),
            f"check the permissions of {path.parent}",
        ) from exc
    return EditResult(path, changed=True, backup=backup_path)


def _markers(name: str) -> tuple[str, str]:
    return (f"# >>> onboard: {name} >>>", f"# <<< onboard: {name} <<<")


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
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"[ \t]*(\r?\n|$)", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _m: block, text, count=1)
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
    begin, end = _markers(name)
    body = re.escape(begin) + r".*?" + re.escape(end) + r"[ \t]*(?:\r?\n|$)"
    leading = re.compile(r"\A" + body + r"(?:\r?\n)?", re.DOTALL)
    if leading.search(text):
        return leading.sub("", text, count=1)
    trailing = re.compile(r"(?:\r?\n)?" + body, re.DOTALL)
    return trailing.sub("", text, count=1)


def has_block(text: str, name: str) -> bool:
    """Whether onboard's block called `name` is in `text`."""
    begin, end = _markers(name)
    return begin in text and end in text
