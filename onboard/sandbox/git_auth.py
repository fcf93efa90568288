"""How the sandbox's git endpoints authenticate and authorize, like CodeCommit.

Two halves:

- `GitAuthBackend`: what the git servers need to know about the sandbox
  account (keys, Git credentials, SSH keys, the policy decision, the bare
  repository on disk). The sandbox account implements it over its state.
- The one implementation of CodeCommit's SigV4 git password (the one
  `aws codecommit credential-helper` and git-remote-codecommit compute):
  service `codecommit`, canonical request `GIT\\n<path>\\n\\nhost:<host>\\n\\nhost\\n`,
  user name = access key id (`%<session token>` appended for temporary
  credentials), password = `<YYYYmmddTHHMMSS>Z<hex signature>`.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Protocol

SERVICE = "codecommit"
GIT_CREDENTIAL_SERVICE = "codecommit.amazonaws.com"

# A signed password stays good for a while after signing (git asks the helper
# once per command); CodeCommit refuses it after ~15 minutes, which is why a
# caching helper that replays it gets a 403 later on. A little clock skew in
# the other direction is tolerated.
PASSWORD_LIFETIME = timedelta(minutes=15)
FUTURE_SKEW = timedelta(minutes=5)

_PASSWORD = re.compile(r"^(?P<stamp>\d{8}T\d{6})Z(?P<signature>[0-9a-f]{64})$")


@dataclass(frozen=True)
class GitIdentity:
    """Who a git request acts as, and what AWS knows about its MFA."""

    user_name: str
    user_arn: str
    account_id: str
    mfa_authenticated_at: datetime | None = None
    """When the MFA code behind these credentials was checked; None when the
    request carries no MFA key at all (long-term keys, Git credentials, SSH)."""


class GitAuthBackend(Protocol):
    """What the git endpoints need from the sandbox account."""

    region: str
    account_id: str

    def access_key_secret(
        self, access_key_id: str, session_token: str | None
    ) -> tuple[str, GitIdentity] | None:
        """Secret and identity of an Active access key, or of unexpired session
        credentials whose token matches; None otherwise."""
        ...

    def git_credential_identity(self, username: str, password: str) -> GitIdentity | None:
        """Identity of an Active HTTPS Git credential (service-specific
        credential for codecommit.amazonaws.com); None otherwise."""
        ...

    def ssh_key_identity(self, ssh_key_id: str, public_key_openssh: str) -> GitIdentity | None:
        """The user of SSH key `ssh_key_id` when the key is Active and the offered
        key (OpenSSH one-line form) is the one uploaded; None otherwise."""
        ...

    def authorize(
        self, identity: GitIdentity, action: str, resource_arn: str, context: Mapping[str, str]
    ) -> tuple[bool, str]:
        """The policy engine's decision and an AWS-style AccessDenied message."""
        ...

    def repository_path(self, repo_name: str) -> Path | None:
        """The bare git repository of CodeCommit repository `repo_name`, or None."""
        ...


def backend_now(backend: GitAuthBackend) -> datetime:
    """The account's clock: the backend's optional `now()` (datetime or epoch seconds).

    The sandbox can run its clock ahead or behind this machine's, to show
    what clock skew does to signed git passwords; without `now()`, UTC now.
    """
    clock = getattr(backend, "now", None)
    if callable(clock):
        value = clock()
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
    return datetime.now(UTC)


class AuthFailure(StrEnum):
    """Why authentication failed (for the server log; git only ever sees 401/403)."""

    MALFORMED = "malformed password"
    UNKNOWN_KEY = "unknown or inactive access key, or bad session token"
    BAD_SIGNATURE = "signature does not match"
    EXPIRED = "signature expired"
    FUTURE = "signature date is in the future"
    BAD_GIT_CREDENTIAL = "unknown or inactive Git credential, or wrong password"


@dataclass(frozen=True)
class AuthResult:
    """The outcome of checking a git user name and password."""

    identity: GitIdentity | None
    failure: AuthFailure | None = None
    method: str = ""
    """"sigv4" or "git-credentials" (which kind of password was offered)."""

    @property
    def ok(self) -> bool:
        return self.identity is not None


