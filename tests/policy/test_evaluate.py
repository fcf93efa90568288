"""Decisions: explicit deny, boundaries, SCPs, resource policies, and explanations."""

from __future__ import annotations

from onboard.policy import Decision, Evaluation, Request, evaluate, parse_policy

from .helpers import USER, decide, policy

A, N, E = Decision.ALLOWED, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY
ALLOW_S3 = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
DENY_DELETE = {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}


def test_no_statement_is_implicit_deny_and_allow_allows() -> None:
    assert decide([policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})]) is N
    assert decide([policy(ALLOW_S3)]) is A
    assert decide([]) is N


def test_explicit_deny_wins_in_any_policy_and_any_order() -> None:
    deny = policy(DENY_DELETE, name="deny")
    allow = policy(ALLOW_S3, name="allow")
    for policies in ([allow, deny], [deny, allow], [policy(ALLOW_S3, DENY_DELETE)]):
        assert decide(policies, action="s3:DeleteObject") is E
        assert decide(policies, action="s3:GetObject") is A


def test_not_action_and_not_resource() -> None:
    deny_all_but_iam = policy(
        ALLOW_S3, {"Effect": "Deny", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::public/*"}
    )
    assert decide([deny_all_but_iam], resource="arn:aws:s3:::private/x") is E
    assert decide([deny_all_but_iam], resource="arn:aws:s3:::public/x") is A
    allow_iam_only = policy({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"})
    assert decide([allow_iam_only], action="iam:GetUser") is A
    assert decide([allow_iam_only], action="s3:GetObject") is N


def test_permissions_boundary_must_also_allow() -> None:
    identity = policy(ALLOW_S3, {"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    boundary = parse_policy({"Statement": ALLOW_S3}, "boundary", kind="boundary")
    assert decide([identity], boundaries=[boundary]) is A
    assert decide([identity], action="iam:CreateUser", boundaries=[boundary]) is N
    # the boundary alone grants nothing
    assert decide([], boundaries=[boundary]) is N
    deny_boundary = parse_policy({"Statement": [ALLOW_S3, DENY_DELETE]}, "b2", kind="boundary")
    assert decide([identity], action="s3:DeleteObject", boundaries=[deny_boundary]) is E


def test_every_scp_must_allow() -> None:
    identity = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    full = parse_policy(
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, "root", kind="scp"
    )
    s3_only = parse_policy({"Statement": ALLOW_S3}, "ou", kind="scp")
    assert decide([identity], scps=[full, s3_only]) is A
    assert decide([identity], action="ec2:RunInstances", scps=[full, s3_only]) is N
    result = evaluate(Request("ec2:RunInstances", "*", USER), [identity], scps=[full, s3_only])
    assert "service control policy 'ou'" in result.explanation
    # an SCP never grants on its own
    assert decide([], scps=[full]) is N


def test_same_account_resource_policy() -> None:
    bucket = "arn:aws:s3:::shared/report"
    direct = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": USER},
                "Action": "s3:GetObject",
                "Resource": bucket,
            }
        },
        "bucket-policy",
        kind="resource",
    )
    account = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "s3:GetObject",
                "Resource": bucket,
            }
        },
        "account-policy",
        kind="resource",
    )
    nothing = policy({"Effect": "Allow", "Action": "ec2:*", "Resource": "*"})
    # naming the user is enough on its own, even past a boundary's implicit deny
    boundary = parse_policy(
        {"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}, "b", kind="boundary"
    )
    assert decide([nothing], resource=bucket, resource_policy=direct) is A
    assert decide([nothing], resource=bucket, resource_policy=direct, boundaries=[boundary]) is A
    # naming only the account delegates to identity policies
    assert decide([nothing], resource=bucket, resource_policy=account) is N
    assert decide([policy(ALLOW_S3)], resource=bucket, resource_policy=account) is A
    # another principal is not named
    assert (
        decide(
            [nothing],
            resource=bucket,
            resource_policy=direct,
            principal="arn:aws:iam::123456789012:user/bob",
        )
        is N
    )
    # an explicit deny in the resource policy wins over the identity allow
    deny = parse_policy(
        {"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}},
        "deny-all",
        kind="resource",
    )
    result = evaluate(
        Request("s3:GetObject", bucket, USER), [policy(ALLOW_S3)], resource_policy=deny
    )
    assert result.decision is E
    assert "resource-based policy" in result.explanation


def test_explicit_deny_in_scp_wins() -> None:
    identity = policy(ALLOW_S3)
    scp = parse_policy(
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, DENY_DELETE]},
        "scp",
        kind="scp",
    )
    assert decide([identity], action="s3:DeleteObject", scps=[scp]) is E


def test_explanation_names_policy_statement_sid_and_condition() -> None:
    mfa = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                ALLOW_S3,
                {
                    "Sid": "DenyWithoutMFA",
                    "Effect": "Deny",
                    "NotAction": "iam:*",
                    "Resource": "*",
                    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                },
            ],
        },
        "mfa-policy",
    )
    denied = evaluate(Request("s3:GetObject", "*", USER, {}), [mfa])
    assert denied.decision is E and not denied.allowed
    [matched] = denied.matched
    assert (matched.policy_name, matched.index, matched.sid, matched.effect) == (
        "mfa-policy",
        1,
        "DenyWithoutMFA",
        "Deny",
    )
    assert (
        "BoolIfExists aws:MultiFactorAuthPresent" in matched.reason and "absent" in matched.reason
    )
    assert "mfa-policy Statement[1] (DenyWithoutMFA)" in denied.explanation
    assert denied.missing_context == ("aws:MultiFactorAuthPresent",)

    allowed = evaluate(
        Request("s3:GetObject", "*", USER, {"aws:MultiFactorAuthPresent": "true"}), [mfa]
    )
    assert allowed.allowed
    assert [m.index for m in allowed.matched] == [0]
    assert allowed.missing_context == ()


def test_implicit_deny_explains_statements_whose_condition_failed() -> None:
    tagged = policy(
        {
            "Sid": "RedOnly",
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}},
        }
    )
    result = evaluate(
        Request("ec2:RunInstances", "*", USER, {"aws:PrincipalTag/team": "blue"}), [tagged]
    )
    assert result.decision is N
    assert [m.sid for m in result.matched] == ["RedOnly"]
    assert "StringEquals aws:PrincipalTag/team" in result.matched[0].reason
    assert "'blue'" in result.matched[0].reason and "-> false" in result.matched[0].reason
    assert "no identity-based policy allows ec2:RunInstances" in result.explanation


def test_missing_context_lists_absent_keys_of_relevant_statements() -> None:
    relevant = policy(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}/*",
        },
        {
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
        },
    )
    result = evaluate(Request("s3:GetObject", "arn:aws:s3:::b/red/x", USER, {}), [relevant])
    assert result.missing_context == ("aws:principaltag/team",)
    assert result.decision is N


def test_allowed_explanation_says_why_a_deny_did_not_apply() -> None:
    mfa = policy(
        ALLOW_S3,
        {
            "Sid": "NeedMFA",
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    )
    result = evaluate(
        Request("s3:GetObject", "*", USER, {"aws:MultiFactorAuthPresent": "true"}), [mfa]
    )
    assert result.allowed
    assert "not denied by p Statement[1] (NeedMFA)" in result.explanation
    assert "request has 'true' -> false" in result.explanation


def test_principal_keys_for_users_roles_and_root() -> None:
    from onboard.policy.request import principal_keys

    assert principal_keys("arn:aws:iam::111122223333:user/team/bob") == {
        "aws:principalaccount": "111122223333",
        "aws:principalarn": "arn:aws:iam::111122223333:user/team/bob",
        "aws:principaltype": "User",
        "aws:username": "bob",
    }
    role = principal_keys("arn:aws:sts::111122223333:assumed-role/Dev/session-1")
    assert role["aws:principalarn"] == "arn:aws:iam::111122223333:role/Dev"
    assert role["aws:principaltype"] == "AssumedRole" and "aws:username" not in role
    assert principal_keys("arn:aws:iam::111122223333:root")["aws:principaltype"] == "Account"
    assert principal_keys("not-an-arn") == {}


def test_bad_context_values_are_policy_errors() -> None:
    import pytest

    from onboard.policy import PolicyError

    with pytest.raises(PolicyError, match="context key 'k'"):
        evaluate(Request("s3:GetObject", "*", USER, {"k": {"a": 1}}), [policy(ALLOW_S3)])  # type: ignore[dict-item]
    # A list of lists is not a multi-valued key: an error, not a traceback in a matcher.
    like = policy({**ALLOW_S3, "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": "a*"}}})
    for nested in ([["a"]], [{"a": 1}], [None]):
        with pytest.raises(PolicyError, match="context key 'aws:TagKeys'"):
            evaluate(Request("s3:GetObject", "*", USER, {"aws:TagKeys": nested}), [like])  # type: ignore[dict-item]
    # numbers and booleans are read as their JSON text
    allow = policy(
        {
            **ALLOW_S3,
            "Condition": {
                "NumericEquals": {"s3:max-keys": "5"},
                "Bool": {"aws:SecureTransport": "true"},
            },
        }
    )
    assert decide([allow], context={"s3:max-keys": 5, "aws:SecureTransport": True}) is A


def test_evaluations_compare_and_print_with_their_explanation() -> None:
    request = Request("s3:DeleteObject", "*", USER)
    first = evaluate(request, [policy(ALLOW_S3, DENY_DELETE)])
    second = evaluate(Request("s3:DeleteObject", "*", USER), [policy(ALLOW_S3, DENY_DELETE)])
    assert first == second
    assert "is denied by p Statement[1] (NoDelete)" in repr(first)
    built = Evaluation(Decision.ALLOWED, (), (), "by hand")
    assert built.explanation == "by hand" and built.allowed
