"""`fix_policy`: the seed's patch, the least-privilege patch, and its own re-check."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from onboard.policy import PolicyError, parse_policy
from onboard.policy.fix import PolicyFixError, fix_policy
from onboard.policy.git import GitTarget, check_git


def load(policies_dir: Path, name: str) -> Any:
    return parse_policy((policies_dir / name).read_text(), name)


def test_default_patch_is_the_seed_articles_fix(policies_dir: Path) -> None:
    broken = load(policies_dir, "force-mfa-breaks-git.json")
    fixed = load(policies_dir, "force-mfa-codecommit-ok.json")
    result = fix_policy(broken)
    # byte for byte the article's fixed policy, as JSON
    assert result.patched == fixed.document
    assert result.report.exit_code == 0
    assert '+        "codecommit:*"' in result.diff
    assert result.diff.startswith("--- force-mfa-breaks-git.json")
    assert len(result.changes) == 2


def test_least_privilege_exempts_only_git(policies_dir: Path) -> None:
    for name in ("force-mfa-breaks-git.json", "force-mfa-codecommit-ok.json"):
        result = fix_policy(load(policies_dir, name), least_privilege=True)
        not_action = result.patched["Statement"][3]["NotAction"]
        assert "codecommit:*" not in not_action
        assert {"codecommit:GitPull", "codecommit:GitPush"} <= set(not_action)
        patched = parse_policy(result.patched, "patched")
        grants = load(policies_dir, "codecommit-developer-grants.json")
        report = check_git([patched, grants], GitTarget(), complete=True)
        assert report.exit_code == 0
        assert "codecommit-all-exempt" not in report.finding_ids()


def test_fix_is_idempotent(policies_dir: Path) -> None:
    once = fix_policy(load(policies_dir, "force-mfa-breaks-git.json"))
    twice = fix_policy(parse_policy(once.patched, "again"))
    assert twice.patched == once.patched
    assert twice.changes == () and twice.diff == ""


def test_plain_bool_becomes_if_exists(policies_dir: Path) -> None:
    document = copy.deepcopy(dict(load(policies_dir, "force-mfa-breaks-git.json").document))
    condition = document["Statement"][3]["Condition"]
    condition["Bool"] = condition.pop("BoolIfExists")
    result = fix_policy(parse_policy(document, "bool.json"))
    patched_condition = result.patched["Statement"][3]["Condition"]
    assert "Bool" not in patched_condition
    assert patched_condition["BoolIfExists"] == {"aws:MultiFactorAuthPresent": "false"}
    assert result.report.mfa_enforced


def test_deny_star_becomes_not_action() -> None:
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        },
        "deny-star",
    )
    result = fix_policy(policy, least_privilege=True)
    statement = result.patched["Statement"]
    assert "Action" not in statement
    assert statement["NotAction"] == ["codecommit:GitPull", "codecommit:GitPush"]


def test_refuses_what_it_cannot_fix() -> None:
    no_mfa = parse_policy(
        {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}, "grants"
    )
    with pytest.raises(
        PolicyError, match="no Deny statement has a condition on aws:MultiFactorAuthPresent"
    ):
        fix_policy(no_mfa)
    listed = parse_policy(
        {
            "Statement": {
                "Effect": "Deny",
                "Action": ["s3:*", "codecommit:*"],
                "Resource": "*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        },
        "listed",
    )
    with pytest.raises(PolicyError, match="lists its actions in Action"):
        fix_policy(listed)


MFA_DENY_EXCEPT_IAM = {
    "Effect": "Deny",
    "NotAction": "iam:*",
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}


@pytest.mark.parametrize(
    ("statements", "code", "why"),
    [
        # A second, unconditional deny on git: the MFA patch cannot help (exit 1, git denied).
        (
            [
                MFA_DENY_EXCEPT_IAM,
                {"Sid": "NoGit", "Effect": "Deny", "Action": "codecommit:Git*", "Resource": "*"},
            ],
            1,
            "codecommit:GitPull",
        ),
        # The deny exempts all of S3: MFA is not enforced, patched or not (exit 2).
        (
            [{**MFA_DENY_EXCEPT_IAM, "NotAction": ["iam:*", "s3:*"]}],
            2,
            "without MFA (MFA key absent) is ImplicitlyDenied: nothing denies it",
        ),
    ],
)
def test_never_returns_a_patch_that_fails_its_check(
    statements: list[dict[str, object]], code: int, why: str
) -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": statements}, "hostile")
    with pytest.raises(PolicyFixError) as caught:
        fix_policy(policy)
    assert caught.value.exit_code == code  # what `policy check` would say of the patch
    assert "does not pass its own check" in caught.value.what
    assert why in caught.value.why
