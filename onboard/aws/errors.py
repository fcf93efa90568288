"""Typed AWS failures: every botocore error becomes one of these.

Each carries a what / why / next-step message (see `onboard.errors`), the
AWS error code when there was one, and the operation that failed. The
translation itself lives in `onboard.aws.translate`.
"""

from __future__ import annotations

from onboard.errors import OnboardError


class AwsError(OnboardError):
    """An AWS call failed; `code` is AWS's error code ('' when none came back)."""

    exit_code = 4

    def __init__(
        self,
        what: str,
        why: str = "",
        next_step: str = "",
        *,
        code: str = "",
        operation: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(what, why, next_step)
        self.code = code
        self.operation = operation
        self.status = status


class AccessDenied(AwsError):
    """The caller's policies do not allow the action (explicit deny or no allow)."""

    def __init__(
        self,
        what: str,
        why: str = "",
        next_step: str = "",
        *,
        action: str = "",
        resource: str = "",
        denying_policy_arn: str | None = None,
        explicit: bool = False,
        code: str = "AccessDenied",
        operation: str = "",
        status: int | None = 403,
    ) -> None:
        super().__init__(what, why, next_step, code=code, operation=operation, status=status)
        self.action = action
        self.resource = resource
        self.denying_policy_arn = denying_policy_arn
        self.explicit = explicit


class NoCredentials(AwsError):
    """No access key was found by boto3's resolution, or the key is unknown to AWS."""


class ExpiredCredentials(AwsError):
    """The session token (or SSO token) has expired."""


class ClockSkew(AwsError):
    """The local clock is too far from AWS's for signatures (and TOTP codes) to work."""


class Throttled(AwsError):
    """AWS kept throttling the call after the adaptive retries gave up."""


class EndpointUnreachable(AwsError):
    """No connection to the AWS endpoint (network, proxy, wrong endpoint URL)."""


class ServiceUnavailable(AwsError):
    """AWS answered with a server error (5xx), timed out, or sent an unreadable reply."""


class InvalidAuthenticationCode(AwsError):
    """The MFA codes were wrong, reused, or not consecutive."""


class EntityAlreadyExists(AwsError):
    """The thing to create already exists (e.g. an abandoned virtual MFA device)."""


class LimitExceeded(AwsError):
    """An account or per-user quota is full (5 SSH keys, 2 Git credentials, 8 MFA devices)."""


class NotFound(AwsError):
    """The user, device, key, credential or repository does not exist."""


class DeleteConflict(AwsError):
    """The entity is still in use (e.g. deleting an MFA device that is assigned)."""


class InvalidInputError(AwsError):
    """AWS rejected a value: an SSH key it cannot use, a malformed parameter."""


__all__ = [
    "AccessDenied",
    "AwsError",
    "ClockSkew",
    "DeleteConflict",
    "EndpointUnreachable",
    "EntityAlreadyExists",
    "ExpiredCredentials",
    "InvalidAuthenticationCode",
    "InvalidInputError",
    "LimitExceeded",
    "NoCredentials",
    "NotFound",
    "ServiceUnavailable",
    "Throttled",
]
