"""One atomic edit of the global git config's CodeCommit credential section.

Setting the helper used to be three `git config` runs; a kill between them
left CodeCommit with no helper, or `store` with `UseHttpPath` (git never
finds the password). Here the whole change is one replacement of the file,
made under git's own `<file>.lock` (so git and onboard exclude each other)
and onboard's edit lock (`onboard.files.edit_file`). The lines written are
the ones `git config --add` would write; every other byte stays. Before the
rename, git itself reads the new text back (`git config --file -`): the
helpers must be exactly the wanted ones and every other entry unchanged,
else nothing is written.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from onboard.errors import ConfigFileError
from onboard.files import EditResult, edit_file

CODECOMMIT_URL_PATTERN = "https://git-codecommit.*.amazonaws.com"
HELPER_KEY = f"credential.{CODECOMMIT_URL_PATTERN}.helper"
USE_HTTP_PATH_KEY = f"credential.{CODECOMMIT_URL_PATTERN}.UseHttpPath"

_HEADER = re.compile(r'^[ \t]*\[[ \t]*([A-Za-z0-9.-]+)(?:[ \t]+"((?:[^"\\\r\n]|\\.)*)")?[ \t]*\]')
_KEY = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9-]*)[ \t]*(?:=|[;#]|\r?\n|$)")
_OURS = ("helper", "usehttppath")


@dataclass(frozen=True)
class HelperEdit:
    """What setting the CodeCommit helpers did: the file edit and the git commands it equals."""

    edit: EditResult
    commands: list[str]


def global_config_path(env: Mapping[str, str] | None) -> Path:
    """The file `git config --global` writes, for this environment."""
    environ = os.environ if env is None else env
    if environ.get("GIT_CONFIG_GLOBAL"):
        return Path(environ["GIT_CONFIG_GLOBAL"]).expanduser()
    home = Path(environ.get("HOME") or Path.home())
    dotfile = home / ".gitconfig"
    xdg = Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "git" / "config"
    # git writes ~/.gitconfig unless only the XDG file exists.
    if not dotfile.exists() and xdg.is_file():
        return xdg
    return dotfile


def git_quote(value: str) -> str:
    """A config value as `git config` writes it (quoted when it must be, escapes)."""
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    if value != value.strip() or ";" in value or "#" in value:
        return f'"{escaped}"'
    return escaped


def set_codecommit_helpers(
    env: Mapping[str, str] | None, helpers: list[str], *, use_http_path: bool | None
) -> HelperEdit:
    """Make the CodeCommit section's helpers exactly `helpers` and UseHttpPath so, in one write.

    `use_http_path`: True writes `UseHttpPath = true`, False removes it,
    None leaves whatever is there. An empty `helpers` removes the helpers.
    Idempotent. Returns the edit and the equivalent git commands (to show).
    """
    path = global_config_path(env)
    commands: list[list[str]] = []

    def change(text: str) -> str:
        commands.clear()
        current_helpers, current_path = _current(text, env)
        if current_helpers != helpers:
            if current_helpers:
                commands.append(["config", "--global", "--unset-all", HELPER_KEY])
            commands.extend(["config", "--global", "--add", HELPER_KEY, v] for v in helpers)
        if use_http_path is True and current_path != "true":
            commands.append(["config", "--global", USE_HTTP_PATH_KEY, "true"])
        elif use_http_path is False and current_path is not None:
            commands.append(["config", "--global", "--unset-all", USE_HTTP_PATH_KEY])
        if not commands:
            return text
        drop: set[str] = set()
        lines: list[str] = []
        if current_helpers != helpers:
            drop.add("helper")
            lines += [f"\thelper = {git_quote(value)}" for value in helpers]
        if any(USE_HTTP_PATH_KEY in command for command in commands):
            drop.add("usehttppath")
            if use_http_path:
                lines.append("\tUseHttpPath = true")
        new = _rewrite(text, drop, lines)
        _verify(path, text, new, env, helpers, use_http_path, drop)
        return new

    # git keeps the config file's own mode; a new one is 0644 like git makes it.
    edit = edit_file(path, change, mode=None, git_lock=True)
    return HelperEdit(edit, [shlex.join(["git", *command]) for command in commands])


def _current(text: str, env: Mapping[str, str] | None) -> tuple[list[str], str | None]:
    """(helpers, UseHttpPath) of the CodeCommit section as git reads `text`."""
    helpers = _git_read(text, env, ["-z", "--get-all", HELPER_KEY])
    use_path = _git_read(text, env, ["-z", "--bool", "--get", USE_HTTP_PATH_KEY])
    return helpers, (use_path[-1] if use_path else None)


def _git_read(text: str, env: Mapping[str, str] | None, args: list[str]) -> list[str]:
    """`git config --file - ARGS` on `text`, bytes in and out (the file may not be UTF-8)."""
    try:
        result = subprocess.run(
            ["git", "config", "--file", "-", *args],
            input=text.encode("utf-8", "surrogateescape"),
            capture_output=True,
            env=dict(env) if env is not None else None,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigFileError(
            "git could not read the git config", str(exc), "check that git runs"
        ) from None
    if result.returncode == 1:  # no such key
        return []
    if result.returncode != 0:
        raise ConfigFileError(
            "git cannot read its global config file",
            result.stderr.decode("utf-8", "replace").strip()
            or f"git config exited with {result.returncode}",
            "fix the line git names, then run onboard again",
        )
    return result.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]


def _entries(text: str, env: Mapping[str, str] | None, drop: set[str]) -> list[str]:
    """Every `key=value` git reads from `text`, but the CodeCommit keys being replaced."""
    ours = {f"credential.{CODECOMMIT_URL_PATTERN}.{key}" for key in drop}
    kept = []
    for entry in _git_read(text, env, ["-z", "--list"]):
        # git prints section and key names lower-case, the URL in between as written.
        if entry.split("\n", 1)[0] not in ours:
            kept.append(entry)
    return kept


def _verify(
    path: Path,
    old: str,
    new: str,
    env: Mapping[str, str] | None,
    helpers: list[str],
    use_http_path: bool | None,
    drop: set[str],
) -> None:
    got_helpers, got_path = _current(new, env)
    wanted_path = {True: "true", False: None, None: got_path}[use_http_path]
    same_rest = _entries(old, env, drop) == _entries(new, env, drop)
    if got_helpers != helpers or got_path != wanted_path or not same_rest:
        raise ConfigFileError(
            f"onboard cannot edit {path} safely",
            "git would not read the edited file as intended (an unusual layout of the "
            f'[credential "{CODECOMMIT_URL_PATTERN}"] section); nothing was changed',
            "set the helper with the git config commands shown in the documentation",
        )


def _is_ours(header: re.Match[str]) -> bool:
    section, subsection = header.group(1), header.group(2)
    if subsection is None:
        return False
    unescaped = re.sub(r"\\(.)", r"\1", subsection)
    return section.lower() == "credential" and unescaped == CODECOMMIT_URL_PATTERN


def _continued(line: str) -> bool:
    body = line.rstrip("\r\n")
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _rewrite(text: str, drop: set[str], new_lines: list[str]) -> str:
    """`text` without our section's `drop` keys, and `new_lines` at the end of that section."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    in_ours = False
    insert_at: int | None = None
    skipping = continuing = False
    for line in lines:
        if continuing:  # the rest of a value that goes on with a backslash
            continuing = _continued(line)
            if not skipping:
                kept.append(line)
            continue
        skipping = False
        header = _HEADER.match(line)
        if header is not None:
            in_ours = _is_ours(header)
            kept.append(line)
            if in_ours:
                insert_at = len(kept)
            continue
        key = _KEY.match(line)
        if in_ours and key is not None and key.group(1).lower() in drop:
            skipping = True
        else:
            kept.append(line)
        continuing = _continued(line)
        if in_ours and not skipping and line.strip() and line.lstrip()[:1] not in "#;":
            insert_at = len(kept)
    addition = [line + newline for line in new_lines]
    if not addition:
        return "".join(kept)
    if insert_at is None:
        head = "".join(kept)
        if head and not head.endswith("\n"):
            head += newline
        return head + f'[credential "{CODECOMMIT_URL_PATTERN}"]{newline}' + "".join(addition)
    if insert_at > 0 and not kept[insert_at - 1].endswith("\n"):
        kept[insert_at - 1] += newline
    return "".join(kept[:insert_at] + addition + kept[insert_at:])
