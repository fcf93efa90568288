"""`policy check` with SCP levels, no identity policy, and the MFA session's age range."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from onboard.policy import PolicyError, parse_policy
from onboard.policy.git import GitTarget, age_breakpoints, check_git

from .test_cli import GRANTS, OK, run

AGE_LIMIT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "FreshMfaOnly",
            "Effect": "Deny",
            "Action": "codecommit:*",
            "Resource": "*",
            "Condition": {
                "NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "3600"},
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
            },
        }
    ],
}
FULL_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}
NO_CODECOMMIT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoGit", "Effect": "Deny", "Action": "codecommit:*", "Resource": "*"}],
}
ONLY_IAM: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "OnlyIam", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
}


def write(folder: Path, name: str, document: dict[str, Any]) -> str:
    path = folder / name
    path.write_text(json.dumps(document))
    return str(path)


def test_git_remote_codecommit_is_judged_over_the_whole_session(policies_dir: Path) -> None:
    ok = parse_policy((policies_dir / OK).read_text(), "ok")
    grants = parse_policy((policies_dir / GRANTS).read_text(), "grants")
    limit = parse_policy(AGE_LIMIT, "age.json")
    twelve_hours = check_git([ok, grants, limit], GitTarget())
    grc = twelve_hours.method("grc")
    assert (grc.status, grc.works_until) == ("denied", 3601)
    assert "works until the MFA session is 3,601 s old" in grc.message
    assert "ask for at most 3,600 s" in grc.message
    assert twelve_hours.exit_code == 1
    assert twelve_hours.method("ssh").status == "works"  # no MFA session: no age
    one_hour = check_git([ok, grants, limit], GitTarget(), mfa_session_duration=3600)
    assert (one_hour.method("grc").status, one_hour.exit_code) == ("works", 0)
    assert one_hour.to_json()["methods"][3]["worksUntil"] is None
    with pytest.raises(PolicyError, match="900 to 129,600"):
        check_git([ok], GitTarget(), mfa_session_duration=60)


def test_age_breakpoints_bracket_every_limit() -> None:
    lte = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": ["900.5"]}},
            }
        },
        "lte",
    )
    assert age_breakpoints([lte], 1000) == [899, 900, 901, 902, 1000]
    assert age_breakpoints([lte], 100) == [100]


def test_cli_mfa_session_duration(
    capsys: pytest.CaptureFixture[str], policies_dir: Path, tmp_path: Path
) -> None:
    files = [
        str(policies_dir / OK),
        str(policies_dir / GRANTS),
        write(tmp_path, "a.json", AGE_LIMIT),
    ]
    code, out, _ = run(capsys, "policy", "check", *files)
    assert code == 1 and "works until the MFA session is 3,601 s old" in out
    code, out, _ = run(capsys, "policy", "check", *files, "--mfa-session-duration", "3600")
    assert code == 0 and "MFA sessions last 3,600 s" in out
    code, _, err = run(capsys, "policy", "check", *files, "--mfa-session-duration", "99")
    assert code == 3 and "--mfa-session-duration: 99 is outside" in err


def test_cli_scp_levels(
    capsys: pytest.CaptureFixture[str], policies_dir: Path, tmp_path: Path
) -> None:
    ok, grants = str(policies_dir / OK), str(policies_dir / GRANTS)
    full = write(tmp_path, "full.json", FULL_ACCESS)
    deny = write(tmp_path, "deny.json", NO_CODECOMMIT)
    iam = write(tmp_path, "iam.json", ONLY_IAM)
    # FullAWSAccess and a restricting SCP on one level: the deny stops git.
    code, out, _ = run(
        capsys, "policy", "check", ok, grants, "--scp-level", f"{full},{deny}", "--json"
    )
    report = json.loads(out)
    assert code == 1 and report["scps"] == [[full, deny]]
    assert report["methods"][2]["deciding"][0]["policy"] == deny
    # Root allows all, the next level only IAM: git is not granted there.
    code, out, _ = run(
        capsys, "policy", "check", ok, grants, "--scp", full, "--scp", iam, "--complete"
    )
    assert code == 1 and "SCPs by level (root first): " in out
    assert "not granted" in out
    code, out, _ = run(
        capsys, "policy", "check", ok, grants, "--scp", full, "--scp-level", f"{iam},{full}"
    )
    assert code == 0, out


def test_cli_without_identity_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    full = write(tmp_path, "full.json", FULL_ACCESS)
    code, out, _ = run(capsys, "policy", "check", "--scp", full, "--complete", "--json")
    report = json.loads(out)
    assert code == 1 and report["policies"] == []
    request = report["methods"][0]["requests"][0]
    assert request["decision"] == "ImplicitlyDenied"
    assert "none is attached" in request["explanation"]
    code, _, err = run(capsys, "policy", "check")
    assert code == 3 and "give at least one POLICY.json" in err
