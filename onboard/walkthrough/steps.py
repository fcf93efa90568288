"""The onboarding walkthrough as plain data: its steps, where to resume, what changed.

The TUI draws these; nothing here knows about the terminal. `first_pending`
decides where a re-run of `onboard` resumes from `Facts` gathered on the
account and on disk, and `Change` records feed the summary of the last step.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from onboard.files import read_text
from onboard.home import Home

if TYPE_CHECKING:
    from onboard.aws.models import CallerIdentity, MfaDevice
    from onboard.settings import Settings

StepId = Literal["identity", "mfa", "session", "sshkey", "git", "verify", "done"]
GitMethod = Literal["https-helper", "https-git-credentials", "ssh", "grc"]


@dataclass(frozen=True)
class Step:
    """One step of the walkthrough, as the checklist shows it."""

    id: StepId
    title: str
    purpose: str


STEPS: tuple[Step, ...] = (
    Step("identity", "Who you are", "Find your AWS credentials and show who they belong to."),
    Step("mfa", "MFA device", "Create and enable a virtual MFA device in your phone's app."),
    Step("session", "MFA session", "Trade a fresh code for a temporary MFA session."),
    Step("sshkey", "SSH key", "Pick or make an RSA key and upload it to IAM."),
    Step("git", "Git", "Choose how git signs in to CodeCommit and configure it."),
    Step("verify", "Verify", "Check the account's policy and run a live git ls-remote."),
    Step("done", "Done", "What changed, the clone command, and where to get help."),
)

STEP_IDS: tuple[StepId, ...] = tuple(step.id for step in STEPS)

GIT_METHOD_TITLES: dict[GitMethod, str] = {
    "https-helper": "HTTPS with the AWS CLI credential helper",
    "https-git-credentials": "HTTPS Git credentials (user name + password)",
    "ssh": "SSH with the key from step 4",
    "grc": "git-remote-codecommit (codecommit:// URLs)",
}


def step(step_id: StepId) -> Step:
    """The step with this id."""
    return STEPS[STEP_IDS.index(step_id)]


def next_step(step_id: StepId) -> StepId:
    """The step after `step_id` ('done' stays 'done')."""
    index = STEP_IDS.index(step_id)
    return STEP_IDS[min(index + 1, len(STEP_IDS) - 1)]


def previous_step(step_id: StepId) -> StepId:
    """The step before `step_id` ('identity' stays 'identity')."""
    return STEP_IDS[max(STEP_IDS.index(step_id) - 1, 0)]


@dataclass(frozen=True)
class Facts:
    """What is already true for this user, gathered when `onboard` starts."""

    identity_ok: bool
    mfa_serials: tuple[str, ...] = ()
    ssh_key_id: str | None = None
    """The `User` (SSH key ID) of the CodeCommit block in the ssh config."""
    https_helper_configured: bool = False
    """git has a credential helper scoped to the CodeCommit HTTPS URL."""
    https_method: GitMethod | None = None
    """Which HTTPS method that helper is: the AWS CLI's, or a password store (Git credentials)."""


def done_steps(facts: Facts) -> frozenset[StepId]:
    """The steps a re-run can skip: the account and disk already show them done."""
    done: set[StepId] = set()
    if not facts.identity_ok:
        return frozenset()
    done.add("identity")
    if facts.mfa_serials:
        done.add("mfa")
    git_ready = facts.https_helper_configured or facts.ssh_key_id is not None
    if git_ready:
        # A configured method makes the key step moot (HTTPS users need no key).
        done.update(("sshkey", "git"))
    if "mfa" in done and git_ready:
        # The session is only needed to upload keys or create Git credentials.
        done.add("session")
    return frozenset(done)


def first_pending(facts: Facts) -> StepId:
    """Where the walkthrough resumes: the first step not yet done."""
    done = done_steps(facts)
    for step_id in STEP_IDS:
        if step_id not in done:
            return step_id
    return "verify"


def configured_method(facts: Facts) -> GitMethod | None:
    """The git method an earlier run configured, judged from disk (HTTPS helper first)."""
    if facts.https_helper_configured:
        return facts.https_method or "https-helper"
    if facts.ssh_key_id is not None:
        return "ssh"
    return None


_HOST_LINE = re.compile(r"^\s*Host\s+(.+)$", re.IGNORECASE)
_USER_LINE = re.compile(r"^\s*User\s+(\S+)\s*$", re.IGNORECASE)


