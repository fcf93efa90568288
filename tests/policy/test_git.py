"""The git verdicts, MFA checks and findings on the shared fixture policies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from onboard.policy import Policy, PolicyError, parse_policy
from onboard.policy.git import GitTarget, check_git, git_request_context, needs_mfa

TARGET = GitTarget()


def load(policies_dir: Path, name: str) -> Policy:
    return parse_policy((policies_dir / name).read_text(), name)


@pytest.fixture
def ok(policies_dir: Path) -> Policy:
    return load(policies_dir, "force-mfa-codecommit-ok.json")


@pytest.fixture
def breaks(policies_dir: Path) -> Policy:
    return load(policies_dir, "force-mfa-breaks-git.json")


@pytest.fixture
def grants(policies_dir: Path) -> Policy:
    return load(policies_dir, "codecommit-developer-grants.json")


def statuses(report: Any) -> dict[str, str]:
    return {verdict.method: verdict.status for verdict in report.methods}


def test_target_defaults_and_arns() -> None:
    target = GitTarget(account="111122223333", user="dev", region="eu-west-1", repo="app")
    assert target.user_arn == "arn:aws:iam::111122223333:user/dev"
    assert target.repo_arn == "arn:aws:codecommit:eu-west-1:111122223333:app"
    assert (TARGET.account, TARGET.user, TARGET.region, TARGET.repo) == (
        "123456789012",
        "new-hire",
        "us-east-1",
        "my-repo",
    )


def test_request_context_per_method() -> None:
    for method in ("https-git-credentials", "ssh"):
        for mfa in (True, False):
            assert "aws:MultiFactorAuthPresent" not in git_request_context(
                method, mfa=mfa, region="us-east-1"
            )
    assert "aws:MultiFactorAuthPresent" not in git_request_context(
        "https-helper", mfa=False, region="r"
    )
    assert (
        git_request_context("https-helper", mfa=True, region="r")["aws:MultiFactorAuthPresent"]
        == "true"
    )
    assert git_request_context("grc", mfa=True, region="r")["aws:MultiFactorAuthPresent"] == "true"
    assert (
        git_request_context("grc", mfa=False, region="r")["aws:MultiFactorAuthPresent"] == "false"
    )
    assert (
        git_request_context("ssh", mfa=False, region="eu-west-1")["aws:RequestedRegion"]
        == "eu-west-1"
    )
    with pytest.raises(PolicyError, match="unknown git method"):
        git_request_context("ftp", mfa=False, region="r")


def test_fixed_policy_with_grants_git_works_with_codecommit_finding(
    ok: Policy, grants: Policy
) -> None:
    report = check_git([ok, grants], TARGET, complete=True)
    assert statuses(report) == dict.fromkeys(
        ("https-helper", "https-git-credentials", "ssh", "grc"), "works"
    )
    assert report.mfa_enforced
    assert report.exit_code == 0
    assert "codecommit-all-exempt" in report.finding_ids()
    assert "kms-via-service-not-exempt" not in report.finding_ids()


def test_breaking_policy_with_grants_denies_every_long_term_method(
    breaks: Policy, grants: Policy
) -> None:
    report = check_git([breaks, grants], TARGET, complete=True)
    assert statuses(report) == {
        "https-helper": "denied",
        "https-git-credentials": "denied",
        "ssh": "denied",
        "grc": "works",
    }
    for method in ("https-helper", "https-git-credentials", "ssh"):
        deciding = report.method(method).deciding
        assert {m.sid for m in deciding} == {"DenyAllExceptListedIfNoMFA"}
        assert "DenyAllExceptListedIfNoMFA" in report.method(method).message
    assert report.exit_code == 1
    assert {"codecommit-not-exempt", "kms-via-service-not-exempt"} <= set(report.finding_ids())
    assert report.findings[0].severity == "error"


def test_mfa_policy_alone_not_granted_is_a_note(ok: Policy, breaks: Policy) -> None:
    report = check_git([ok], TARGET)
    assert set(statuses(report).values()) == {"not-granted"}
    assert "AWSCodeCommitPowerUser" in report.method("ssh").message
    assert report.exit_code == 0
    assert check_git([ok], TARGET, complete=True).exit_code == 1
    assert check_git([breaks], TARGET).exit_code == 1


def test_kms_denied_alone_is_found(ok: Policy) -> None:
    document = copy.deepcopy(dict(ok.document))
    del document["Statement"][3]["Condition"]["Null"]
    report = check_git([parse_policy(document, "no-null")], TARGET)
    assert report.method("ssh").status == "denied"
    assert "kms:Decrypt" in report.method("ssh").message
    assert "codecommit:GitPull" not in report.method("ssh").message
    assert "kms-via-service-not-exempt" in report.finding_ids()
    assert "codecommit-not-exempt" not in report.finding_ids()


def test_mfa_checks_cover_absent_and_false(ok: Policy) -> None:
    report = check_git([ok], TARGET)
    variants = {(check.action, check.variant) for check in report.mfa}
    assert ("iam:CreateAccessKey", "key-absent") in variants
    assert ("kms:Decrypt", "key-false") in variants
    assert ("s3:ListAllMyBuckets", "key-absent") in variants
    assert all(check.enforced for check in report.mfa)


def test_plain_bool_leaves_access_keys_without_mfa(ok: Policy, grants: Policy) -> None:
    document = copy.deepcopy(dict(ok.document))
    condition = document["Statement"][3]["Condition"]
    condition["Bool"] = condition.pop("BoolIfExists")
    report = check_git([parse_policy(document, "bool"), grants], TARGET, complete=True)
    failed = {(c.action, c.variant) for c in report.mfa if not c.enforced}
    assert ("iam:CreateAccessKey", "key-absent") in failed
    assert ("iam:CreateAccessKey", "key-false") not in failed
    assert report.exit_code == 2
    assert "mfa-key-absent-not-denied" in report.finding_ids()


def test_grants_alone_do_not_enforce_mfa(grants: Policy) -> None:
    report = check_git([grants], TARGET)
    assert report.exit_code == 2
    assert "no-mfa-deny" in report.finding_ids()


def test_enrollment_findings(ok: Policy) -> None:
    ids = check_git([ok], TARGET).finding_ids()
    for expected in (
        "mfa-device-pinned-to-username",
        "delete-virtual-mfa-needs-mfa",
        "ssh-key-upload-needs-mfa",
        "git-credentials-need-mfa",
    ):
        assert expected in ids
    # the current AWS example allows mfa/* and drops the delete: neither finding
    document = copy.deepcopy(dict(ok.document))
    document["Statement"][1]["Resource"] = "arn:aws:iam::*:mfa/*"
    document["Statement"][3]["NotAction"].append("iam:DeleteVirtualMFADevice")
    ids = check_git([parse_policy(document, "current")], TARGET).finding_ids()
    assert "mfa-device-pinned-to-username" not in ids
    assert "delete-virtual-mfa-needs-mfa" not in ids


def test_needs_mfa(ok: Policy, grants: Policy) -> None:
    user = TARGET.user_arn
    assert needs_mfa([ok, grants], TARGET, "iam:UploadSSHPublicKey", user)
    assert needs_mfa([ok], TARGET, "iam:UploadSSHPublicKey", user)  # the MFA policy alone
    assert not needs_mfa([ok, grants], TARGET, "iam:EnableMFADevice", user)  # exempt
    assert not needs_mfa([ok, grants], TARGET, "codecommit:GitPull", TARGET.repo_arn)
    assert not needs_mfa([grants], TARGET, "iam:UploadSSHPublicKey", user)  # nothing enforces MFA


def test_report_json_and_text(breaks: Policy, grants: Policy) -> None:
    report = check_git([breaks, grants], TARGET, complete=True)
    data = json.loads(json.dumps(report.to_json()))
    assert data["exitCode"] == 1 and data["gitWorks"] is False and data["mfaEnforced"] is True
    assert [m["method"] for m in data["methods"]] == [
        "https-helper",
        "https-git-credentials",
        "ssh",
        "grc",
    ]
    assert data["methods"][0]["deciding"][0]["sid"] == "DenyAllExceptListedIfNoMFA"
    text = report.render_text()
    assert "[DENY] SSH" in text and "git is denied (exit 1)" in text
    assert "kms-via-service-not-exempt" in text


# AWS's current example ("allows MFA-authenticated IAM users to manage their own MFA
# device"): mfa/* instead of mfa/${aws:username}, GetMFADevice added, no delete.
CURRENT_AWS_EXAMPLE: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowViewAccountInfo",
            "Effect": "Allow",
            "Action": "iam:ListVirtualMFADevices",
            "Resource": "*",
        },
        {
            "Sid": "AllowManageOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": "iam:CreateVirtualMFADevice",
            "Resource": "arn:aws:iam::*:mfa/*",
        },
        {
            "Sid": "AllowManageOwnUserMFA",
            "Effect": "Allow",
            "Action": [
                "iam:DeactivateMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:GetMFADevice",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def test_current_aws_example_breaks_git_too_and_fix_repairs_it() -> None:
    current = parse_policy(CURRENT_AWS_EXAMPLE, "aws-current.json")
    report = check_git([current], TARGET)
    assert report.exit_code == 1
    ids = report.finding_ids()
    assert "codecommit-not-exempt" in ids and "kms-via-service-not-exempt" in ids
    assert "mfa-device-pinned-to-username" not in ids  # mfa/* : any device name
    assert not needs_mfa([current], TARGET, "iam:CreateVirtualMFADevice", TARGET.mfa_device_arn)
    assert needs_mfa([current], TARGET, "iam:UploadSSHPublicKey", TARGET.user_arn)

    from onboard.policy.fix import fix_policy

    fixed = fix_policy(current, least_privilege=True)
    assert fixed.report.exit_code == 0
    assert check_git([parse_policy(fixed.patched, "fixed")], TARGET).exit_code == 0
