"""What every doctor check sees: the settings, the subject, and facts computed once.

`DoctorContext` shares slow facts (who am I, my SSH keys, my policies) across
checks that run concurrently; `CheckSpec` is a registered check. The check
modules import this module; `checks.py` imports the check modules (registry
and runner), so there is no import circle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from onboard.aws.files import SESSION_SUFFIX, read_session_profile
from onboard.doctor.findings import Finding
from onboard.errors import OnboardError
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway

T = TypeVar("T")
Check = Callable[["DoctorContext"], "Finding | list[Finding]"]

DEFAULT_REGION = "us-east-1"


class _Lazy:
    """A value computed once, on first use, safely across threads (errors are kept too)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self) -> Any:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._compute()
                except Exception as exc:  # re-raised to every caller below
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


@dataclass
class DoctorContext:
    """What the checks look at: settings, whose account, which repo; memoised facts.

    `subject_user` is None for "me" (the caller) or another user's name in
    helpdesk mode. `gateway_factory` builds the AWS gateway (tests inject
    one; by default it is built from `settings` on first use).
    """

    settings: Settings
    repo: str | None = None
    subject_user: str | None = None
    live_timeout: float = 20.0
    gateway_factory: Callable[[], Gateway] | None = None
    _facts: dict[str, _Lazy] = field(default_factory=dict, repr=False)
    _facts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def helpdesk(self) -> bool:
        """True when checking another user's account with the helpdesk's credentials."""
        return self.subject_user is not None

    @property
    def region(self) -> str:
        """The region to check: --region, the environment's, else us-east-1."""
        env = self.settings.env()
        return (
            self.settings.region
            or env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )

    def env(self) -> dict[str, str]:
        """Environment for git/ssh/aws subprocesses (the settings' home)."""
        return self.settings.env()

    def fact(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run under `name`; concurrent callers share the result."""
        with self._facts_lock:
            lazy = self._facts.get(name)
            if lazy is None:
                lazy = self._facts[name] = _Lazy(compute)
        value: T = lazy.get()
        return value

    def session_profile(self) -> str | None:
        """A saved, unexpired MFA session profile (`<profile>-mfa`) to read the account with.

        Under a force-MFA policy a user's own IAM reads (SSH keys, policies)
        need MFA; the walkthrough saves such a session, so the doctor uses it
        when it is there. Never in helpdesk mode, never over an explicit -mfa profile.
        """
        if self.helpdesk:
            return None
        profile = self.settings.profile or self.env().get("AWS_PROFILE")
        if profile and profile.endswith(SESSION_SUFFIX):
            return None
        saved = read_session_profile(self.settings.home, profile)
        if saved is None or saved.expired(datetime.now(UTC)):
            return None
        return saved.profile

    def gateway(self) -> Gateway:
        """The AWS gateway (one per run), on the MFA session profile when there is one."""

        def build() -> Gateway:
            if self.gateway_factory is not None:
                return self.gateway_factory()
            from onboard.aws.gateway import Gateway

            session = self.session_profile()
            settings = self.settings.replace(profile=session) if session else self.settings
            # Few retries: a doctor must answer quickly even when AWS does not.
            return Gateway.from_settings(
                settings, max_attempts=2, connect_timeout=3.0, read_timeout=10.0
            )

        return self.fact("gateway", build)

    def user_name(self) -> str:
        """The IAM user the account checks look at (the subject, else the caller)."""
        if self.subject_user is not None:
            return self.subject_user
        identity = self.fact("whoami", lambda: self.gateway().whoami())
        if identity.user_name is None:
            raise OnboardError(
                f"the credentials are not an IAM user's ({identity.principal_type})",
                "SSH keys, Git credentials and MFA devices belong to IAM users",
                "run onboard with the IAM user's access key",
            )
        return str(identity.user_name)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its id, function, and whether it runs in helpdesk mode."""

    id: str
    run: Check
    helpdesk: bool = False
    self_mode: bool = True
