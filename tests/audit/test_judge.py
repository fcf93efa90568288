"""The judgment without AWS: SCP levels, per-policy answers vs the engine, per-user policies."""

from __future__ import annotations

import json
from pathlib import Path

from onboard.audit.judge import judge_account
from onboard.audit.model import ALLOWED, DENIED, AccountData, NamedDocument
from onboard.audit.scp import PolicyAnswers, ScpLevels, evaluate_with_scps
from onboard.audit.verdict import JudgeStats
from onboard.aws.models import (
    AuthorizationDetails,
    IamGroupDetail,
    IamUserDetail,
    ManagedPolicyDetail,
)
from onboard.policy import Decision, Request, evaluate, parse_policy
from onboard.policy.git import METHODS

POLICIES = Path(__file__).resolve().parents[2] / "onboard" / "sandbox" / "policies"
ACCOUNT = "111122223333"
ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
S3_ONLY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}
DENY_CC = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "NoCC", "Effect": "Deny", "Action": "codecommit:*", "Resource": "*"}],
}


def _doc(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((POLICIES / name).read_text())
    return loaded


def _account(users: list[IamUserDetail], documents: dict[str, dict[str, object]]) -> AccountData:
    policies = {
        f"arn:aws:iam::{ACCOUNT}:policy/{name}": ManagedPolicyDetail(
            f"arn:aws:iam::{ACCOUNT}:policy/{name}", name, doc
        )
        for name, doc in documents.items()
    }
    group = IamGroupDetail("devs", f"arn:aws:iam::{ACCOUNT}:group/devs", tuple(policies), {})
    return AccountData(ACCOUNT, details=AuthorizationDetails(users, {"devs": group}, policies))


def _user(name: str, inline: dict[str, dict[str, object]] | None = None) -> IamUserDetail:
    return IamUserDetail(
        name, f"arn:aws:iam::{ACCOUNT}:user/{name}", "AIDA", "/", ("devs",), (), inline or {}
    )


def test_scp_levels_need_an_allow_at_each_level_and_any_deny_wins() -> None:
    allow = parse_policy(ALLOW_ALL, "FullAWSAccess", kind="scp")
    deny = parse_policy(DENY_CC, "DenyCodeCommit", kind="scp")
    s3_only = parse_policy(S3_ONLY, "S3Only", kind="scp")
    grants = [parse_policy(_doc("codecommit-developer-grants.json"), "grants")]
    request = Request(
        "codecommit:GitPull", "arn:aws:codecommit:us-east-1:1:r", "arn:aws:iam::1:user/a"
    )
    key = ("pull",)

    def decide(levels: list[list[object]]) -> Decision:
        return evaluate_with_scps(
            request, grants, (), ScpLevels(levels), None, key, PolicyAnswers()
        )[0]  # type: ignore[arg-type]

    assert decide([[allow], [allow]]) is Decision.ALLOWED
    assert decide([[allow], [s3_only]]) is Decision.IMPLICIT_DENY  # that level allows no git
    assert decide([[allow], [deny]]) is Decision.EXPLICIT_DENY
    assert decide([[allow], [allow, deny]]) is Decision.EXPLICIT_DENY
    assert decide([[allow, deny], [allow]]) is Decision.EXPLICIT_DENY
    assert decide([]) is Decision.ALLOWED


def test_per_policy_answers_agree_with_the_engine() -> None:
    policies = [
        parse_policy(_doc(name), name)
        for name in ("force-mfa-breaks-git.json", "codecommit-developer-grants.json")
    ]
    key_policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
            ],
        },
        "key",
        kind="resource",
    )
    answers = PolicyAnswers()
    no_levels = ScpLevels([])
    for action in ("codecommit:GitPull", "kms:Decrypt", "iam:CreateAccessKey", "s3:GetObject"):
        for context in ({}, {"aws:MultiFactorAuthPresent": "true"}, {"kms:ViaService": "x"}):
            for resource_policy in (None, key_policy):
                request = Request(action, "*", "arn:aws:iam::1:user/a", context)
                key = (action, tuple(context.items()), resource_policy is not None)
                mine = evaluate_with_scps(
                    request, policies, (), no_levels, resource_policy, key, answers
                )[0]
                engine = evaluate(request, policies, resource_policy=resource_policy).decision
                assert mine is engine, (action, context, resource_policy)


def test_users_sharing_a_policy_set_are_judged_once() -> None:
    docs = {
        "ForceMFA": _doc("force-mfa-codecommit-ok.json"),
        "Grants": _doc("codecommit-developer-grants.json"),
    }
    users = [_user(f"dev-{n}") for n in range(50)]
    stats = JudgeStats()
    judged = judge_account(_account(users, docs), stats=stats)
    assert stats.policy_sets == 1 and len(judged) == 50
    assert all(set(u.git.values()) == {ALLOWED} for u in judged)
    assert {u.git[m] for u in judged for m in METHODS} == {ALLOWED}


def test_a_policy_that_names_a_user_is_judged_per_user() -> None:
    deny_alice = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NotAlice",
                "Effect": "Deny",
                "Action": "codecommit:*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:username": "alice"}},
            }
        ],
    }
    docs = {"Grants": _doc("codecommit-developer-grants.json"), "NotAlice": deny_alice}
    stats = JudgeStats()
    judged = {
        u.user: u
        for u in judge_account(_account([_user("alice"), _user("bob")], docs), stats=stats)
    }
    assert stats.policy_sets == 2
    assert judged["alice"].git["ssh"] == DENIED
    assert "NotAlice" in judged["alice"].deciding["ssh"]
    assert judged["bob"].git["ssh"] == ALLOWED


