"""AWS's documented evaluation examples, and the same-account resource policy rules."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.policy import Decision, PolicyError, Request, evaluate, parse_policy

from .helpers import USER, decide, policy

A, N, E = Decision.ALLOWED, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY
ALLOW_S3 = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}


# Examples from AWS's documentation, as (description, policies, request, expected).
def _doc_examples() -> list[tuple[str, list[Any], Request, Decision]]:
    bool_deny = policy(
        ALLOW_S3,
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    if_exists_deny = policy(
        ALLOW_S3,
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    home_dir = policy(
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
            "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
        },
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}",
                "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*",
            ],
        },
    )
    tag_keys = policy(
        {
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": "*",
            "Condition": {
                "ForAllValues:StringEquals": {"aws:TagKeys": ["environment", "cost-center"]}
            },
        }
    )
    return [
        # Bool with long-term keys: the key is absent, the deny does not apply (the docs' warning)
        ("Bool deny, access keys", [bool_deny], Request("s3:GetObject", "*", USER, {}), A),
        (
            "Bool deny, session without MFA",
            [bool_deny],
            Request("s3:GetObject", "*", USER, {"aws:MultiFactorAuthPresent": "false"}),
            E,
        ),
        (
            "BoolIfExists deny, access keys",
            [if_exists_deny],
            Request("s3:GetObject", "*", USER, {}),
            E,
        ),
        (
            "BoolIfExists deny, MFA session",
            [if_exists_deny],
            Request("s3:GetObject", "*", USER, {"aws:MultiFactorAuthPresent": "true"}),
            A,
        ),
        (
            "home dir, own prefix",
            [home_dir],
            Request(
                "s3:ListBucket",
                "arn:aws:s3:::amzn-s3-demo-bucket",
                USER,
                {"s3:prefix": "home/alice/docs"},
            ),
            A,
        ),
        (
            "home dir, other prefix",
            [home_dir],
            Request(
                "s3:ListBucket",
                "arn:aws:s3:::amzn-s3-demo-bucket",
                USER,
                {"s3:prefix": "home/bob/"},
            ),
            N,
        ),
        (
            "home dir, own object",
            [home_dir],
            Request("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/alice/f", USER),
            A,
        ),
        (
            "home dir, other object",
            [home_dir],
            Request("s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/home/bob/f", USER),
            N,
        ),
        (
            "tag keys subset",
            [tag_keys],
            Request("ec2:CreateTags", "*", USER, {"aws:TagKeys": ["environment"]}),
            A,
        ),
        (
            "tag keys extra",
            [tag_keys],
            Request("ec2:CreateTags", "*", USER, {"aws:TagKeys": ["environment", "owner"]}),
            N,
        ),
    ]


def test_documented_examples() -> None:
    for description, policies, request, expected in _doc_examples():
        assert evaluate(request, policies).decision is expected, description


def test_more_documented_examples() -> None:
    regions = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "DenyAllOutsideRequestedRegions",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}
            },
        },
    )
    assert (
        decide([regions], action="ec2:RunInstances", context={"aws:RequestedRegion": "eu-west-1"})
        is A
    )
    assert (
        decide([regions], action="ec2:RunInstances", context={"aws:RequestedRegion": "us-east-1"})
        is E
    )
    assert decide([regions], action="ec2:RunInstances") is E  # negated operator, key absent: true
    assert (
        decide([regions], action="iam:CreateUser", context={"aws:RequestedRegion": "us-east-1"})
        is A
    )

    source_ip = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]},
                "Bool": {"aws:ViaAWSService": "false"},
            },
        },
    )
    office = {"aws:SourceIp": "192.0.2.10", "aws:ViaAWSService": "false"}
    cafe = {"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": "false"}
    service = {"aws:SourceIp": "198.51.100.1", "aws:ViaAWSService": "true"}
    assert [decide([source_ip], context=c) for c in (office, cafe, service)] == [A, E, A]

    projects = policy(
        {
            "Effect": "Allow",
            "Action": "ec2:StartInstances",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:ResourceTag/project": "${aws:PrincipalTag/project}"}
            },
        }
    )
    same = {"aws:ResourceTag/project": "blue", "aws:PrincipalTag/project": "blue"}
    other = {"aws:ResourceTag/project": "red", "aws:PrincipalTag/project": "blue"}
    untagged = {"aws:ResourceTag/project": "blue"}
    assert [
        decide([projects], action="ec2:StartInstances", context=c) for c in (same, other, untagged)
    ] == [A, N, N]


# AWS's "Multivalued context keys" example: a Deny with ForAllValues:StringNotLike.
# A missing key, or one that resolves to a null dataset (an empty string or list),
# makes ForAllValues true, so the deny applies.
TAG_DENY_CASES: list[tuple[Any, Decision]] = [
    (["key1:legal"], A),
    (["key1:hr", "key1:personnel"], A),
    (["key2:audit"], E),
    (["key1:hr", "key2:audit"], A),  # not every value is "not like key1*"
    (None, E),
    ([], E),
    ("", E),
]


@pytest.mark.parametrize(("tag_keys", "expected"), TAG_DENY_CASES)
def test_for_all_values_deny_example(tag_keys: Any, expected: Decision) -> None:
    tags = policy(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {
            "Sid": "DenyRestrictedTags",
            "Effect": "Deny",
            "Action": ["iam:Tag*", "iam:UnTag*"],
            "Resource": ["*"],
            "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        },
    )
    context = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    assert decide([tags], action="iam:TagUser", context=context) is expected


SESSION = "arn:aws:sts::123456789012:assumed-role/Dev/build-7"
ROLE = "arn:aws:iam::123456789012:role/Dev"
ACCOUNT = "arn:aws:iam::123456789012:root"
BUCKET = "arn:aws:s3:::shared/report"

# "Policy evaluation logic", same account: who the resource policy names, whether an
# identity policy allows, whether a boundary (allowing only ec2:*) is attached.
# A grant to the user or session ARN is not limited by identity policies or boundaries;
# one to the role ARN is limited by a boundary; one to the account delegates to identity.
RESOURCE_CASES: list[tuple[str, str, str, bool, bool, Decision]] = [
    ("user ARN", USER, USER, False, False, A),
    ("user ARN past boundary", USER, USER, False, True, A),
    ("session ARN past boundary", SESSION, SESSION, False, True, A),
    ("role ARN, no identity grant", SESSION, ROLE, False, False, A),
    ("role ARN limited by boundary", SESSION, ROLE, False, True, N),
    ("role ARN names another role", SESSION, "arn:aws:iam::123456789012:role/Ops", False, False, N),
    ("account only: identity must allow", SESSION, ACCOUNT, False, False, N),
    ("account and identity allow", SESSION, ACCOUNT, True, False, A),
    ("account id form", USER, "123456789012", True, False, A),
    ("user named, other user asks", "arn:aws:iam::123456789012:user/bob", USER, False, False, N),
]


@pytest.mark.parametrize(
    ("principal", "named", "identity_allows", "bounded", "expected"),
    [case[1:] for case in RESOURCE_CASES],
    ids=[case[0] for case in RESOURCE_CASES],
)
def test_same_account_resource_policy_by_principal_type(
    principal: str, named: str, identity_allows: bool, bounded: bool, expected: Decision
) -> None:
    resource_policy = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": named},
                "Action": "s3:GetObject",
                "Resource": BUCKET,
            }
        },
        "bucket-policy",
        kind="resource",
    )
    identity = [policy(ALLOW_S3)] if identity_allows else []
    boundary = parse_policy(
        {"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}, "b", kind="boundary"
    )
    result = evaluate(
        Request("s3:GetObject", BUCKET, principal),
        identity,
        boundaries=[boundary] if bounded else [],
        resource_policy=resource_policy,
    )
    assert result.decision is expected
    if expected is A and not identity_allows:
        assert result.matched[0].policy_name == "bucket-policy"


def test_resource_policy_deny_naming_the_role_denies_its_sessions() -> None:
    deny = parse_policy(
        {
            "Statement": {
                "Sid": "NoDev",
                "Effect": "Deny",
                "Principal": {"AWS": ROLE},
                "Action": "s3:*",
                "Resource": "*",
            }
        },
        "bucket-policy",
        kind="resource",
    )
    result = evaluate(
        Request("s3:GetObject", BUCKET, SESSION), [policy(ALLOW_S3)], resource_policy=deny
    )
    assert result.decision is E
    assert result.matched[0].sid == "NoDev"
    assert decide([policy(ALLOW_S3)], resource=BUCKET, resource_policy=deny) is A  # a user


@pytest.mark.parametrize(
    "operator", ["NumericEquals", "DateLessThan", "Bool", "BinaryEquals", "IpAddress", "Null"]
)
def test_variables_only_in_string_and_arn_operators(operator: str) -> None:
    # AWS: "You can't use a policy variable with ... Numeric, Date, Boolean, Binary,
    # IP Address, or Null operators": an error naming the place, not a silent false.
    with pytest.raises(PolicyError, match=rf"Statement\[0\]\.Condition\.{operator}\.k: policy var"):
        policy({**ALLOW_S3, "Condition": {operator: {"k": "${aws:username}"}}})
    # Without Version 2012-10-17 the text is literal, and still not a valid value.
    with pytest.raises(PolicyError, match=r"Condition"):
        policy({**ALLOW_S3, "Condition": {operator: {"k": "${aws:username}"}}}, version=None)


def test_a_default_value_is_substituted_once() -> None:
    # The default is used as text: variables and `${*}` inside it are not expanded again.
    quoted = policy(
        {**ALLOW_S3, "Condition": {"StringLike": {"s3:prefix": "${aws:x, '${aws:username}${*}'}"}}}
    )
    assert decide([quoted], context={"s3:prefix": "${aws:username}${*}"}) is A
    assert decide([quoted], context={"s3:prefix": "alice*"}) is N
    assert decide([quoted], context={"s3:prefix": "alice", "aws:x": "alice"}) is A


def _kinded(kind: str, *statements: dict[str, Any]) -> Any:
    return parse_policy({"Statement": list(statements)}, kind, kind=kind)


ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
EC2 = {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}
DENY_GET = {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}
GRANT_USER = {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:*", "Resource": "*"}
GRANT_ACCOUNT = {**GRANT_USER, "Principal": {"AWS": ACCOUNT}}
DENY_ANYONE = {**DENY_GET, "Principal": "*"}

# (identity statements, boundary, SCP, resource policy, expected): the order of
# "Policy evaluation logic": deny anywhere, then SCPs (which limit resource-based
# grants too), then the resource policy, then identity policies and boundaries.
COMBINATIONS: list[tuple[str, list[Any], Any, Any, Any, Decision]] = [
    ("SCP limits a direct resource grant", [], None, EC2, GRANT_USER, N),
    ("direct grant passes SCP, past boundary", [], EC2, ALL, GRANT_USER, A),
    ("deny in boundary beats direct grant", [], DENY_GET, ALL, GRANT_USER, E),
    ("deny in SCP beats everything", [ALL], None, DENY_GET, GRANT_USER, E),
    ("all four allow, resource names account", [ALL], ALL, ALL, GRANT_ACCOUNT, A),
    ("boundary limits identity grant", [ALL], EC2, ALL, GRANT_ACCOUNT, N),
    ("resource policy deny beats identity", [ALL], None, None, DENY_ANYONE, E),
    ("identity deny beats direct grant", [ALL, DENY_GET], None, None, GRANT_USER, E),
]


@pytest.mark.parametrize(
    ("identity", "boundary", "scp", "resource", "expected"),
    [case[1:] for case in COMBINATIONS],
    ids=[case[0] for case in COMBINATIONS],
)
def test_policy_type_combinations(
    identity: list[Any], boundary: Any, scp: Any, resource: Any, expected: Decision
) -> None:
    result = evaluate(
        Request("s3:GetObject", BUCKET, USER),
        [policy(*identity)] if identity else [],
        boundaries=[_kinded("boundary", boundary)] if boundary else [],
        scps=[_kinded("scp", scp)] if scp else [],
        resource_policy=_kinded("resource", resource) if resource else None,
    )
    assert result.decision is expected
    assert result.matched or expected is N  # a decision names its statements
