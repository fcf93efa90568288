"""Who signed a request to the sandbox: the access key, its user, and the SigV4 check.

Long-term keys come from moto's IAM backend; session credentials from the
sandbox's own GetSessionToken. Errors are AWS's: InvalidClientTokenId,
SignatureDoesNotMatch (also for a clock more than 15 minutes off),
ExpiredToken, MissingAuthenticationToken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto.iam.models import User, iam_backends

from onboard.sandbox.state import SandboxState, SessionRecord

# AWS refuses SigV4 requests signed more than 15 minutes away from its clock.
MAX_SKEW_SECONDS = 15 * 60


class AuthFailure(Exception):
    """The request is not authenticated; `code`/`message`/`status` as AWS answers."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Caller:
    """The IAM user behind a request, and how it authenticated."""

    user_name: str
    user_arn: str
    user_id: str
    account_id: str
    access_key_id: str
    session: SessionRecord | None

    @property
    def mfa_authenticated_at(self) -> float | None:
        return self.session.mfa_authenticated_at if self.session else None


def _between(first: str, second: str, text: str) -> str:
    return text.partition(first)[2].partition(second)[0]


def iam_backend(state: SandboxState) -> Any:
    """moto's IAM backend of the sandbox account."""
    return iam_backends[state.account_id]["aws"]


def user_of_access_key(state: SandboxState, access_key_id: str) -> tuple[User, Any] | None:
    """The user and moto AccessKey owning a long-term key id, or None."""
    backend = iam_backend(state)
    for user in backend.users.values():
        for key in user.access_keys:
            if key.access_key_id == access_key_id:
                return user, key
    return None


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%dT%H%M%SZ")


def check_clock(state: SandboxState, amz_date: str) -> None:
    """Refuse a signature dated more than 15 minutes from the sandbox's clock."""
    try:
        signed = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError as exc:
        raise AuthFailure("IncompleteSignature", f"Invalid X-Amz-Date {amz_date!r}") from exc
    now = state.now()
    if signed < now - MAX_SKEW_SECONDS:
        raise AuthFailure(
            "SignatureDoesNotMatch",
            f"Signature expired: {amz_date} is now earlier than "
            f"{_stamp(now - MAX_SKEW_SECONDS)} ({_stamp(now)} - 15 min.)",
        )
    if signed > now + MAX_SKEW_SECONDS:
        raise AuthFailure(
            "SignatureDoesNotMatch",
            f"Signature not yet current: {amz_date} is still later than "
            f"{_stamp(now + MAX_SKEW_SECONDS)} ({_stamp(now)} + 15 min.)",
        )


def _signature_ok(
    secret: str, headers: Any, method: str, path: str, body: Any, authorization: str
) -> bool:
    scope = _between("Credential=", ",", authorization).split("/")
    if len(scope) < 5:
        return False
    region, service = scope[2], scope[3]
    signed_headers = _between("SignedHeaders=", ",", authorization).split(";")
    request_headers = {k: v for k, v in headers.items() if k.lower() in signed_headers}
    request = AWSRequest(method=method, url=path, data=body, headers=request_headers)
    request.context["timestamp"] = headers.get("X-Amz-Date", "")
    auth = SigV4Auth(Credentials("x", secret), service, region)
    canonical = auth.canonical_request(request)
    expected = auth.signature(auth.string_to_sign(request, canonical), request)
    return bool(expected == _between("Signature=", ",", authorization + ","))


_KEY_IN_AUTH = re.compile(r"Credential=([A-Z0-9]{16,128})/")


def authenticate(state: SandboxState, response: Any) -> Caller:
    """The caller of a moto request (`response` is the moto BaseResponse being served)."""
    headers = response.headers
    authorization = headers.get("Authorization", "")
    if not authorization:
        raise AuthFailure("MissingAuthenticationToken", "Request is missing Authentication Token")
    match = _KEY_IN_AUTH.search(authorization)
    if not match or "AWS4-HMAC-SHA256" not in authorization:
        raise AuthFailure(
            "IncompleteSignature", "The request signature does not conform to AWS standards."
        )
    key_id = match.group(1)
    token = headers.get("X-Amz-Security-Token")
    session = state.sessions.get(key_id)
    if session is not None:
        if token != session.session_token:
            raise AuthFailure(
                "InvalidClientTokenId", "The security token included in the request is invalid."
            )
        if state.now() >= session.expires_at:
            raise AuthFailure(
                "ExpiredToken", "The security token included in the request is expired"
            )
        owner = iam_backend(state).users.get(session.user_name)
        if owner is None:
            raise AuthFailure(
                "InvalidClientTokenId", "The security token included in the request is invalid."
            )
        secret = session.secret_access_key
        user = owner
    else:
        found = user_of_access_key(state, key_id)
        if found is None or found[1].status != "Active" or token:
            raise AuthFailure(
                "InvalidClientTokenId", "The security token included in the request is invalid."
            )
        user, key = found
        secret = key.secret_access_key
    check_clock(state, headers.get("X-Amz-Date", ""))
    path = response.raw_path
    if response.parsed_url.query:
        path += "?" + response.parsed_url.query
    if not _signature_ok(
        secret, headers, response.method, path, response.raw_body or response.data, authorization
    ):
        raise AuthFailure(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.",
        )
    return Caller(
        user_name=user.name,
        user_arn=user.arn,
        user_id=user.id,
        account_id=state.account_id,
        access_key_id=key_id,
        session=session,
    )