def test_an_unreadable_policy_is_reported_not_fatal() -> None:
    docs = {"Broken": {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*"}]}}
    (user,) = judge_account(_account([_user("carol")], docs))
    assert set(user.git.values()) == {"unknown"}
    assert user.deciding["ssh"].startswith("cannot judge:")


def test_scp_levels_from_named_documents_reach_the_judgment() -> None:
    docs = {
        "ForceMFA": _doc("force-mfa-codecommit-ok.json"),
        "Grants": _doc("codecommit-developer-grants.json"),
    }
    data = _account([_user("dave")], docs)
    data.scp_levels = (
        (NamedDocument("root FullAWSAccess", ALLOW_ALL),),
        (NamedDocument("ou S3Only", S3_ONLY),),  # nothing at this level allows git
    )
    (user,) = judge_account(data)
    assert set(user.git.values()) == {DENIED}
    assert user.deciding["ssh"].startswith(
        "no service control policy 'ou S3Only' (SCP level 2 of 2) allows codecommit:GitPull"
    )
    data.scp_levels = ((NamedDocument("root FullAWSAccess", ALLOW_ALL),),) * 2 + (
        (NamedDocument("acct FullAWSAccess", ALLOW_ALL), NamedDocument("acct DenyCC", DENY_CC)),
    )
    (user,) = judge_account(data)
    assert user.deciding["grc"] == "acct DenyCC Statement[0] (NoCC)"


def test_fast_timestamps_read_what_iam_sends() -> None:
    from datetime import UTC, datetime

    from onboard.aws.inventory import fast_timestamp

    assert fast_timestamp("2026-12-03T08:25:46Z") == datetime(2026, 12, 3, 8, 25, 46, tzinfo=UTC)
    assert fast_timestamp("2026-12-03T08:25:46.242714+00:00").microsecond == 242714
    assert fast_timestamp("2026-12-03T08:25:46").tzinfo is not None
    assert fast_timestamp("Thu, 03 Dec 2026 08:25:46 GMT").year == 2026  # botocore's fallback


def test_own_policies_that_change_nothing_share_a_verdict_others_do_not() -> None:
    docs = {
        "ForceMFA": _doc("force-mfa-codecommit-ok.json"),
        "Grants": _doc("codecommit-developer-grants.json"),
    }
    harmless = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
        ],
    }
    other_repo = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "codecommit:GitPush",
                "Resource": "arn:aws:codecommit:us-east-1:111122223333:other-repo",
            }
        ],
    }
    no_push = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoPush", "Effect": "Deny", "Action": "codecommit:GitPush", "Resource": "*"}
        ],
    }
    users = [
        _user("plain"),
        _user("harmless", {"Mine": harmless}),
        _user("other", {"Mine": other_repo}),
        _user("blocked", {"Mine": no_push}),
    ]
    stats = JudgeStats()
    judged = {u.user: u for u in judge_account(_account(users, docs), stats=stats)}
    assert stats.policy_sets == 4  # four different sets of documents...
    assert stats.verdicts == 2  # ...but two different behaviours to judge
    for name in ("plain", "harmless", "other"):
        assert set(judged[name].git.values()) == {ALLOWED}, name
    assert set(judged["blocked"].git.values()) == {DENIED}
    assert "NoPush" in judged["blocked"].deciding["ssh"]


def test_a_user_with_an_iam_path_is_judged_with_the_real_arn() -> None:
    own_keys_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OwnKeys",
                "Effect": "Allow",
                "Action": "iam:CreateAccessKey",
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            }
        ],
    }
    docs = {"OwnKeys": own_keys_only}
    plain = _user("erin")
    pathed = IamUserDetail(
        "frank", f"arn:aws:iam::{ACCOUNT}:user/team/frank", "AIDA", "/team/", ("devs",), (), {}
    )
    judged = {u.user: u for u in judge_account(_account([plain, pathed], docs))}
    # Same policy, but `user/${aws:username}` is erin's ARN and not frank's (user/team/frank).
    assert judged["erin"].mfa_not_enforced_for == ("iam:CreateAccessKey",)
    assert judged["frank"].mfa_enforced


def test_an_inline_deny_gets_the_inline_fix() -> None:
    from onboard.audit.findings import account_findings

    no_git = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoGit", "Effect": "Deny", "Action": "codecommit:Git*", "Resource": "*"}
        ],
    }
    docs = {"Grants": _doc("codecommit-developer-grants.json")}
    data = _account([_user("gina", {"NoGit": no_git})], docs)
    audits = judge_account(data)
    (denied,) = [f for f in account_findings(data, audits) if f.id == "git-denied"]
    assert denied.users == ("gina",)
    assert "user/gina inline policy NoGit Statement[0] (NoGit)" in denied.message
    assert denied.fix.startswith("`onboard policy fix` the inline policy and put it back: ")
    assert "aws iam get-user-policy --user-name gina --policy-name NoGit" in denied.fix
    assert "aws iam put-user-policy --user-name gina --policy-name NoGit" in denied.fix
