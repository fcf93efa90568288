"""The values the AWS gateway returns: frozen, boto3-free, secrets redacted in repr."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from onboard.secret import Secret


@dataclass(frozen=True)
class CallerIdentity:
    """Who the current credentials are (STS GetCallerIdentity)."""

    account: str
    arn: str
    user_id: str
    user_name: str | None
    """The IAM user name for `user/...` ARNs; None for roles, root, federated."""
    principal_type: str
    """"user", "assumed-role", "root", "federated-user" or "unknown"."""
    credential_source: str
    """Where boto3 found the credentials ("env", "shared-credentials-file", "sso", ...)."""

    @property
    def is_temporary(self) -> bool:
        """True for session credentials (assumed role, federated)."""
        return self.principal_type in ("assumed-role", "federated-user")


@dataclass(frozen=True)
class MfaDevice:
    """An MFA device assigned to a user (ListMFADevices)."""

    user_name: str
    serial: str
    enable_date: datetime | None


@dataclass(frozen=True)
class VirtualMfaDeviceInfo:
    """A virtual MFA device as ListVirtualMFADevices shows it (no seed)."""

    serial: str
    user_name: str | None
    user_arn: str | None
    enable_date: datetime | None

    @property
    def assigned(self) -> bool:
        return self.user_name is not None or self.enable_date is not None

    @property
    def name(self) -> str:
        """The device name: the last part of `arn:aws:iam::<account>:mfa/<path><name>`."""
        return self.serial.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class VirtualMfaDevice:
    """A newly created virtual MFA device; the seed is shown once and never in repr."""

    serial: str
    seed_base32: Secret = field(repr=False)


@dataclass(frozen=True)
class SessionCredentials:
    """Temporary credentials from STS GetSessionToken; repr redacts the secrets."""

    access_key_id: str
    secret_access_key: Secret = field(repr=False)
    session_token: Secret = field(repr=False)
    expiration: datetime


@dataclass(frozen=True)
class SshPublicKey:
    """An SSH public key uploaded to IAM (its ID is the CodeCommit SSH login)."""

    key_id: str
    fingerprint: str
    status: str
    upload_date: datetime | None
    user_name: str = ""
    body: str = field(default="", repr=False)


@dataclass(frozen=True)
class GitCredential:
    """An HTTPS Git credential (service-specific credential for CodeCommit).

    `password` is only set right after create/reset (AWS shows it once).
    """

    id: str
    username: str
    status: str
    password: Secret | None = field(default=None, repr=False)
    user_name: str = ""
    create_date: datetime | None = None


@dataclass(frozen=True)
class Repository:
    """A CodeCommit repository."""

    name: str
    arn: str
    clone_url_http: str
    clone_url_ssh: str
    kms_key_id: str | None = None
    default_branch: str | None = None


@dataclass(frozen=True)
class Branch:
    """A branch of a CodeCommit repository."""

    repository: str
    name: str
    commit_id: str | None


@dataclass(frozen=True)
class NamedPolicy:
    """One policy that applies to a user; `kind` is inline, managed, group-inline,
    group-managed or boundary."""

    name: str
    arn: str | None
    kind: str
    document: dict[str, Any] = field(hash=False, compare=False)
    source: str = ""
    """Where it is attached: the user name, or the group name for group policies."""


@dataclass(frozen=True)
class SimulationResult:
    """One row of SimulatePrincipalPolicy/SimulateCustomPolicy."""

    action: str
    resource: str
    decision: str
    """AWS's EvalDecision: "allowed", "explicitDeny" or "implicitDeny"."""
    matched_statements: tuple[str, ...]
    missing_context_values: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"


@dataclass(frozen=True)
class AccessKeyInfo:
    """An access key of a user (never its secret)."""

    access_key_id: str
    status: str
    create_date: datetime | None
    age_days: float | None
    user_name: str = ""


@dataclass(frozen=True)
class AccessKeyLastUsed:
    """When and where an access key was last used (None: never)."""

    access_key_id: str
    user_name: str | None
    last_used: datetime | None
    service: str | None
    region: str | None


@dataclass(frozen=True)
class IamUserDetail:
    """A user as GetAccountAuthorizationDetails lists it: groups, policies, boundary."""

    name: str
    arn: str
    user_id: str
    path: str
    groups: tuple[str, ...]
    attached: tuple[str, ...]
    """ARNs of the managed policies attached to the user."""
    inline: dict[str, dict[str, Any]] = field(hash=False, compare=False)
    boundary_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class IamGroupDetail:
    """A group with its attached and inline policies."""

    name: str
    arn: str
    attached: tuple[str, ...]
    inline: dict[str, dict[str, Any]] = field(hash=False, compare=False)


@dataclass(frozen=True)
class ManagedPolicyDetail:
    """A managed policy and its default version's document."""

    arn: str
    name: str
    document: dict[str, Any] = field(hash=False, compare=False)


@dataclass(frozen=True)
class AuthorizationDetails:
    """An account's users, groups (by name) and managed policies (by ARN)."""

    users: list[IamUserDetail]
    groups: dict[str, IamGroupDetail]
    policies: dict[str, ManagedPolicyDetail]


@dataclass(frozen=True)
class CredentialReportRow:
    """One user's row of the IAM credential report.

    `keys` holds, per existing access key: (active, last rotated, last used),
    dates as ISO text from the report (None: never).
    """

    user: str
    arn: str
    mfa_active: bool
    keys: tuple[tuple[bool, str | None, str | None], ...]


@dataclass(frozen=True)
class OrgAccount:
    """An account of the organization (ListAccounts)."""

    id: str
    name: str
    status: str


@dataclass(frozen=True)
class ServiceControlPolicy:
    """An SCP attached to a root, OU or account, with its document."""

    id: str
    name: str
    arn: str
    document: dict[str, Any] = field(hash=False, compare=False)
