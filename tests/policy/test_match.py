"""Action and resource wildcards, policy variables, and the 2008 version."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.policy import Decision

from .helpers import USER, decide, policy

A, D = Decision.ALLOWED, Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:getobject", A),  # actions are case-insensitive
        ("S3:GET*", "s3:GetObject", A),
        ("s3:Get?bject", "s3:GetObject", A),
        ("s3:Get?bject", "s3:GetOObject", D),
        ("s3:*", "s3:PutObject", A),
        ("s3:*", "s3x:PutObject", D),
        ("*", "codecommit:GitPull", A),
        ("iam:*AccessKey*", "iam:CreateAccessKey", A),
        ("iam:*AccessKey*", "iam:CreateUser", D),
    ],
)
def test_action_wildcards(pattern: str, action: str, expected: Decision) -> None:
    allow = policy({"Effect": "Allow", "Action": pattern, "Resource": "*"})
    assert decide([allow], action=action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b", A),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::Bucket/a", D),  # resources are case-sensitive
        ("arn:aws:s3:::bucket/?", "arn:aws:s3:::bucket/a", A),
        ("arn:aws:s3:::bucket/?", "arn:aws:s3:::bucket/ab", D),
        ("arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:user/alice", A),
        ("arn:aws:s3:::bucket", "arn:aws:s3:::bucket/a", D),
        ("*", "anything at all", A),
    ],
)
def test_resource_wildcards(pattern: str, resource: str, expected: Decision) -> None:
    allow = policy({"Effect": "Allow", "Action": "s3:*", "Resource": pattern})
    assert decide([allow], resource=resource) is expected


def _var_policy(resource: str, version: str | None = "2012-10-17") -> Any:
    return policy({"Effect": "Allow", "Action": "s3:*", "Resource": resource}, version=version)


@pytest.mark.parametrize(
    ("resource_pattern", "resource", "context", "principal", "expected"),
    [
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/alice/x", {}, USER, A),
        ("arn:aws:s3:::b/${aws:username}/*", "arn:aws:s3:::b/bob/x", {}, USER, D),
        # username comes from the ARN's last segment even with a path
        (
            "arn:aws:s3:::b/${aws:username}",
            "arn:aws:s3:::b/carol",
            {},
            "arn:aws:iam::1:user/dev/carol",
            A,
        ),
        # variable names are case-insensitive
        ("arn:aws:s3:::b/${AWS:UserName}", "arn:aws:s3:::b/alice", {}, USER, A),
        (
            "arn:aws:s3:::b/${aws:userid}",
            "arn:aws:s3:::b/AIDAEXAMPLE",
            {"aws:userid": "AIDAEXAMPLE"},
            USER,
            A,
        ),
        (
            "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
            "arn:aws:s3:::b/red/x",
            {"aws:PrincipalTag/team": "red"},
            USER,
            A,
        ),
        # a variable with no value: the pattern does not match
        ("arn:aws:s3:::b/${aws:PrincipalTag/team}/*", "arn:aws:s3:::b/red/x", {}, USER, D),
        ("arn:aws:s3:::b/${aws:username}", "arn:aws:s3:::b/", {}, None, D),
        # defaults
        ("arn:aws:s3:::b/${aws:PrincipalTag/team, 'none'}", "arn:aws:s3:::b/none", {}, USER, A),
        # escapes: ${*} ${?} ${$} are the literal characters, not wildcards
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/*", {}, USER, A),
        ("arn:aws:s3:::b/${*}", "arn:aws:s3:::b/anything", {}, USER, D),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/?", {}, USER, A),
        ("arn:aws:s3:::b/${?}", "arn:aws:s3:::b/x", {}, USER, D),
        ("arn:aws:s3:::b/${$}x", "arn:aws:s3:::b/$x", {}, USER, A),
        # substituted values are literal: a '*' in a tag is not a wildcard
        (
            "arn:aws:s3:::b/${aws:PrincipalTag/team}",
            "arn:aws:s3:::b/anything",
            {"aws:PrincipalTag/team": "*"},
            USER,
            D,
        ),
        # the request's own value wins over the ARN-derived one
        (
            "arn:aws:s3:::b/${aws:username}",
            "arn:aws:s3:::b/override",
            {"aws:username": "override"},
            USER,
            A,
        ),
    ],
)
def test_policy_variables(
    resource_pattern: str,
    resource: str,
    context: dict[str, Any],
    principal: str | None,
    expected: Decision,
) -> None:
    assert (
        decide(
            [_var_policy(resource_pattern)], resource=resource, context=context, principal=principal
        )
        is expected
    )


def test_old_version_treats_variables_literally() -> None:
    for version in ("2008-10-17", None):
        old = _var_policy("arn:aws:s3:::b/${aws:username}", version=version)
        assert decide([old], resource="arn:aws:s3:::b/alice") is D
        assert decide([old], resource="arn:aws:s3:::b/${aws:username}") is A


def test_principal_arn_fills_global_keys() -> None:
    checks = {
        "aws:PrincipalAccount": "123456789012",
        "aws:PrincipalArn": USER,
        "aws:PrincipalType": "User",
        "aws:username": "alice",
    }
    for key, value in checks.items():
        allow = policy(
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"StringEquals": {key: value}},
            }
        )
        assert decide([allow]) is A, key
        assert decide([allow], principal=None) is D, key


def test_default_values_with_quotes_and_spaces() -> None:
    allow = _var_policy("arn:aws:s3:::b/${ aws:PrincipalTag/x , 'it''s' }")
    assert decide([allow], resource="arn:aws:s3:::b/it's") is A
    assert (
        decide([allow], resource="arn:aws:s3:::b/tag", context={"aws:PrincipalTag/x": "tag"}) is A
    )


def test_list_valued_key_is_not_substituted() -> None:
    allow = _var_policy("arn:aws:s3:::b/${aws:TagKeys}")
    assert decide([allow], resource="arn:aws:s3:::b/a", context={"aws:TagKeys": ["a"]}) is D
