"""AWS semantics the engine gained: multivalued keys, SCP levels, no identity policy, MFA age."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from onboard.policy import Decision, Policy, PolicyError, Request, evaluate, parse_policy
from onboard.policy.git import GitTarget, check_git

TARGET = GitTarget()
USER = "arn:aws:iam::123456789012:user/alice"


def load(policies_dir: Path, name: str) -> Policy:
    return parse_policy((policies_dir / name).read_text(), name)


def test_finding_for_a_single_valued_operator_on_a_multivalued_key(policies_dir: Path) -> None:
    ok = load(policies_dir, "force-mfa-codecommit-ok.json")
    assert "multivalued-key-single-operator" not in check_git([ok], TARGET).finding_ids()
    document: dict[str, Any] = copy.deepcopy(dict(ok.document))
    document["Statement"].append(
        {
            "Sid": "NoSecretTags",
            "Effect": "Deny",
            "Action": "ec2:CreateTags",
            "Resource": "*",
            "Condition": {"StringLike": {"aws:TagKeys": "secret*"}},
        }
    )
    report = check_git([parse_policy(document, "tags.json")], TARGET)
    finding = next(f for f in report.findings if f.id == "multivalued-key-single-operator")
    assert finding.severity == "warning"
    assert "tags.json Statement[4] (NoSecretTags): StringLike aws:TagKeys" in finding.message
    assert "ForAnyValue:" in finding.fix
    document["Statement"][-1]["Condition"] = {"ForAnyValue:StringLike": {"aws:TagKeys": "secret*"}}
    fixed = check_git([parse_policy(document, "tags.json")], TARGET)
    assert "multivalued-key-single-operator" not in fixed.finding_ids()


def scp(name: str, *statements: dict[str, Any]) -> Policy:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name, kind="scp")


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
FULL_ACCESS = scp("FullAWSAccess", ALLOW_ALL)
DENY_EC2 = scp("DenyEc2", {"Sid": "NoEc2", "Effect": "Deny", "Action": "ec2:*", "Resource": "*"})
S3_ONLY = scp("S3Only", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
ADMIN = parse_policy({"Version": "2012-10-17", "Statement": [ALLOW_ALL]}, "admin")


def run(action: str, scps: Any, identity: list[Policy] | None = None) -> Any:
    request = Request(action, "*", USER, {})
    return evaluate(request, [ADMIN] if identity is None else identity, scps=scps)


def test_one_level_with_full_access_and_a_restricting_scp() -> None:
    level = [[FULL_ACCESS, DENY_EC2]]
    assert run("s3:GetObject", level).decision is Decision.ALLOWED
    denied = run("ec2:RunInstances", level)
    assert denied.decision is Decision.EXPLICIT_DENY
    assert denied.matched[0].policy_name == "DenyEc2" and denied.matched[0].sid == "NoEc2"
    # the same two as a flat list are two levels: DenyEc2 alone allows nothing
    flat = run("s3:GetObject", [FULL_ACCESS, DENY_EC2])
    assert flat.decision is Decision.IMPLICIT_DENY
    assert "service control policy 'DenyEc2' (SCP level 2 of 2)" in flat.explanation


def test_two_levels_where_the_lower_one_lacks_an_allow() -> None:
    levels = [[FULL_ACCESS], [S3_ONLY]]
    assert run("s3:PutObject", levels).decision is Decision.ALLOWED
    result = run("iam:CreateUser", levels)
    assert result.decision is Decision.IMPLICIT_DENY
    assert "SCP level 2 of 2" in result.explanation and "'S3Only'" in result.explanation
    # at one level, one allowing SCP is enough
    assert run("iam:CreateUser", [[S3_ONLY, FULL_ACCESS]]).decision is Decision.ALLOWED
    several = run("iam:CreateUser", [[S3_ONLY, DENY_EC2], FULL_ACCESS])
    assert "SCP level 1 of 2 (root) (attached there: 'S3Only', 'DenyEc2')" in several.explanation


def test_a_deny_at_any_level_wins() -> None:
    for levels in (
        [[FULL_ACCESS, DENY_EC2], [FULL_ACCESS], [FULL_ACCESS]],
        [[FULL_ACCESS], [FULL_ACCESS, DENY_EC2], [FULL_ACCESS]],
        [[FULL_ACCESS], [FULL_ACCESS], [DENY_EC2, FULL_ACCESS]],
    ):
        result = run("ec2:RunInstances", levels)
        assert result.decision is Decision.EXPLICIT_DENY
        number = next(i for i, level in enumerate(levels, 1) if DENY_EC2 in level)
        assert f"(SCP level {number} of 3" in result.explanation


def test_an_empty_scp_level_is_an_error() -> None:
    with pytest.raises(PolicyError, match="SCP level 2 is empty"):
        run("s3:GetObject", [[FULL_ACCESS], []])


def test_no_identity_policy_is_an_implicit_deny_with_the_reason() -> None:
    for scps in ((), [[FULL_ACCESS]]):
        result = run("s3:GetObject", scps, identity=[])
        assert result.decision is Decision.IMPLICIT_DENY
        assert "no identity-based policy (none is attached" in result.explanation
    # with an explicit deny somewhere, the deny is the answer
    assert run("ec2:RunInstances", [DENY_EC2], identity=[]).decision is Decision.EXPLICIT_DENY
