"""Every condition operator family, IfExists, negation with a missing key, set operators."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.policy import Decision, PolicyError, Request, evaluate

from .helpers import USER, allow_if, decide, policy

A, D = Decision.ALLOWED, Decision.IMPLICIT_DENY

# (operator, key, policy value(s), request context, expected)
CASES: list[tuple[str, str, Any, dict[str, Any], Decision]] = [
    # String
    ("StringEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "red"}, A),
    ("StringEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "Red"}, D),
    ("StringEquals", "aws:PrincipalTag/team", ["blue", "red"], {"aws:PrincipalTag/team": "red"}, A),
    ("StringEquals", "aws:PrincipalTag/team", "red", {}, D),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", {"aws:PrincipalTag/team": "blue"}, A),
    (
        "StringNotEquals",
        "aws:PrincipalTag/team",
        ["blue", "red"],
        {"aws:PrincipalTag/team": "red"},
        D,
    ),
    ("StringNotEquals", "aws:PrincipalTag/team", "red", {}, A),  # negated + missing key: true
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "RED", {"aws:PrincipalTag/team": "red"}, A),
    (
        "StringNotEqualsIgnoreCase",
        "aws:PrincipalTag/team",
        "RED",
        {"aws:PrincipalTag/team": "red"},
        D,
    ),
    ("StringLike", "s3:prefix", "home/*", {"s3:prefix": "home/alice/x"}, A),
    ("StringLike", "s3:prefix", "home/?", {"s3:prefix": "home/ab"}, D),
    ("StringLike", "s3:prefix", "home/?", {"s3:prefix": "home/a"}, A),
    ("StringLike", "s3:prefix", "Home/*", {"s3:prefix": "home/a"}, D),  # case-sensitive
    ("StringLike", "s3:prefix", "home", {"s3:prefix": "home/a"}, D),  # no wildcard: whole string
    ("StringNotLike", "s3:prefix", "tmp/*", {"s3:prefix": "home/a"}, A),
    ("StringNotLike", "s3:prefix", "tmp/*", {"s3:prefix": "tmp/a"}, D),
    ("StringNotLike", "s3:prefix", "tmp/*", {}, A),
    ("StringEqualsIfExists", "s3:prefix", "home", {}, A),
    ("StringEqualsIfExists", "s3:prefix", "home", {"s3:prefix": "tmp"}, D),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, A),
    ("NumericEquals", "s3:max-keys", 10, {"s3:max-keys": "10.0"}, A),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, A),
    ("NumericNotEquals", "s3:max-keys", "10", {}, A),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "9"}, A),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, D),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, A),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, D),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, A),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "ten"}, D),  # not a number
    ("NumericLessThan", "s3:max-keys", "10", {}, D),
    ("NumericLessThanIfExists", "s3:max-keys", "10", {}, A),
    # Date: ISO 8601 and epoch, either side
    (
        "DateLessThan",
        "aws:CurrentTime",
        "2030-01-01T00:00:00Z",
        {"aws:CurrentTime": "2026-11-28T12:00:00Z"},
        A,
    ),
    (
        "DateLessThan",
        "aws:CurrentTime",
        "2020-01-01T00:00:00Z",
        {"aws:CurrentTime": "2026-11-28T12:00:00Z"},
        D,
    ),
    (
        "DateGreaterThan",
        "aws:CurrentTime",
        "2020-01-01",
        {"aws:CurrentTime": "2026-11-28T12:00:00Z"},
        A,
    ),
    ("DateEquals", "aws:CurrentTime", "1577836800", {"aws:CurrentTime": "2020-01-01T00:00:00Z"}, A),
    (
        "DateEquals",
        "aws:CurrentTime",
        "2020-01-01T01:00:00+01:00",
        {"aws:CurrentTime": "1577836800"},
        A,
    ),
    (
        "DateNotEquals",
        "aws:CurrentTime",
        "2020-01-01T00:00:00Z",
        {"aws:CurrentTime": "2020-01-01T00:00:01Z"},
        A,
    ),
    (
        "DateLessThanEquals",
        "aws:TokenIssueTime",
        "2020-01-01T00:00:00Z",
        {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        A,
    ),
    ("DateGreaterThanEquals", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", {}, D),
    ("DateGreaterThanEqualsIfExists", "aws:TokenIssueTime", "2020-01-01T00:00:00Z", {}, A),
    # Bool
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "true"}, A),
    ("Bool", "aws:SecureTransport", True, {"aws:SecureTransport": "TRUE"}, A),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, D),
    ("Bool", "aws:SecureTransport", "true", {}, D),
    ("BoolIfExists", "aws:SecureTransport", "true", {}, A),
    ("BoolIfExists", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, D),
    # Binary (base-64)
    (
        "BinaryEquals",
        "s3:x-amz-content",
        "QmluYXJ5VmFsdWU=",
        {"s3:x-amz-content": "QmluYXJ5VmFsdWU="},
        A,
    ),
    ("BinaryEquals", "s3:x-amz-content", "QmluYXJ5VmFsdWU=", {"s3:x-amz-content": "T3RoZXI="}, D),
    ("BinaryEqualsIfExists", "s3:x-amz-content", "QmluYXJ5VmFsdWU=", {}, A),
    # IP addresses, v4 and v6
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"}, A),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.114.7"}, D),
    (
        "IpAddress",
        "aws:SourceIp",
        ["10.0.0.0/8", "2001:db8::/32"],
        {"aws:SourceIp": "2001:db8::1"},
        A,
    ),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db9::1"}, D),
    (
        "IpAddress",
        "aws:SourceIp",
        "203.0.113.5",
        {"aws:SourceIp": "203.0.113.5"},
        A,
    ),  # bare IP = /32
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "not-an-ip"}, D),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"}, A),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.1"}, D),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {}, A),
    ("IpAddressIfExists", "aws:SourceIp", "203.0.113.0/24", {}, A),
    # ARN: six parts matched separately
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic-*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic-a"},
        A,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:sns:*:123456789012:topic-*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:999999999999:topic-a"},
        D,
    ),
    (
        "ArnLike",
        "aws:SourceArn",
        "arn:aws:*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"},
        D,
    ),  # wildcard stays in its part
    (
        "ArnEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:123456789012:t",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"},
        A,
    ),
    (
        "ArnNotEquals",
        "aws:SourceArn",
        "arn:aws:sns:us-east-1:123456789012:t",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:u"},
        A,
    ),
    (
        "ArnNotLike",
        "aws:SourceArn",
        "arn:aws:sns:*:*:*",
        {"aws:SourceArn": "arn:aws:sns:us-east-1:1:t"},
        D,
    ),
    ("ArnNotLike", "aws:SourceArn", "arn:aws:sns:*:*:*", {}, A),
    ("ArnLike", "aws:SourceArn", "arn:aws:sns:*:*:*", {"aws:SourceArn": "not-an-arn"}, D),
    ("ArnLikeIfExists", "aws:SourceArn", "arn:aws:sns:*:*:*", {}, A),
    # Null
    ("Null", "kms:ViaService", "true", {}, A),
    ("Null", "kms:ViaService", True, {"kms:ViaService": "codecommit.us-east-1.amazonaws.com"}, D),
    ("Null", "kms:ViaService", "false", {"kms:ViaService": "x"}, A),
    ("Null", "kms:ViaService", "false", {}, D),
    ("Null", "aws:TagKeys", "true", {"aws:TagKeys": []}, A),  # an empty list is no value
    ("Null", "aws:TagKeys", "true", {"aws:TagKeys": ""}, A),  # so is an empty string
    ("Null", "aws:TagKeys", "false", {"aws:TagKeys": ""}, D),
]


@pytest.mark.parametrize(("operator", "key", "value", "context", "expected"), CASES)
def test_operator(
    operator: str, key: str, value: Any, context: dict[str, Any], expected: Decision
) -> None:
    assert decide([allow_if({operator: {key: value}})], context=context) is expected


SET_CASES: list[tuple[str, Any, dict[str, Any], Decision]] = [
    # ForAllValues: every request value must match one policy value; absent/empty: true
    ("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ["a", "b"]}, A),
    ("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ["a", "c"]}, D),
    ("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ["a"]}, A),
    ("ForAllValues:StringEquals", ["a", "b"], {}, A),
    ("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": []}, A),
    ("ForAllValues:StringEquals", ["a", "b"], {"aws:TagKeys": ""}, A),  # a null dataset
    ("ForAllValues:StringLike", "Created*", {"aws:TagKeys": ["CreatedBy", "CreatedAt"]}, A),
    # ForAnyValue: some request value matches; absent/empty: false, even with IfExists
    ("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": ["c", "b"]}, A),
    ("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": ["c", "d"]}, D),
    ("ForAnyValue:StringEquals", ["a", "b"], {}, D),
    ("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": []}, D),
    ("ForAnyValue:StringEquals", ["a", "b"], {"aws:TagKeys": ""}, D),
    ("ForAnyValue:StringEquals", [""], {"aws:TagKeys": ""}, D),
    ("ForAnyValue:StringEqualsIfExists", ["a"], {}, D),
    # Negated operators per value
    ("ForAllValues:StringNotEquals", ["secret"], {"aws:TagKeys": ["a", "b"]}, A),
    ("ForAllValues:StringNotEquals", ["secret"], {"aws:TagKeys": ["a", "secret"]}, D),
    ("ForAnyValue:StringNotLike", ["secret*"], {"aws:TagKeys": ["secret1", "b"]}, A),
    ("ForAnyValue:StringNotLike", ["secret*"], {"aws:TagKeys": ["secret1"]}, D),
    # A single string is a one-value set
    ("ForAnyValue:StringEquals", ["a"], {"aws:TagKeys": "a"}, A),
    # Without a set operator, a list (multivalued) key never matches, negated or not
    ("StringEquals", ["a"], {"aws:TagKeys": ["b", "a"]}, D),
    ("StringEquals", "a", {"aws:TagKeys": ["a"]}, D),
    ("StringLike", "*", {"aws:TagKeys": ["a", "b"]}, D),
    ("StringEqualsIfExists", "a", {"aws:TagKeys": ["a", "b"]}, D),
    ("StringNotEquals", ["a"], {"aws:TagKeys": ["b", "a"]}, D),
    ("StringNotEquals", ["x"], {"aws:TagKeys": ["b", "a"]}, D),
    # ... while the same operator on a single string, or an empty list (no value), is as usual
    ("StringEquals", "a", {"aws:TagKeys": "a"}, A),
    ("StringNotEquals", "x", {"aws:TagKeys": []}, A),
    ("ForAnyValue:StringEquals", "a", {"aws:TagKeys": ["a", "b"]}, A),
]


def test_single_valued_operator_on_a_list_explains_itself() -> None:
    condition = {"StringEquals": {"aws:TagKeys": "a"}}
    request = Request("s3:GetObject", "*", USER, {"aws:TagKeys": ["a", "b"]})
    result = evaluate(request, [allow_if(condition)])
    assert result.decision is D
    assert "needs ForAnyValue: or ForAllValues:" in result.explanation


def test_a_deny_with_a_single_valued_operator_on_a_list_does_not_apply() -> None:
    deny = policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:CalledVia": "athena.amazonaws.com"}},
        },
    )
    via = {"aws:CalledVia": ["cloudformation.amazonaws.com", "s3.amazonaws.com"]}
    assert decide([deny], context=via) is A
    assert decide([deny], context={"aws:CalledVia": "s3.amazonaws.com"}) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(("operator", "value", "context", "expected"), SET_CASES)
def test_set_operators(
    operator: str, value: Any, context: dict[str, Any], expected: Decision
) -> None:
    assert decide([allow_if({operator: {"aws:TagKeys": value}})], context=context) is expected


def test_several_keys_are_and_several_operators_are_and() -> None:
    condition = {
        "StringEquals": {"aws:PrincipalTag/team": "red", "aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    full = {
        "aws:PrincipalTag/team": "red",
        "aws:RequestedRegion": "us-east-1",
        "aws:SecureTransport": "true",
    }
    assert decide([allow_if(condition)], context=full) is A
    for dropped in full:
        partial = {k: v for k, v in full.items() if k != dropped}
        assert decide([allow_if(condition)], context=partial) is D, dropped


def test_condition_keys_are_case_insensitive_values_per_operator() -> None:
    policy = allow_if({"StringEquals": {"AWS:PrincipalTag/Team": "red"}})
    assert decide([policy], context={"aws:principaltag/team": "red"}) is A
    assert decide([policy], context={"aws:principaltag/team": "RED"}) is D


def test_variables_in_condition_values() -> None:
    policy = allow_if({"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}})
    assert decide([policy], context={"aws:ResourceTag/owner": "alice"}) is A
    assert decide([policy], context={"aws:ResourceTag/owner": "bob"}) is D
    arn = allow_if({"ArnEquals": {"aws:SourceArn": "arn:aws:iam::*:user/${aws:username}"}})
    assert decide([arn], context={"aws:SourceArn": "arn:aws:iam::1:user/alice"}) is A
    assert decide([arn], context={"aws:SourceArn": "arn:aws:iam::1:user/bob"}) is D


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"StringEqualz": {"k": "v"}}, "unknown condition operator 'StringEqualz'"),
        ({"ForSomeValues:StringEquals": {"k": "v"}}, "unknown set operator"),
        ({"NullIfExists": {"k": "true"}}, "unknown condition operator"),
        ({"NumericLessThan": {"k": "ten"}}, "'ten' is not a number"),
        ({"DateLessThan": {"k": "yesterday"}}, "not an ISO 8601 date"),
        ({"IpAddress": {"k": "300.1.1.1/8"}}, "not an IP address"),
        ({"Bool": {"k": "yes"}}, 'Bool needs "true" or "false"'),
        ({"BinaryEquals": {"k": "not base64!"}}, "not base-64"),
        ({"StringEquals": {"k": {"nested": 1}}}, "values must be strings"),
        ({"StringEquals": {"k": []}}, "needs at least one value"),
        ({"StringEquals": "k"}, "must be an object of condition key"),
    ],
)
def test_bad_conditions_are_errors_naming_the_place(
    condition: dict[str, Any], message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        allow_if(condition)
    assert message in caught.value.what
    assert "Statement[0].Condition" in caught.value.what


def test_old_version_does_not_substitute_in_conditions() -> None:
    from .helpers import policy

    old = policy(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/owner": "${aws:username}"}},
        },
        version="2008-10-17",
    )
    assert decide([old], context={"aws:PrincipalTag/owner": "alice"}) is D
    assert decide([old], context={"aws:PrincipalTag/owner": "${aws:username}"}) is A


def test_policies_are_hashable_and_compare_by_content() -> None:
    first = allow_if({"Bool": {"aws:SecureTransport": "true"}})
    second = allow_if({"Bool": {"aws:SecureTransport": "true"}})
    assert hash(first) == hash(first)
    assert first.statements[0].conditions == second.statements[0].conditions