def canonical_request(host: str, path: str) -> str:
    """CodeCommit's canonical request for a git URL (host without port)."""
    return f"GIT\n{path}\n\nhost:{host}\n\nhost\n"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def git_signature(secret_key: str, region: str, host: str, path: str, stamp: str) -> str:
    """The hex SigV4 signature of a git URL at `stamp` (YYYYmmddTHHMMSS, UTC)."""
    date = stamp[:8]
    scope = f"{date}/{region}/{SERVICE}/aws4_request"
    digest = hashlib.sha256(canonical_request(host, path).encode("utf-8")).hexdigest()
    string_to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{digest}"
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    for part in (region, SERVICE, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_git_password(
    secret_key: str, region: str, host: str, path: str, now: datetime | None = None
) -> str:
    """The password the AWS CLI credential helper would give git for this URL."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S")
    return f"{stamp}Z{git_signature(secret_key, region, _strip_port(host), path, stamp)}"


def git_username(access_key_id: str, session_token: str | None = None) -> str:
    """The git user name for access keys: the key id, `%<token>` for session credentials."""
    return access_key_id + (f"%{session_token}" if session_token else "")


def split_username(username: str) -> tuple[str, str | None]:
    """(access key id, session token or None) from a SigV4 git user name."""
    key_id, sep, token = username.partition("%")
    return key_id, (token if sep else None)


def is_signed_password(password: str) -> bool:
    """Whether `password` has the shape of a SigV4 git password."""
    return _PASSWORD.match(password) is not None


def _strip_port(host: str) -> str:
    # The helpers sign the host name without a port.
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0]


def verify_signed_password(
    backend: GitAuthBackend,
    username: str,
    password: str,
    host: str,
    path: str,
    now: datetime | None = None,
) -> AuthResult:
    """Check a SigV4 git password for `host` + `path` the way CodeCommit does."""
    match = _PASSWORD.match(password)
    if match is None:
        return AuthResult(None, AuthFailure.MALFORMED, "sigv4")
    stamp = match["stamp"]
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return AuthResult(None, AuthFailure.MALFORMED, "sigv4")
    key_id, token = split_username(username)
    found = backend.access_key_secret(key_id, token)
    if found is None:
        return AuthResult(None, AuthFailure.UNKNOWN_KEY, "sigv4")
    secret, identity = found
    expected = git_signature(secret, backend.region, _strip_port(host), path, stamp)
    if not hmac.compare_digest(expected, match["signature"]):
        return AuthResult(None, AuthFailure.BAD_SIGNATURE, "sigv4")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    if signed_at > moment + FUTURE_SKEW:
        return AuthResult(None, AuthFailure.FUTURE, "sigv4")
    if moment - signed_at > PASSWORD_LIFETIME:
        return AuthResult(None, AuthFailure.EXPIRED, "sigv4")
    return AuthResult(identity, None, "sigv4")


def authenticate_http(
    backend: GitAuthBackend,
    username: str,
    password: str,
    host: str,
    path: str,
    now: datetime | None = None,
) -> AuthResult:
    """Authenticate an HTTPS git request: SigV4 password or HTTPS Git credentials."""
    if is_signed_password(password):
        return verify_signed_password(backend, username, password, host, path, now)
    identity = backend.git_credential_identity(username, password)
    if identity is None:
        return AuthResult(None, AuthFailure.BAD_GIT_CREDENTIAL, "git-credentials")
    return AuthResult(identity, None, "git-credentials")


# --- authorization of one git operation -------------------------------------------

GIT_ACTIONS = {"pull": "codecommit:GitPull", "push": "codecommit:GitPush"}
# The KMS calls CodeCommit makes on the user's behalf for each operation.
KMS_ACTIONS = {"pull": ("kms:Decrypt",), "push": ("kms:GenerateDataKey", "kms:Decrypt")}


def repository_arn(region: str, account_id: str, repo_name: str) -> str:
    """The ARN CodeCommit authorizes git requests against."""
    return f"arn:aws:codecommit:{region}:{account_id}:{repo_name}"


def default_kms_key_arn(region: str, account_id: str) -> str:
    """The AWS-managed CodeCommit key (used when the backend names no other)."""
    return f"arn:aws:kms:{region}:{account_id}:alias/aws/codecommit"


def request_context(
    identity: GitIdentity,
    method: str,
    region: str,
    *,
    secure_transport: bool = True,
    source_ip: str = "127.0.0.1",
    now: datetime | None = None,
) -> dict[str, str]:
    """The global condition keys AWS puts on a git request made with `identity`.

    `method` is one of "https-helper", "https-git-credentials", "ssh", "grc".
    Long-term keys, Git credentials and SSH carry no MFA key at all; MFA
    session credentials carry `aws:MultiFactorAuthPresent=true` and the age.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    mfa = identity.mfa_authenticated_at is not None
    context: dict[str, str] = {}
    # The policy engine's view of a git request, when that module is there.
    try:
        policy_git = importlib.import_module("onboard.policy.git")
    except ImportError:
        policy_git = None
    engine_context = getattr(policy_git, "git_request_context", None)
    if callable(engine_context):
        context.update(
            {str(k): str(v) for k, v in engine_context(method, mfa=mfa, region=region).items()}
        )
    context.update(
        {
            "aws:username": identity.user_name,
            "aws:PrincipalArn": identity.user_arn,
            "aws:PrincipalAccount": identity.account_id,
            "aws:PrincipalType": "User",
            "aws:RequestedRegion": region,
            "aws:SourceIp": source_ip,
            "aws:CurrentTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(moment.timestamp())),
        }
    )
    if method != "ssh":
        context["aws:SecureTransport"] = "true" if secure_transport else "false"
    if identity.mfa_authenticated_at is not None:
        age = max(0, int((moment - identity.mfa_authenticated_at).total_seconds()))
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = str(age)
    elif method in ("https-helper", "https-git-credentials", "ssh"):
        # Long-term keys, Git credentials and SSH: no MFA key at all, which is
        # what `BoolIfExists ... false` catches. (Session credentials without
        # MFA, "grc", keep the engine's "false".)
        context.pop("aws:MultiFactorAuthPresent", None)
        context.pop("aws:MultiFactorAuthAge", None)
    return context


@dataclass(frozen=True)
class GitDecision:
    """Whether a git operation may run; `message` is AWS's AccessDenied text."""

    allowed: bool
    action: str = ""
    message: str = ""


def authorize_git(
    backend: GitAuthBackend,
    identity: GitIdentity,
    repo_name: str,
    operation: str,
    method: str,
    *,
    secure_transport: bool = True,
    now: datetime | None = None,
) -> GitDecision:
    """Authorize a pull or push like CodeCommit: the git action, then its KMS calls."""
    context = request_context(
        identity, method, backend.region, secure_transport=secure_transport, now=now
    )
    repo_arn = repository_arn(backend.region, backend.account_id, repo_name)
    action = GIT_ACTIONS[operation]
    allowed, message = backend.authorize(identity, action, repo_arn, context)
    if not allowed:
        return GitDecision(False, action, message)
    # Optional backend method: the repository's own key, when it has one.
    key_arn_of = getattr(backend, "repository_kms_key_arn", None)
    named = key_arn_of(repo_name) if callable(key_arn_of) else None
    key_arn = str(named) if named else default_kms_key_arn(backend.region, backend.account_id)
    # CodeCommit calls KMS itself, with a forward-access session for the user.
    kms_context = {
        **context,
        "kms:ViaService": f"codecommit.{backend.region}.amazonaws.com",
        "kms:CallerAccount": backend.account_id,
        "aws:ViaAWSService": "true",
    }
    for kms_action in KMS_ACTIONS[operation]:
        allowed, message = backend.authorize(identity, kms_action, key_arn, kms_context)
        if not allowed:
            return GitDecision(False, kms_action, message)
    return GitDecision(True, action, "")
