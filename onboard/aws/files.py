"""The AWS CLI's files (`~/.aws/credentials`, `~/.aws/config`): read profiles, save an MFA session.

Reading follows configparser semantics, as botocore does. Writing replaces
only onboard's own section (`[<profile>-mfa]`) and keeps every other byte,
through `onboard.files.edit_file` (under the edit lock, atomic, 0600,
backup). The session's secret and token are written only here, because the
user asked to save the profile.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from onboard.errors import ConfigFileError, InvalidInput
from onboard.files import EditResult, edit_file, read_text
from onboard.home import Home
from onboard.secret import Secret, reveal

SESSION_SUFFIX = "-mfa"
_PROFILE_NAME = re.compile(r"^[\w+=,.@:/-]{1,128}$")
_HEADER = re.compile(r"^[ \t]*\[([^\]\r\n]*)\][ \t]*(?:[#;][^\r\n]*)?\r?$", re.MULTILINE)


class SessionCredentialsLike(Protocol):
    """What we need of STS session credentials (the gateway's `SessionCredentials`)."""

    @property
    def access_key_id(self) -> str: ...
    @property
    def secret_access_key(self) -> str | Secret: ...
    @property
    def session_token(self) -> str | Secret: ...


@dataclass(frozen=True)
class SavedSession:
    """A session profile found in the credentials file (no secrets kept)."""

    profile: str
    access_key_id: str
    expiration: datetime | None

    def expired(self, now: datetime) -> bool:
        """Whether the session has run out at `now` (unknown expiry counts as expired)."""
        return self.expiration is None or self.expiration <= now


def session_profile_name(profile: str | None) -> str:
    """The profile name onboard saves an MFA session under (`dev` -> `dev-mfa`)."""
    return f"{profile or 'default'}{SESSION_SUFFIX}"


def save_session_profile(
    home: Home,
    profile: str | None,
    creds: SessionCredentialsLike,
    region: str | None,
    expiration: datetime | None,
) -> EditResult:
    """Save MFA session credentials as `[<profile>-mfa]` in the credentials file.

    Other sections stay byte for byte; the file is 0600 with a backup.
    With `region`, `[profile <profile>-mfa]` in the config file gets it too.
    Refuses to replace a same-named section that holds long-term keys.
    Returns the credentials file's edit.
    """
    name = session_profile_name(profile)
    _check_name(name)
    values = {
        "aws_access_key_id": creds.access_key_id,
        # Written because the user asked to save the session (the one place they are revealed).
        "aws_secret_access_key": reveal(creds.secret_access_key) or "",
        "aws_session_token": reveal(creds.session_token) or "",
    }
    for key, value in values.items():
        if not value or any(char in value for char in "\r\n"):
            raise InvalidInput(f"the session's {key} is empty or broken", "", "get a new session")
    if expiration is not None:
        values["expiration"] = _iso(expiration)
    path = _real(home.aws_credentials)
    comment = "# MFA session written by onboard; it expires, run onboard again for a new one"
    body = [comment, *(f"{key} = {value}" for key, value in values.items())]

    def change(text: str) -> str:
        # Read and judged under the edit lock: a concurrent save cannot slip in between.
        existing = _section_values(text, name, path)
        if existing and "aws_session_token" not in existing:
            raise ConfigFileError(
                f"[{name}] in {path} holds long-term keys",
                "onboard saves MFA sessions there and will not overwrite other credentials",
                f"rename that section, or save the session under another profile than {profile!r}",
            )
        return _replace_section(text, name, body)

    home.aws_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = edit_file(path, change, mode=0o600)
    if region:
        _set_config_region(home, name, region)
    return result


def read_profiles(home: Home) -> list[str]:
    """Profile names from the credentials and config files, credentials first, no repeats."""
    names: list[str] = []
    for section in _parser(home.aws_credentials).sections():
        names.append(section.strip())
    for section in _parser(home.aws_config).sections():
        section = section.strip()
        if section == "default":
            names.append(section)
        elif section.startswith("profile "):
            names.append(section[len("profile ") :].strip())
    return list(dict.fromkeys(names))


def read_session_profile(home: Home, profile: str | None) -> SavedSession | None:
    """The saved MFA session for `profile` (without its secrets), or None."""
    name = session_profile_name(profile)
    parser = _parser(home.aws_credentials)
    if not parser.has_section(name) or not parser.has_option(name, "aws_session_token"):
        return None
    expiration: datetime | None = None
    raw = parser.get(name, "expiration", fallback="").strip()
    if raw:
        try:
            expiration = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            expiration = None
    return SavedSession(name, parser.get(name, "aws_access_key_id", fallback=""), expiration)


def profile_exists(home: Home, profile: str) -> bool:
    """Whether `profile` is already in the credentials or config file."""
    return profile in read_profiles(home)


def saved_key_id(home: Home, profile: str) -> str | None:
    """The access key ID saved under `profile` in the credentials file, if any."""
    parser = _parser(home.aws_credentials)
    if not parser.has_section(profile):
        return None
    return parser.get(profile, "aws_access_key_id", fallback="").strip() or None


def save_key_profile(
    home: Home,
    profile: str,
    access_key_id: str,
    secret_access_key: str | Secret,
    region: str | None,
) -> tuple[EditResult, EditResult | None]:
    """Save a long-term access key as `[profile]` (credentials, 0600) and its region (config).

    Refuses a profile that already exists with another key (or other settings
    in the config file); saving the same key again changes nothing. Every
    other section stays byte for byte, with a backup. Returns the
    credentials file's edit and the config file's (None without a region).
    """
    _check_name(profile)
    secret = reveal(secret_access_key) or ""  # revealed here: it is written to the file
    for key, value in (("access key ID", access_key_id), ("secret", secret)):
        if not value or any(char.isspace() for char in value):
            raise InvalidInput(f"the {key} is empty or has spaces", "", "type the key again")
    path = _real(home.aws_credentials)
    body = [
        "# access key saved by onboard",
        f"aws_access_key_id = {access_key_id}",
        f"aws_secret_access_key = {secret}",
    ]

    def change(text: str) -> str:
        # Judged under the edit lock, on the text that is replaced.
        existing = _section_values(text, profile, path)
        taken = (
            existing.get("aws_access_key_id") != access_key_id
            if existing is not None
            else profile_exists(home, profile)  # e.g. an SSO or role profile in the config file
        )
        if taken:
            raise ConfigFileError(
                f"the profile {profile!r} already exists",
                f"{display_name(home, path)} or the config file already has a [{profile}] "
                "section with other settings; onboard does not overwrite credentials",
                "choose another profile name",
            )
        return _replace_section(text, profile, body)

    home.aws_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    result = edit_file(path, change, mode=0o600)
    config = None
    if region:
        section = "default" if profile == "default" else f"profile {profile}"
        config = _set_config_region(home, profile, region, section=section)
    return result, config


def display_name(home: Home, path: Path) -> str:
    """`~/.aws/credentials` for a file in the home, the full path otherwise."""
    try:
        return "~/" + path.relative_to(home.root).as_posix()
    except ValueError:
        return str(path)


def _real(path: Path) -> Path:
    """Where to write `path`: a symlink's target (dotfiles stay links), else itself."""
    return path.resolve() if path.is_symlink() else path


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_name(name: str) -> None:
    if not _PROFILE_NAME.match(name):
        raise InvalidInput(
            f"{name!r} cannot be an AWS profile name",
            "profile names use letters, digits and + = , . @ : / _ -",
            "choose a simpler profile name",
        )


def _parser(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(read_text(path), source=str(path))
    except configparser.Error as exc:
        raise ConfigFileError(
            f"{path} cannot be read as an AWS config file",
            # Only the first line: the next ones quote the file, secrets included.
            str(exc).splitlines()[0],
            f"fix the line it names in {path}",
        ) from None
    return parser


def _section_values(text: str, name: str, path: Path) -> dict[str, str] | None:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise ConfigFileError(
            f"{path} cannot be read as an AWS config file",
            # Only the first line: the next ones quote the file, secrets included.
            str(exc).splitlines()[0],
            f"fix the line it names in {path}; onboard will not rewrite a file it cannot read",
        ) from None
    return dict(parser.items(name)) if parser.has_section(name) else None


def _section_span(text: str, name: str) -> tuple[int, int] | None:
    """Where section `name` starts and ends (before trailing blank/comment lines)."""
    headers = list(_HEADER.finditer(text))
    for index, header in enumerate(headers):
        if header.group(1).strip() != name:
            continue
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        lines = text[header.start() : end].splitlines(keepends=True)
        # Blank lines and comments just before the next header belong to it.
        while len(lines) > 1 and (not lines[-1].strip() or lines[-1].lstrip()[:1] in "#;"):
            end -= len(lines.pop())
        return header.start(), end
    return None


def _replace_section(text: str, name: str, body: list[str]) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline.join([f"[{name}]", *body]) + newline
    span = _section_span(text, name)
    if span is not None:
        start, end = span
        return text[:start] + block + text[end:]
    if not text:
        return block
    separator = "" if text.endswith(("\n", "\r\n")) else newline
    return text + separator + newline + block


def _set_config_region(
    home: Home, name: str, region: str, *, section: str | None = None
) -> EditResult:
    """Set `region` in `[profile <name>]` (or `section`) of the config file, keeping the rest."""
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
        raise InvalidInput(f"{region!r} is not an AWS region", "", "use e.g. us-east-1")
    path = _real(home.aws_config)
    section = section or f"profile {name}"

    def change(text: str) -> str:
        existing = _section_values(text, section, path)
        newline = "\r\n" if "\r\n" in text else "\n"
        span = _section_span(text, section)
        if existing is None or span is None:
            return _replace_section(text, section, [f"region = {region}"])
        start, end = span
        lines = text[start:end].splitlines(keepends=True)
        header = lines[0] if lines[0].endswith("\n") else lines[0] + newline
        kept = [line for line in lines[1:] if line.split("=", 1)[0].strip().lower() != "region"]
        if kept and not kept[-1].endswith("\n"):
            kept[-1] += newline
        new_section = header + f"region = {region}{newline}" + "".join(kept)
        return text[:start] + new_section + text[end:]

    return edit_file(path, change)
