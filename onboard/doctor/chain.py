"""The AWS credentials git's helper really uses, resolved the way that process resolves them.

The AWS CLI helper (`!aws [--profile P] codecommit credential-helper $@`)
and git-remote-codecommit (`codecommit::region://P@repo`) run with git's
environment. botocore's order decides: an explicit profile (the helper's
`--profile`, the grc URL's) ignores the `AWS_ACCESS_KEY_ID` variables;
otherwise those variables come first, then `AWS_PROFILE`, then `default`.
The shared files are the ones `AWS_CONFIG_FILE`/`AWS_SHARED_CREDENTIALS_FILE`
in that environment name. A profile that does not exist stops the CLI
("The config profile (x) could not be found") even when keys are in the
environment. The saved `<profile>-mfa` session is another identity, judged
on its own where a helper or remote names it.
"""

from __future__ import annotations

import ast
import configparser
import contextlib
import json
import shlex
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from onboard.doctor.procs import run_bounded
from onboard.home import Home

_ASSIGNMENT = "="


@dataclass(frozen=True)
class Chain:
    """Whose credentials a git connection uses, and where each piece comes from."""

    user: str
    """Who runs with them: `git's AWS CLI helper`, `git-remote-codecommit (remote origin)`."""
    profile: str | None
    """The profile botocore loads (None: credentials from the environment)."""
    profile_from: str
    """What named the profile: `--profile in the helper`, `AWS_PROFILE`, `the URL`, `default`."""
    env: dict[str, str] = field(repr=False)
    """The environment the process gets (git's, plus the helper's own assignments)."""
    config_file: Path = Path()
    credentials_file: Path = Path()
    named: str | None = None
    """AWS_PROFILE when set: the CLI loads it (and stops when it is missing) even when
    environment keys provide the credentials."""

    @property
    def from_env_keys(self) -> bool:
        """Credentials come from AWS_ACCESS_KEY_ID/SECRET in the environment."""
        return self.profile is None

    @property
    def has_env_token(self) -> bool:
        """AWS_SESSION_TOKEN is set for environment credentials."""
        return self.from_env_keys and bool(self.env.get("AWS_SESSION_TOKEN"))

    @property
    def where(self) -> str:
        """The variable or profile at fault when these credentials fail."""
        if self.profile is None:
            token = " and AWS_SESSION_TOKEN" if self.has_env_token else ""
            return f"AWS_ACCESS_KEY_ID{token} in the environment"
        return f"profile {self.profile} ({self.profile_from})"


def helper_profile(value: str) -> tuple[str | None, dict[str, str]]:
    """The `--profile` and leading `NAME=value` assignments of a `!aws ...` helper value."""
    text = value.strip().removeprefix("!")
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    assigned: dict[str, str] = {}
    while words and _ASSIGNMENT in words[0] and not words[0].startswith("-"):
        name, _, setting = words.pop(0).partition(_ASSIGNMENT)
        if not name.isidentifier():
            break
        assigned[name] = setting
    for index, word in enumerate(words):
        if word == "--profile" and index + 1 < len(words):
            return words[index + 1], assigned
        if word.startswith("--profile="):
            return word.split("=", 1)[1], assigned
    return None, assigned


def files_for(home: Home, env: Mapping[str, str]) -> tuple[Path, Path]:
    """The shared config and credentials files a process with `env` reads."""
    config = env.get("AWS_CONFIG_FILE")
    credentials = env.get("AWS_SHARED_CREDENTIALS_FILE")
    return (
        Path(config).expanduser() if config else home.aws_dir / "config",
        Path(credentials).expanduser() if credentials else home.aws_dir / "credentials",
    )


