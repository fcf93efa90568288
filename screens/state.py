"""What one run of the walkthrough has learned and done so far (UI-side, in memory only).

Secrets (the MFA seed, session credentials, a Git password) live here only
for as long as the app runs; nothing in this object is ever written or logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.secret import Secret
from onboard.settings import Settings
from onboard.walkthrough.admin import AdminRequest
from onboard.walkthrough.facts import SentCode
from onboard.walkthrough.steps import (
    Change,
    Facts,
    GitMethod,
    StepId,
    configured_method,
    display_path,
)

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import CallerIdentity, SessionCredentials


@dataclass
class RunState:
    """The walkthrough's memory for this run, shared by all step screens."""

    settings: Settings
    identity: CallerIdentity | None = None
    gateway: Gateway | None = None
    """Long-term credentials (no MFA)."""
    mfa_gateway: Gateway | None = None
    """The same user with an MFA session, once step 3 got one."""
    mfa_serial: str | None = None
    session: SessionCredentials | None = field(default=None, repr=False)
    session_duration: int = 43200
    """Seconds the session was asked for (its MFA age is duration minus time left)."""
    session_profile: str | None = None
    """The `<profile>-mfa` profile the session was saved as, if the user asked."""
    ssh_key_id: str | None = None
    ssh_identity_file: Path | None = None
    git_method: GitMethod | None = None
    repo: str | None = None
    clone_url: str | None = None
    facts: Facts | None = None
    """What was already done when this run started."""
    enrollment: tuple[str, Secret] | None = field(default=None, repr=False)
    """(serial, seed) of a device created but not enabled yet: step 2 resumes it."""
    sent_codes: list[SentCode] = field(default_factory=list, repr=False)
    """MFA codes AWS accepted in this run: step 3 refuses to send one again."""
    done: set[StepId] = field(default_factory=set)
    failed: set[StepId] = field(default_factory=set)
    skipped: set[StepId] = field(default_factory=set)
    """Steps the user skipped (e.g. SSH, to use HTTPS): not done, yet not left to do."""
    changes: list[Change] = field(default_factory=list)
    admin_request: AdminRequest | None = None
    """What to ask the administrator, once a verdict said the policy blocks a method."""
    admin_saved: Path | None = None
    """Where the user saved the admin request, if they did."""
    env_file: Path | None = None
    """The sandbox's env file (0600), for `env $(cat FILE) git ...` from a shell."""
    save_dir: Path = field(default_factory=Path.cwd)
    """Where the admin request is saved as Markdown (the folder onboard was started in)."""

    @property
    def user_name(self) -> str:
        """The IAM user name (empty until step 1 found it)."""
        return (self.identity.user_name or "") if self.identity else ""

    @property
    def best_gateway(self) -> Gateway | None:
        """The MFA-session gateway when there is one, else the long-term one."""
        return self.mfa_gateway or self.gateway

    @property
    def region(self) -> str:
        return self.settings.region or "us-east-1"

    def configured_method(self) -> GitMethod | None:
        """The method an earlier run left configured on disk (read when the run started)."""
        return configured_method(self.facts) if self.facts is not None else None

    def saved_session_profile(self) -> str | None:
        """The `<profile>-mfa` profile if one is saved (git-remote-codecommit's URL names it)."""
        from onboard.aws.files import read_session_profile

        saved = read_session_profile(self.settings.home, self.settings.profile)
        return saved.profile if saved is not None else None

    def show(self, path: Path | None) -> str:
        """A path as the user reads it (`~/.ssh/config`)."""
        return display_path(self.settings.home, path) if path is not None else "?"

    def record(self, change: Change) -> None:
        """Remember a change for the summary (once)."""
        if change not in self.changes:
            self.changes.append(change)

    def quit_warning(self) -> str:
        """What quitting now would leave behind (empty when nothing is half done)."""
        if self.enrollment is None:
            return ""
        return (
            f"The MFA device {self.enrollment[0]} was created but is not enabled. If you "
            "quit now it stays in the account unassigned, its secret is lost, and its "
            "name stays taken: next time the helpdesk has to delete it first."
        )
