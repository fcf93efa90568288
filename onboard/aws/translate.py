"""botocore exceptions -> typed `AwsError`s with a message that says what to do."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore import exceptions as bx
from botocore.parsers import ResponseParserError

from onboard.aws import errors as e

# "User: <arn> is not authorized to perform: <action> [on resource: <arn>]
#  [because no <type> policy allows ... | with an explicit deny in a(n) <type> policy[: <arn>]]"
_DENIED = re.compile(
    r"(?:User|Principal): (?P<principal>\S+) is not authorized to perform: (?P<action>[\w:*-]+)"
    r"(?: on resource: (?P<resource>\S+?))?"
    r"(?: (?:because no (?P<implicit_type>[\w -]+?) policy allows"
    r"|with an explicit deny in an? (?P<explicit_type>[\w -]+?) policy"
    r"(?:: (?P<policy_arn>arn:[^\s,]+))?))?"
    r"(?:[ .,]|$)"
)

_CLOCK_CODES = {"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture"}
_EXPIRED_CODES = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired"}
_BAD_KEY_CODES = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
    "IncompleteSignature",
}
_THROTTLE_CODES = {
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
}
_SERVER_CODES = {"InternalFailure", "InternalError", "ServiceUnavailable", "ServiceFailure"}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
_NOT_FOUND_CODES = {
    "NoSuchEntity",
    "RepositoryDoesNotExistException",
    "BranchDoesNotExistException",
    "NotFoundException",
    "NotFound",
}
_INPUT_CODES = {
    "UnrecognizedPublicKeyEncoding",
    "InvalidPublicKey",
    "DuplicateSSHPublicKey",
    "InvalidInput",
    "ValidationError",
    "MalformedPolicyDocument",
    "InvalidParameterValue",
    "InvalidRepositoryNameException",
    "BranchNameRequiredException",
    "RepositoryNameRequiredException",
}
_INPUT_NEXT = {
    "UnrecognizedPublicKeyEncoding": (
        "CodeCommit takes only RSA keys: run `ssh-keygen -t rsa -b 4096` and upload the .pub file"
    ),
    "InvalidPublicKey": (
        "upload an RSA public key of at least 2048 bits (`ssh-keygen -t rsa -b 4096`), "
        "the .pub file, never the private key"
    ),
    "DuplicateSSHPublicKey": (
        "this key is already uploaded: use its SSH key ID, or generate a new one"
    ),
}

_SSO_ERRORS = (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError)
_CONNECT_ERRORS = (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError)


def _parse_denied(message: str) -> dict[str, Any]:
    match = _DENIED.search(message)
    if not match:
        return {"action": "", "resource": "", "policy_arn": None, "explicit": False}
    return {
        "action": match["action"] or "",
        "resource": match["resource"] or "",
        "policy_arn": match["policy_arn"],
        "explicit": match["explicit_type"] is not None,
    }


def _from_client_error(exc: bx.ClientError, operation: str) -> e.AwsError:
    error = exc.response.get("Error", {}) or {}
    code = str(error.get("Code", "") or "")
    message = str(error.get("Message", "") or "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    kw: dict[str, Any] = {"code": code, "operation": operation, "status": status}
    why = f"{code}: {message}" if message else code
    if code == "AccessDenied" and "unable to validate MFA code" in message:
        # GetSessionToken's answer to a serial that is not one of the caller's devices.
        return e.InvalidAuthenticationCode(
            "the MFA serial number is not an MFA device of this user",
            why,
            "use the SerialNumber that `aws iam list-mfa-devices` (ListMFADevices) shows for "
            "you; a device that was never enabled, or another user's, cannot open a session",
            **kw,
        )
    if code == "AccessDenied" and "MultiFactorAuthentication failed" in message:
        # GetSessionToken's (and AssumeRole's) answer to a wrong MFA code, and also to a
        # right one used before: AWS takes each code once per device, and new hires
        # often retype the code that just enabled the device.
        return e.InvalidAuthenticationCode(
            "the MFA code was not accepted",
            why,
            "if you already typed this code (for example to enable the device), that code "
            "was already used: wait for your app to show the next one (up to 30 s) and "
            "enter that; otherwise enter the code the app shows now, and if codes keep "
            "failing, check the phone's clock or resync the device",
            **kw,
        )
    if code in _DENIED_CODES or code == "EncryptionKeyAccessDeniedException":
        parts = _parse_denied(message)
        target = f"{parts['action'] or operation}"
        if parts["explicit"]:
            where = parts["policy_arn"] or "an identity-based policy"
            next_step = (
                f"an explicit deny in {where} blocks this; if it is the MFA policy, "
                "get an MFA session first (enter your MFA code), else ask your admin"
            )
        else:
            next_step = f"ask your AWS admin to allow {target} for your user"
        return e.AccessDenied(
            f"AWS denied {operation or target}",
            why,
            next_step,
            action=parts["action"],
            resource=parts["resource"],
            denying_policy_arn=parts["policy_arn"],
            explicit=parts["explicit"],
            **kw,
        )
    if code in _CLOCK_CODES or (
        code in ("SignatureDoesNotMatch", "InvalidSignatureException")
        and ("expired" in message.lower() or "not yet current" in message.lower())
    ):
        return e.ClockSkew(
            "your computer's clock is too far from AWS's",
            why,
            "set the clock automatically (NTP) and try again; MFA codes depend on it too",
            **kw,
        )
    if code in _EXPIRED_CODES:
        return e.ExpiredCredentials(
            "your AWS session has expired",
            why,
            "get a new session (enter a fresh MFA code, or `aws sso login`)",
            **kw,
        )
    if code in _BAD_KEY_CODES or code == "SignatureDoesNotMatch":
        return e.NoCredentials(
            "AWS does not accept these credentials",
            why,
            "check the access key ID and secret, or ask your administrator to activate the key "
            "or create a new one",
            **kw,
        )
    if code in _THROTTLE_CODES:
        return e.Throttled(
            "AWS is throttling requests",
            f"{why} (still throttled after the adaptive retries)",
            "wait a minute and try again",
            **kw,
        )
    if code in _SERVER_CODES or (status is not None and status >= 500):
        return e.ServiceUnavailable(
            f"AWS had an internal error during {operation or 'the call'}",
            why,
            "try again in a minute; if it persists, check the AWS Health Dashboard",
            **kw,
        )
    if code == "InvalidAuthenticationCode":
        return e.InvalidAuthenticationCode(
            "the MFA codes were not accepted",
            why,
            "enter two consecutive codes (wait for the app to show a new one), "
            "and check the device's clock",
            **kw,
        )
    if code in ("EntityAlreadyExists", "RepositoryNameExistsException"):
        return e.EntityAlreadyExists(
            "it already exists", why, "use the existing one, or delete it first", **kw
        )
    if code in ("LimitExceeded", "LimitExceededException"):
        return e.LimitExceeded(
            "an AWS quota is full", why, "delete an old one you no longer use, then retry", **kw
        )
    if code in _NOT_FOUND_CODES:
        return e.NotFound("AWS could not find it", why, "check the name or ID", **kw)
    if code == "DeleteConflict":
        return e.DeleteConflict(
            "it is still in use", why, "deactivate or detach it first, then delete it", **kw
        )
    if code in _INPUT_CODES:
        next_step = _INPUT_NEXT.get(code, "correct the value and try again")
        return e.InvalidInputError("AWS rejected the input", why, next_step, **kw)
    return e.AwsError(
        f"AWS call {operation or ''} failed".replace("  ", " "),
        why,
        "see the AWS error above",
        **kw,
    )


def translate(exc: BaseException, operation: str = "") -> e.AwsError:
    """The typed domain error for a botocore/boto3 exception."""
    kw: dict[str, Any] = {"operation": operation}
    if isinstance(exc, e.AwsError):
        return exc
    if isinstance(exc, bx.ClientError):
        return _from_client_error(exc, operation)
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        return e.NoCredentials(
            "no AWS credentials found",
            str(exc),
            "import the key your administrator gave you (`onboard credentials import FILE.csv`, "
            "or type it: `onboard credentials add`), or set AWS_PROFILE / --profile",
            **kw,
        )
    if isinstance(exc, _SSO_ERRORS):
        return e.ExpiredCredentials(
            "your AWS SSO login has expired", str(exc), "run `aws sso login` and try again", **kw
        )
    if isinstance(exc, bx.ProfileNotFound):
        return e.NoCredentials(
            "that AWS profile does not exist", str(exc), "check --profile / AWS_PROFILE", **kw
        )
    if isinstance(exc, (bx.ReadTimeoutError, bx.ConnectionClosedError)):
        return e.ServiceUnavailable(
            "AWS did not answer",
            str(exc),
            "check your network or proxy and try again",
            code=type(exc).__name__,
            operation=operation,
        )
    if isinstance(exc, _CONNECT_ERRORS):
        return e.EndpointUnreachable(
            "cannot reach AWS",
            str(exc),
            "check your network, proxy and AWS_ENDPOINT_URL; is the sandbox still running?",
            code=type(exc).__name__,
            operation=operation,
        )
    if isinstance(exc, ResponseParserError):
        return e.ServiceUnavailable(
            "AWS sent a reply that could not be read",
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            "try again; if it persists, the endpoint may not be AWS (check AWS_ENDPOINT_URL)",
            code="ResponseParserError",
            operation=operation,
        )
    if isinstance(exc, bx.ParamValidationError):
        return e.InvalidInputError(
            "a value sent to AWS was invalid", str(exc), "correct the value and try again", **kw
        )
    if isinstance(exc, bx.NoRegionError):
        return e.AwsError("no AWS region is set", str(exc), "pass --region or set AWS_REGION", **kw)
    if isinstance(exc, bx.BotoCoreError):
        return e.AwsError("the AWS call failed", str(exc), "try again", **kw)
    raise exc


@contextmanager
def translated(operation: str) -> Iterator[None]:
    """Turn any botocore error raised inside the block into its `AwsError`."""
    try:
        yield
    except (bx.BotoCoreError, bx.ClientError, ResponseParserError) as exc:
        raise translate(exc, operation) from exc


def call(operation: str, method: Callable[..., Any], **kwargs: Any) -> Any:
    """Call a boto3 client method, translating its errors."""
    with translated(operation):
        return method(**kwargs)