def ssh_config_key_id(home: Home) -> str | None:
    """The SSH key ID that the ssh config uses for CodeCommit hosts, if any."""
    in_codecommit_block = False
    for line in read_text(home.ssh_config).splitlines():
        host = _HOST_LINE.match(line)
        if host:
            in_codecommit_block = "git-codecommit" in host.group(1)
            continue
        user = _USER_LINE.match(line)
        if in_codecommit_block and user:
            return user.group(1)
    return None


_CODECOMMIT_HELPER_SECTION = re.compile(
    r'^\s*\[credential\s+"https://git-codecommit\.[^"]*"\]', re.IGNORECASE | re.MULTILINE
)


_SECTION = re.compile(r"^\s*\[")
_HELPER_LINE = re.compile(r"^\s*helper\s*=\s*(.*?)\s*$", re.IGNORECASE)


def configured_https_method(home: Home) -> GitMethod | None:
    """The HTTPS method the global git config sets up for CodeCommit URLs, if any.

    The AWS CLI helper (`aws codecommit credential-helper`) is https-helper;
    any other helper there (store, osxkeychain, manager...) keeps HTTPS Git
    credentials. A section whose helpers are all reset counts as https-helper
    (an earlier run's section, whatever git will do with it).
    """
    lines = read_text(home.gitconfig).splitlines()
    found = False
    helpers: list[str] = []
    inside = False
    for line in lines:
        if _SECTION.match(line):
            inside = bool(_CODECOMMIT_HELPER_SECTION.match(line))
            found = found or inside
            continue
        helper = _HELPER_LINE.match(line)
        if inside and helper:
            helpers.append(helper.group(1))
    if not found:
        return None
    if any("codecommit credential-helper" in helper for helper in helpers):
        return "https-helper"
    if any(helper.strip('"') for helper in helpers):
        return "https-git-credentials"
    return "https-helper"


def https_helper_configured(home: Home) -> bool:
    """Whether the global git config has a credential section for CodeCommit's HTTPS URL."""
    return configured_https_method(home) is not None


class IdentityGateway(Protocol):
    """The part of `onboard.aws.gateway.Gateway` that `gather_facts` needs."""

    def whoami(self) -> CallerIdentity: ...

    def list_mfa_devices(self, user: str) -> list[MfaDevice]: ...


def gather_facts(gateway: IdentityGateway, settings: Settings) -> tuple[CallerIdentity, Facts]:
    """Who the credentials are, and what the account and disk say is already done."""
    identity = gateway.whoami()
    serials: tuple[str, ...] = ()
    if identity.user_name and identity.principal_type == "user":
        serials = tuple(device.serial for device in gateway.list_mfa_devices(identity.user_name))
    home = settings.home
    https_method = configured_https_method(home)
    facts = Facts(
        identity_ok=True,
        mfa_serials=serials,
        ssh_key_id=ssh_config_key_id(home),
        https_helper_configured=https_method is not None,
        https_method=https_method,
    )
    return identity, facts


@dataclass(frozen=True)
class Change:
    """One thing the walkthrough changed, for the summary of the last step."""

    place: Literal["account", "machine"]
    description: str


def summary_lines(changes: Iterable[Change]) -> list[str]:
    """Changes grouped as 'On your AWS account' then 'On this machine', de-duplicated."""
    seen: set[Change] = set()
    account: list[str] = []
    machine: list[str] = []
    for change in changes:
        if change in seen:
            continue
        seen.add(change)
        (account if change.place == "account" else machine).append(change.description)
    lines: list[str] = []
    for heading, items in (("On your AWS account", account), ("On this machine", machine)):
        lines.append(f"{heading}:")
        lines.extend(f"  • {item}" for item in items or ["nothing"])
    return lines


def display_path(home: Home, path: Path) -> str:
    """`~/.ssh/config` for a file in the home, the full path otherwise."""
    try:
        return "~/" + path.relative_to(home.root).as_posix()
    except ValueError:
        return str(path)


def clone_command(url: str, repo: str) -> str:
    """The command the user runs to get their repository."""
    return f"git clone {url} {repo}"


def recommend_method(
    working_methods: Sequence[GitMethod], *, aws_cli: bool, grc: bool
) -> GitMethod | None:
    """The git method to suggest: the first that the policy allows and this machine can run.

    Preference: the AWS CLI helper (no long-lived secret), then SSH, then
    git-remote-codecommit, then HTTPS Git credentials (a stored password).
    """
    order: tuple[GitMethod, ...] = ("https-helper", "ssh", "grc", "https-git-credentials")
    for method in order:
        if method not in working_methods:
            continue
        if method == "https-helper" and not aws_cli:
            continue
        if method == "grc" and not grc:
            continue
        return method
    return None
