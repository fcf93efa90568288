"""The audit's values: what was downloaded per account, and what was judged per user."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from onboard.aws.models import AuthorizationDetails, CredentialReportRow, VirtualMfaDeviceInfo

ALLOWED = "allowed"
MFA_ONLY = "mfa-only"
DENIED = "denied"

DEVICE_NONE = "none"
DEVICE_ASSIGNED = "assigned"
DEVICE_STALE = "stale"


@dataclass(frozen=True)
class NamedDocument:
    """A policy document and the name the report gives it (an ARN, or `group/NAME:inline`)."""

    name: str
    document: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class CredentialState:
    """How many of a user's SSH keys or Git credentials are active / inactive."""

    active: int
    inactive: int

    def to_json(self) -> dict[str, int]:
        """JSON form."""
        return {"active": self.active, "inactive": self.inactive}


@dataclass(frozen=True)
class UserKeys:
    """SSH keys and HTTPS Git credentials of one user (downloaded with --keys)."""

    ssh: CredentialState
    git_credentials: CredentialState


@dataclass
class AccountData:
    """Everything the audit read from one account (or why it could not)."""

    account: str
    name: str = ""
    details: AuthorizationDetails | None = None
    report: dict[str, CredentialReportRow] = field(default_factory=dict)
    devices: list[VirtualMfaDeviceInfo] = field(default_factory=list)
    scp_levels: tuple[tuple[NamedDocument, ...], ...] = ()
    """SCPs that apply, root first, one tuple per level (empty: management account)."""
    keys: dict[str, UserKeys] | None = None
    error: str | None = None
    """Why the account could not be audited (it is then reported, not fatal)."""


@dataclass(frozen=True)
class AccessKeyState:
    """One access key as the credential report shows it."""

    active: bool
    age_days: int | None
    last_used: str | None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"active": self.active, "age_days": self.age_days, "last_used": self.last_used}


@dataclass(frozen=True)
class UserAudit:
    """What the audit found for one IAM user."""

    account: str
    user: str
    arn: str
    groups: tuple[str, ...]
    git: dict[str, str]
    """Per git method: allowed, mfa-only or denied."""
    deciding: dict[str, str]
    """Per git method: the deciding policy and statement (or what is missing)."""
    mfa_enforced: bool
    mfa_not_enforced_for: tuple[str, ...]
    """Sample actions callable without MFA (empty when MFA is enforced)."""
    mfa_device: str
    stale_devices: tuple[str, ...]
    access_keys: tuple[AccessKeyState, ...]
    ssh_keys: CredentialState | None = None
    git_credentials: CredentialState | None = None

    @property
    def usable_methods(self) -> tuple[str, ...]:
        """Methods this user can use today: allowed, or MFA-only with an assigned device."""
        return tuple(
            method
            for method, status in self.git.items()
            if status == ALLOWED or (status == MFA_ONLY and self.mfa_device == DEVICE_ASSIGNED)
        )

    @property
    def blocked(self) -> bool:
        """No git method works for this user today."""
        return not self.usable_methods

    def to_json(self) -> dict[str, Any]:
        """The per-user entry of the JSON report (docs/audit.md)."""
        return {
            "account": self.account,
            "user": self.user,
            "arn": self.arn,
            "groups": list(self.groups),
            "git": dict(self.git),
            "deciding": dict(self.deciding),
            "blocked": self.blocked,
            "mfa_enforced": self.mfa_enforced,
            "mfa_not_enforced_for": list(self.mfa_not_enforced_for),
            "mfa_device": self.mfa_device,
            "stale_devices": list(self.stale_devices),
            "access_keys": [key.to_json() for key in self.access_keys],
            "ssh_keys": None if self.ssh_keys is None else self.ssh_keys.to_json(),
            "git_credentials": (
                None if self.git_credentials is None else self.git_credentials.to_json()
            ),
        }


@dataclass(frozen=True)
class Finding:
    """A group of users with the same problem, and the fix."""

    id: str
    severity: str  # "error", "warning", "info"
    account: str
    message: str
    fix: str
    users: tuple[str, ...]
    deciding: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "severity": self.severity,
            "account": self.account,
            "count": len(self.users),
            "message": self.message,
            "deciding": self.deciding,
            "fix": self.fix,
            "users": list(self.users),
        }