def resolve(
    user: str,
    env: Mapping[str, str],
    home: Home,
    *,
    explicit_profile: str | None = None,
    explicit_from: str = "",
    assigned: Mapping[str, str] | None = None,
) -> Chain:
    """The chain a process started by git with `env` (and `assigned` on top) resolves."""
    run_env = {**env, **(assigned or {})}
    config, credentials = files_for(home, run_env)
    if explicit_profile:
        return Chain(user, explicit_profile, explicit_from, run_env, config, credentials)
    named = run_env.get("AWS_PROFILE") or run_env.get("AWS_DEFAULT_PROFILE")
    if run_env.get("AWS_ACCESS_KEY_ID") and run_env.get("AWS_SECRET_ACCESS_KEY"):
        return Chain(user, None, "environment", run_env, config, credentials, named=named)
    if named:
        source = "AWS_PROFILE" if run_env.get("AWS_PROFILE") else "AWS_DEFAULT_PROFILE"
        return Chain(user, named, source, run_env, config, credentials, named=named)
    return Chain(user, "default", "default", run_env, config, credentials)


@dataclass(frozen=True)
class ProfileFiles:
    """What the shared files say about one profile; `error` when a file cannot be parsed."""

    in_config: dict[str, str] | None
    in_credentials: dict[str, str] | None
    error: str | None = None

    @property
    def exists(self) -> bool:
        """botocore finds the profile in one of the files."""
        return self.in_config is not None or self.in_credentials is not None


def parse_error(path: Path) -> str | None:
    """Why `path` (an AWS ini file) cannot be parsed, naming its line; None when it can."""
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.MissingSectionHeaderError as exc:
        return f"{path} line {exc.lineno}: text before any [section]: {exc.line.strip()!r}"
    except configparser.ParsingError as exc:
        lineno, line = exc.errors[0] if exc.errors else (0, "")
        text = str(line)
        with contextlib.suppress(ValueError, SyntaxError):
            text = str(ast.literal_eval(text))  # configparser keeps the line's repr()
        return f"{path} line {lineno}: cannot parse {text.strip()!r}"
    except configparser.DuplicateSectionError as exc:
        return f"{path} line {exc.lineno}: section [{exc.section}] appears twice"
    except configparser.DuplicateOptionError as exc:
        return f"{path} line {exc.lineno}: {exc.option} appears twice in [{exc.section}]"
    except (configparser.Error, UnicodeDecodeError) as exc:
        return f"{path}: {exc}"
    return None


def read_profile(chain: Chain, profile: str) -> ProfileFiles:
    """The profile's sections in the chain's config and credentials files."""
    values: list[dict[str, str] | None] = []
    for path, section in (
        (chain.config_file, profile if profile == "default" else f"profile {profile}"),
        (chain.credentials_file, profile),
    ):
        error = parse_error(path)
        if error is not None:
            return ProfileFiles(None, None, error)
        parser = configparser.RawConfigParser()
        parser.read(path, encoding="utf-8")
        values.append(dict(parser.items(section)) if parser.has_section(section) else None)
    return ProfileFiles(values[0], values[1])


T = TypeVar("T")


class Unanswered(Exception):
    """A call that did not return within the run's timeout."""


def bounded(call: Callable[[], T], timeout: float) -> T:
    """`call()` in a daemon thread, at most `timeout` s: a hung botocore cannot keep us."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True, name="doctor-bounded")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise Unanswered(f"no answer within {timeout:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def credential_process_keys(
    chain: Chain, command: str, timeout: float
) -> tuple[dict[str, str] | None, str | None]:
    """Run a profile's credential_process as botocore would, bounded; keys or the problem."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return None, f"credential_process {command!r} cannot be split into words: {exc}"
    ran = run_bounded(argv, chain.env, timeout)
    if not ran.ok:
        return None, f"credential_process of profile {chain.profile}: {ran.problem(timeout)}"
    try:
        document = json.loads(ran.stdout)
        keys = {
            "AWS_ACCESS_KEY_ID": str(document["AccessKeyId"]),
            "AWS_SECRET_ACCESS_KEY": str(document["SecretAccessKey"]),
        }
        if document.get("SessionToken"):
            keys["AWS_SESSION_TOKEN"] = str(document["SessionToken"])
    except (ValueError, KeyError, TypeError):
        first = (ran.stdout.strip().splitlines() or ["(nothing)"])[0][:80]
        return None, (
            f"credential_process of profile {chain.profile} did not print the JSON botocore "
            f"expects (Version, AccessKeyId, SecretAccessKey); it printed: {first}"
        )
    return keys, None
