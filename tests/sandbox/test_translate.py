"""botocore failures the sandbox cannot produce (SSO, local validation), and message parsing."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from onboard.aws import errors as e
from onboard.aws.translate import translate


def _client_error(code: str, message: str, status: int = 400) -> bx.ClientError:
    return bx.ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "Op",
    )


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (bx.SSOTokenLoadError(error_msg="token expired"), e.ExpiredCredentials),
        (bx.UnauthorizedSSOTokenError(), e.ExpiredCredentials),
        (bx.TokenRetrievalError(provider="sso", error_msg="expired"), e.ExpiredCredentials),
        (bx.ProfileNotFound(profile="dev"), e.NoCredentials),
        (
            bx.PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
            e.NoCredentials,
        ),
        (bx.ParamValidationError(report="bad"), e.InvalidInputError),
        (bx.NoRegionError(), e.AwsError),
        (bx.ConnectTimeoutError(endpoint_url="https://iam.amazonaws.com"), e.EndpointUnreachable),
        (
            _client_error(
                "ExpiredToken", "The security token included in the request is expired", 403
            ),
            e.ExpiredCredentials,
        ),
        (_client_error("RequestTimeTooSkewed", "too skewed", 403), e.ClockSkew),
        (_client_error("TooManyRequestsException", "slow down"), e.Throttled),
        (_client_error("ServiceUnavailable", "later", 503), e.ServiceUnavailable),
        (_client_error("EncryptionKeyAccessDeniedException", "kms says no"), e.AccessDenied),
        (_client_error("SomethingNew", "who knows"), e.AwsError),
    ],
)
def test_kinds(exc: Exception, kind: type[e.AwsError]) -> None:
    error = translate(exc, "Op")
    assert type(error) is kind
    assert error.what and error.next_step


def test_denied_messages_are_parsed() -> None:
    boundary = translate(
        _client_error(
            "AccessDenied",
            "User: arn:aws:iam::1:user/a is not authorized to perform: iam:GetUser on resource: "
            "arn:aws:iam::1:user/a because no permissions boundary allows the iam:GetUser action",
            403,
        )
    )
    assert isinstance(boundary, e.AccessDenied)
    assert (boundary.action, boundary.resource, boundary.explicit) == (
        "iam:GetUser",
        "arn:aws:iam::1:user/a",
        False,
    )
    inline = translate(
        _client_error(
            "AccessDeniedException",
            "User: arn:aws:iam::1:user/a is not authorized to perform: codecommit:GitPull on "
            "resource: arn:aws:codecommit:us-east-1:1:r with an explicit deny in an "
            "identity-based policy",
        )
    )
    assert isinstance(inline, e.AccessDenied)
    assert inline.explicit and inline.denying_policy_arn is None
    old_style = translate(_client_error("AccessDenied", "Access denied", 403))
    assert isinstance(old_style, e.AccessDenied) and old_style.action == ""


def test_non_aws_errors_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        translate(KeyError("x"))
