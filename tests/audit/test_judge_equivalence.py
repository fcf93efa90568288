"""The shared, cached judgment equals a plain per-user evaluation with the engine.

`judge_account` shares work across users (policy sets, per-policy answers,
behaviours, outcomes by request and answers). Here randomized accounts are
judged both ways: the audit's way, and per user from scratch (every policy
compiled afresh, every request of every method and MFA sample evaluated on the
user's whole set by the engine, nothing cached across users). Both must give
the same verdicts, deciding statements and MFA enforcement for every user.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onboard.audit.judge import judge_account, user_documents
from onboard.audit.model import ALLOWED, DENIED, MFA_ONLY, AccountData, NamedDocument
from onboard.audit.scp import ScpLevels, evaluate_with_scps
from onboard.audit.verdict import MFA_CAPABLE, UserTarget, _failing, _labels, _Outcome
from onboard.aws.models import (
    AuthorizationDetails,
    IamGroupDetail,
    IamUserDetail,
    ManagedPolicyDetail,
)
from onboard.policy import Decision, Policy, Request, evaluate, parse_policy
from onboard.policy.git import (
    GIT_ACTIONS,
    KMS_ACTIONS,
    METHODS,
    MFA_SAMPLES,
    git_request_context,
    kms_key_policy,
)
from onboard.policy.target import NO_MFA_VARIANTS

ACCOUNT = "111122223333"
REGION, REPO = "us-east-1", "my-repo"
NAMES = [f"u{n}" for n in range(8)]

ACTIONS = [
    "codecommit:GitPull",
    "codecommit:GitPush",
    "codecommit:Git*",
    "codecommit:*",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:*",
    "iam:CreateAccessKey",
    "iam:*",
    "s3:ListAllMyBuckets",
    "ec2:*",
    "sts:AssumeRole",
    "*",
]
RESOURCES = [
    "*",
    f"arn:aws:codecommit:{REGION}:{ACCOUNT}:{REPO}",
    f"arn:aws:codecommit:{REGION}:{ACCOUNT}:other-repo",
    "arn:aws:codecommit:*:*:*",
    "arn:aws:iam::*:user/${aws:username}",
    f"arn:aws:iam::{ACCOUNT}:user/u1",  # a literal user ARN
    "arn:aws:kms:*:*:key/*",
    "arn:aws:iam::*:role/*",
]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"Null": {"aws:MultiFactorAuthPresent": "true"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"StringEquals": {"aws:username": "u2"}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringLike": {"kms:ViaService": "codecommit.*.amazonaws.com"}},
]
SCPS: list[dict[str, Any]] = [
    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    {"Statement": [{"Sid": "NoCC", "Effect": "Deny", "Action": "codecommit:*", "Resource": "*"}]},
    {"Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}]},
    {
        "Statement": [
            {
                "Sid": "KeysNeedMfa",
                "Effect": "Deny",
                "Action": "iam:CreateAccessKey",
                "Resource": "arn:aws:iam::*:user/*",
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            }
        ]
    },
    {
        "Statement": [
            {
                "Sid": "NotU3",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:PrincipalArn": "*:user/u3"}},
            }
        ]
    },
]


@st.composite
def statements(draw: st.DrawFn, index: int) -> dict[str, Any]:
    actions = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True))
    resources = draw(st.lists(st.sampled_from(RESOURCES), min_size=1, max_size=2, unique=True))
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    if draw(st.booleans()):
        statement["Sid"] = f"S{index}"
    statement["NotAction" if draw(st.integers(0, 4)) == 0 else "Action"] = actions
    statement["Resource"] = resources[0] if len(resources) == 1 else resources
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 3))
    return {"Version": "2012-10-17", "Statement": [draw(statements(i)) for i in range(count)]}


@st.composite
def accounts(draw: st.DrawFn) -> AccountData:
    managed = {
        f"arn:aws:iam::{ACCOUNT}:policy/P{n}": ManagedPolicyDetail(
            f"arn:aws:iam::{ACCOUNT}:policy/P{n}", f"P{n}", draw(documents())
        )
        for n in range(4)
    }
    arns = sorted(managed)
    groups = {
        name: IamGroupDetail(
            name,
            f"arn:aws:iam::{ACCOUNT}:group/{name}",
            tuple(draw(st.lists(st.sampled_from(arns), max_size=2, unique=True))),
            {"GroupOwn": draw(documents())} if draw(st.booleans()) else {},
        )
        for name in ("G0", "G1")
    }
    # A small pool of inline documents: several users get the same one under their own name.
    pool = draw(st.lists(documents(), min_size=1, max_size=3))
    users = []
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=8, unique=True)):
        inline = {}
        for number in range(draw(st.integers(0, 2))):
            own = draw(st.sampled_from(pool)) if draw(st.booleans()) else draw(documents())
            inline[f"Own{number}"] = own
        path = draw(st.sampled_from(["/", "/", "/team/"]))
        users.append(
            IamUserDetail(
                name=name,
                arn=f"arn:aws:iam::{ACCOUNT}:user{path}{name}",
                user_id=f"AIDA{name.upper()}",
                path=path,
                groups=tuple(draw(st.lists(st.sampled_from(sorted(groups)), unique=True))),
                attached=tuple(draw(st.lists(st.sampled_from(arns), max_size=2, unique=True))),
                inline=inline,
                boundary_arn=draw(st.sampled_from([None, None, None, *arns])),
            )
        )
    levels = draw(
        st.lists(st.lists(st.sampled_from(range(len(SCPS))), min_size=1, max_size=2), max_size=3)
    )
    scp_levels = tuple(tuple(NamedDocument(f"scp-{n}", SCPS[n]) for n in level) for level in levels)
    details = AuthorizationDetails(users, groups, managed)
    return AccountData(ACCOUNT, details=details, scp_levels=scp_levels)


def _reference(data: AccountData, user: IamUserDetail) -> tuple[object, ...]:
    """One user judged from scratch: the engine on the whole set, request by request."""
    assert data.details is not None
    identity = [parse_policy(d.document, d.name, cache=False) for d in user_documents(data, user)]
    boundaries: list[Policy] = []
    if user.boundary_arn:
        detail = data.details.policies[user.boundary_arn]
        boundaries = [parse_policy(detail.document, detail.arn, kind="boundary", cache=False)]
    levels = [
        [parse_policy(n.document, n.name, kind="scp", cache=False) for n in level]
        for level in data.scp_levels
    ]
    scps = ScpLevels(levels)  # fresh for this user: nothing is shared with the others
    target = UserTarget(ACCOUNT, user.name, REGION, REPO, arn=user.arn)
    key_policy = kms_key_policy(target)

    def outcome(
        action: str, resource: str, context: dict[str, str], resource_policy: Policy | None
    ) -> _Outcome:
        request = Request(action, resource, user.arn, context)
        key = (action, resource, tuple(context.items()), resource_policy is not None)
        decision, labels = evaluate_with_scps(
            request, identity, boundaries, scps, resource_policy, key, None
        )
        engine = evaluate(
            request, identity, boundaries=boundaries, scps=levels, resource_policy=resource_policy
        )
        assert decision is engine.decision, (user.name, action, context)
        return _Outcome(action, decision, labels)

    def git(method: str, mfa: bool) -> list[_Outcome]:
        context = git_request_context(method, mfa=mfa, region=REGION)
        kms_context = {
            **context,
            "kms:ViaService": f"codecommit.{REGION}.amazonaws.com",
            "kms:CallerAccount": ACCOUNT,
        }
        return [outcome(a, target.repo_arn, context, None) for a in GIT_ACTIONS] + [
            outcome(a, target.kms_key_arn, kms_context, key_policy) for a in KMS_ACTIONS
        ]

    verdicts, deciding = {}, {}
    for method in METHODS:
        without = git(method, False)
        if all(o.decision is Decision.ALLOWED for o in without):
            verdicts[method], deciding[method] = ALLOWED, _labels(without[:1])
            continue
        if method in MFA_CAPABLE:
            with_mfa = git(method, True)
            if all(o.decision is Decision.ALLOWED for o in with_mfa):
                verdicts[method] = MFA_ONLY
                deciding[method] = "MFA required by " + _labels(_failing(without))
                continue
            verdicts[method], deciding[method] = DENIED, _labels(_failing(with_mfa))
            continue
        verdicts[method], deciding[method] = DENIED, _labels(_failing(without))
    base = {"aws:RequestedRegion": REGION, "aws:SecureTransport": "true"}
    callable_without = []
    for action, kind in MFA_SAMPLES:
        contexts = [
            base if value is None else {**base, "aws:MultiFactorAuthPresent": value}
            for value in NO_MFA_VARIANTS.values()
        ]
        resource = target.resource(kind)
        if any(outcome(action, resource, c, None).decision is Decision.ALLOWED for c in contexts):
            callable_without.append(action)
    return verdicts, deciding, not callable_without, tuple(callable_without)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts())
def test_the_shared_judgment_equals_judging_each_user_alone(data: AccountData) -> None:
    assert data.details is not None
    judged = {u.user: u for u in judge_account(data, region=REGION, repo=REPO)}
    assert set(judged) == {u.name for u in data.details.users}
    for user in data.details.users:
        mine = judged[user.name]
        expected = _reference(data, user)
        got = (mine.git, mine.deciding, mine.mfa_enforced, mine.mfa_not_enforced_for)
        assert got == expected, user.name


def test_a_condition_free_policy_is_still_answered_per_resource() -> None:
    # One managed policy, no condition, a literal user ARN: only u1 may create access keys
    # without MFA, although u0 and u1 share the policy (and its answers where they agree).
    own_keys = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateAccessKey",
                "Resource": f"arn:aws:iam::{ACCOUNT}:user/u1",
            }
        ],
    }
    arn = f"arn:aws:iam::{ACCOUNT}:policy/OwnKeys"
    managed = {arn: ManagedPolicyDetail(arn, "OwnKeys", own_keys)}
    users = [
        IamUserDetail(name, f"arn:aws:iam::{ACCOUNT}:user/{name}", "AIDA", "/", (), (arn,), {})
        for name in ("u0", "u1", "u2")
    ]
    data = AccountData(ACCOUNT, details=AuthorizationDetails(users, {}, managed))
    judged = {u.user: u for u in judge_account(data, region=REGION, repo=REPO)}
    assert judged["u1"].mfa_not_enforced_for == ("iam:CreateAccessKey",)
    assert judged["u0"].mfa_enforced and judged["u2"].mfa_enforced
    for user in users:
        mine = judged[user.name]
        got = (mine.git, mine.deciding, mine.mfa_enforced, mine.mfa_not_enforced_for)
        assert got == _reference(data, user), user.name
