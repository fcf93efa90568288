"""Shared bits of the moto patches: AWS-shaped errors, the caller, moto's originals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.exceptions import JsonRESTError, _RESTError

from onboard.sandbox.identity import Caller
from onboard.sandbox.state import SandboxState, active

_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "ExpiredToken": "ExpiredTokenException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "IncompleteSignature": "IncompleteSignatureException",
}
_QUERY_SERVICES = frozenset({"iam", "sts", "ec2", "sqs", "sns", "rds", "cloudformation"})
ORIGINALS: dict[str, Callable[..., Any]] = {}
"""moto's own handlers that the patches replaced (fallbacks when no sandbox runs)."""


def error(response: Any, code: str, message: str, status: int = 403) -> Exception:
    """An AWS error in the response's protocol (XML for IAM/STS, JSON otherwise)."""
    if (response.service_name or "") in _QUERY_SERVICES:
        failure: _RESTError = _RESTError(code, message)
    else:
        failure = JsonRESTError(_JSON_CODES.get(code, code), message)
        if code in ("AccessDenied", "InvalidClientTokenId", "SignatureDoesNotMatch"):
            status = 400
    failure.code = status
    return failure


def require_state() -> SandboxState:
    """The running sandbox's state (sandbox-only handlers are reached only with one)."""
    state = active()
    assert state is not None  # handlers only run the sandbox path when one is active
    return state


def caller_of(response: Any) -> Caller | None:
    """The authenticated caller the authorizer stored on a moto response, if any."""
    return getattr(response, "_onboard_caller", None)
