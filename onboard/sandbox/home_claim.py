"""The sandbox writes only files it created: which folders it may use, which files it owns.

`onboard sandbox --home DIR` once overwrote `DIR/.ssh/codecommit_rsa`; with
`--home ~` that was the user's real key. Now a home must be new, empty, or
one a sandbox made before (it holds `MARKER`, a list of the files the
sandbox wrote with their SHA-256). A file the sandbox wants to write that
exists and is not on that list unchanged is left alone: the sandbox uses
another name (`owned_path`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from onboard.errors import InvalidInput
from onboard.files import atomic_write

MARKER = ".onboard-sandbox-home"
DATA_MARKER = ".onboard-sandbox-data"
_TELLING = (".ssh/codecommit_rsa", ".ssh/config", ".gitconfig", ".aws/credentials", ".aws/config")


def claim_folder(root: Path, marker: str, what: str) -> None:
    """Make sure the sandbox may use `root` (new, empty or marked), then mark it."""
    try:
        if root.exists() or root.is_symlink():
            if not root.is_dir():
                raise InvalidInput(
                    f"{root} is not a folder",
                    f"the sandbox needs a folder for its {what}",
                    "give a new or empty folder, or leave the option out",
                )
            if (root / marker).is_file():
                return
            entries = sorted(os.listdir(root))
            if entries:
                telling = [root / name for name in _TELLING if (root / name).exists()]
                example = telling[0] if telling else root / entries[0]
                raise InvalidInput(
                    f"{root} is not empty and was not made by the sandbox",
                    f"the sandbox writes its {what} there and would change files it did not "
                    f"create, such as {example}",
                    "give a new or empty folder (or leave the option out for a temporary one)",
                )
        root.mkdir(parents=True, exist_ok=True)
        _write_manifest(root / marker, {})
    except OSError as exc:
        raise InvalidInput(
            f"the sandbox cannot use {root}",
            exc.strerror or str(exc),
            "give a new or empty folder you can write",
        ) from exc


def owned_path(root: Path, wanted: Path) -> Path:
    """`wanted` if the sandbox may write it (absent, or its own and unchanged), else a new name."""
    manifest = _read_manifest(root / MARKER)
    candidate = wanted
    for number in range(2, 100):
        if not candidate.exists():
            return candidate
        relative = candidate.relative_to(root).as_posix()
        if manifest.get(relative) == _digest(candidate):
            return candidate
        candidate = wanted.with_name(f"{wanted.name}-sandbox{number}")
    raise InvalidInput(f"no free file name beside {wanted}", "", "clean up the sandbox home")


def record_written(root: Path, path: Path) -> None:
    """Note that the sandbox wrote `path` (so a later sandbox may replace it)."""
    marker = root / MARKER
    if not marker.is_file():
        return
    manifest = _read_manifest(marker)
    manifest[path.relative_to(root).as_posix()] = _digest(path)
    _write_manifest(marker, manifest)


def _digest(path: Path) -> str:
    with contextlib.suppress(OSError):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return ""


def _read_manifest(marker: Path) -> dict[str, str]:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_manifest(marker: Path, files: dict[str, str]) -> None:
    text = json.dumps({"made_by": "onboard sandbox", "files": files}, indent=1) + "\n"
    atomic_write(marker, text, mode=0o600, backup=False)
