"""What the sandbox knows beyond moto's backends: sessions, Git credentials, MFA use.

moto's backends are process-global, so one sandbox runs per process: the
patched moto code reads the running sandbox's state through `active()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from onboard.errors import OnboardError


@dataclass
class SessionRecord:
    """Temporary credentials the sandbox's GetSessionToken issued."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    user_name: str = ""
    issued_at: float = 0.0
    expires_at: float = 0.0
    mfa_authenticated_at: float | None = None
    """Epoch seconds of the MFA check; None for a session without MFA."""


@dataclass
class GitCredentialRecord:
    """A service-specific credential (HTTPS Git credentials for CodeCommit)."""

    credential_id: str
    user_name: str
    service_name: str
    service_user_name: str
    password: str = field(repr=False)
    status: str = "Active"
    created_at: float = 0.0


@dataclass
class SandboxState:
    """The sandbox account's own bookkeeping, shared by patches, authorizer and git backend."""

    account_id: str
    region: str
    clock: Callable[[], float] = time.time
    sessions: dict[str, SessionRecord] = field(default_factory=dict)
    git_credentials: dict[str, GitCredentialRecord] = field(default_factory=dict)
    last_mfa_step: dict[str, int] = field(default_factory=dict)
    """Per device serial: the last TOTP step accepted by Enable/Resync (no code reuse)."""
    used_mfa_steps: dict[str, set[int]] = field(default_factory=dict)
    """Per device serial: the TOTP steps whose codes AWS accepted (each code works once)."""
    mfa_drift: dict[str, int] = field(default_factory=dict)
    """Per device serial: steps the device runs ahead (+) or behind (-), set by Resync."""
    boundaries: dict[str, str] = field(default_factory=dict)
    """User name -> permissions boundary policy ARN (moto keeps none for users)."""
    repo_kms_keys: dict[str, str] = field(default_factory=dict)
    repo_paths: dict[str, str] = field(default_factory=dict)
    """CodeCommit repository name -> bare repository path (when git is served)."""
    enforce: bool = True
    """Authorize every request with the policy engine (off only while seeding)."""
    lock: threading.RLock = field(default_factory=threading.RLock)

    def now(self) -> float:
        """The sandbox's clock (epoch seconds)."""
        return self.clock()

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def code_used(self, serial: str, *steps: int) -> bool:
        """Whether a code of any of `steps` was already accepted for device `serial`."""
        used = self.used_mfa_steps.get(serial, set())
        return any(step in used for step in steps)

    def use_codes(self, serial: str, *steps: int) -> None:
        """Record that the codes of `steps` were accepted for `serial`: they cannot be reused."""
        self.used_mfa_steps.setdefault(serial, set()).update(steps)


_active: SandboxState | None = None
_active_lock = threading.Lock()


def activate(state: SandboxState) -> None:
    """Make `state` the running sandbox's; a second sandbox in one process is refused."""
    global _active
    with _active_lock:
        if _active is not None:
            raise OnboardError(
                "a sandbox is already running in this process",
                "moto keeps one set of accounts per process",
                "stop the other sandbox first (Sandbox.stop())",
            )
        _active = state


def deactivate(state: SandboxState) -> None:
    """Forget `state` (no-op when another one is active)."""
    global _active
    with _active_lock:
        if _active is state:
            _active = None


def active() -> SandboxState | None:
    """The running sandbox's state, or None (moto then behaves as usual)."""
    return _active
