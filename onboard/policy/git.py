"""Does an MFA-enforcing policy still let git reach CodeCommit, and still enforce MFA?

Git presents itself to AWS in four ways (see KNOWLEDGE.md): HTTPS through the
AWS CLI credential helper with long-term keys, HTTPS Git credentials, and SSH
all carry no `aws:MultiFactorAuthPresent` key; git-remote-codecommit with an
MFA session carries it as "true". Each needs `codecommit:GitPull`/`GitPush`
on the repository, and CodeCommit calls KMS on the user's behalf
(`kms:ViaService` = `codecommit.<region>.amazonaws.com`) under the AWS-managed
key's key policy, which this module models as the resource policy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import (
    Decision,
    Evaluation,
    MatchedStatement,
    Request,
    ScpLevels,
    evaluate,
    scp_levels,
)
from onboard.policy.findings import collect_findings
from onboard.policy.report import (
    DENIED,
    NOT_GRANTED,
    WORKS,
    Finding,
    MethodVerdict,
    MfaCheck,
    PolicyReport,
    RequestVerdict,
)
from onboard.policy.target import NO_MFA_VARIANTS, GitTarget, needs_mfa

__all__ = [
    "DEFAULT_MFA_SESSION_DURATION",
    "METHODS",
    "Finding",
    "GitTarget",
    "MethodVerdict",
    "MfaCheck",
    "PolicyReport",
    "check_git",
    "git_request_context",
    "needs_mfa",
]

METHODS: dict[str, str] = {
    "https-helper": "HTTPS, AWS CLI credential helper (long-term access key)",
    "https-git-credentials": "HTTPS, Git credentials (user name and password)",
    "ssh": "SSH (public key uploaded to IAM)",
    "grc": "git-remote-codecommit with an MFA session",
}
GIT_ACTIONS = ("codecommit:GitPull", "codecommit:GitPush")
# GetSessionToken's default for an IAM user (12 hours); AWS allows 900 to 129,600 s.
DEFAULT_MFA_SESSION_DURATION = 43_200
MFA_SESSION_RANGE = (900, 129_600)
MFA_AGE_KEY = "aws:multifactorauthage"
KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")

# Actions that must still need MFA, with their resource (filled per target).
MFA_SAMPLES: tuple[tuple[str, str], ...] = (
    ("iam:CreateAccessKey", "user"),
    ("iam:AttachUserPolicy", "user"),
    ("s3:ListAllMyBuckets", "*"),
    ("ec2:RunInstances", "*"),
    ("kms:Decrypt", "kms"),
    ("sts:AssumeRole", "role"),
)


def git_request_context(
    method: str, *, mfa: bool, region: str, mfa_age: int = 60
) -> dict[str, str]:
    """The request context AWS puts on a git request made with `method`.

    SSH and Git credentials never carry an MFA key; the credential helper and
    git-remote-codecommit carry "true" with an MFA session (and the session's
    `aws:MultiFactorAuthAge`, `mfa_age` seconds), and for git-remote-codecommit
    a session without MFA carries "false".
    """
    if method not in METHODS:
        raise PolicyError(f"unknown git method {method!r} (one of {', '.join(METHODS)})")
    context = {"aws:RequestedRegion": region, "aws:ViaAWSService": "false"}
    if method != "ssh":
        context["aws:SecureTransport"] = "true"
    if method in ("https-helper", "grc") and mfa:
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = str(mfa_age)
    elif method == "grc":
        context["aws:MultiFactorAuthPresent"] = "false"
    return context


@lru_cache(maxsize=64)
def kms_key_policy(target: GitTarget) -> Policy:
    """The key policy of the AWS-managed CodeCommit key: callers in the account, via CodeCommit."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowViaCodeCommitForAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": target.account,
                        "kms:ViaService": f"codecommit.{target.region}.amazonaws.com",
                    }
                },
            }
        ],
    }
    return parse_policy(document, "aws/codecommit key policy", kind="resource")


def method_requests(
    target: GitTarget, method: str, mfa_age: int = 60
) -> list[tuple[Request, Policy | None]]:
    """The requests one git fetch/push makes with `method`, each with its resource policy."""
    mfa = method == "grc"
    context = git_request_context(method, mfa=mfa, region=target.region, mfa_age=mfa_age)
    requests: list[tuple[Request, Policy | None]] = [
        (Request(action, target.repo_arn, target.user_arn, context), None) for action in GIT_ACTIONS
    ]
    kms_context = {
        **context,
        "kms:ViaService": f"codecommit.{target.region}.amazonaws.com",
        "kms:CallerAccount": target.account,
    }
    key_policy = kms_key_policy(target)
    requests.extend(
        (Request(action, target.kms_key_arn, target.user_arn, kms_context), key_policy)
        for action in KMS_ACTIONS
    )
    return requests


def _verdict(
    method: str,
    target: GitTarget,
    policies: Sequence[Policy],
    boundaries: Sequence[Policy],
    scps: ScpLevels,
    mfa_age: int = 60,
) -> MethodVerdict:
    results: list[tuple[Request, Evaluation]] = [
        (
            request,
            evaluate(
                request, policies, boundaries=boundaries, scps=scps, resource_policy=key_policy
            ),
        )
        for request, key_policy in method_requests(target, method, mfa_age)
    ]
    verdicts = tuple(
        RequestVerdict(r.action, r.resource, e.decision, e.explanation) for r, e in results
    )
    denied = [(r, e) for r, e in results if e.decision is Decision.EXPLICIT_DENY]
    missing = [(r, e) for r, e in results if e.decision is Decision.IMPLICIT_DENY]
    label = METHODS[method]
    if denied:
        deciding = _unique(m for _r, e in denied for m in e.matched)
        actions = ", ".join(r.action for r, _e in denied)
        names = ", ".join(m.label() for m in deciding)
        message = f"denied: {actions} explicitly denied by {names}"
        return MethodVerdict(method, label, DENIED, deciding, message, verdicts)
    if missing:
        actions = ", ".join(r.action for r, _e in missing)
        message = f"not granted: no statement allows {actions}; {_missing_grant(missing)}"
        return MethodVerdict(method, label, NOT_GRANTED, (), message, verdicts)
    deciding = _unique(m for _r, e in results for m in e.matched)
    return MethodVerdict(method, label, WORKS, deciding, "works", verdicts)


def _session_verdict(
    target: GitTarget,
    policies: Sequence[Policy],
    boundaries: Sequence[Policy],
    scps: ScpLevels,
    duration: int,
) -> MethodVerdict:
    """git-remote-codecommit over the whole MFA session: ages 0 to `duration` seconds.

    A decision can change with the age only where a condition on
    `aws:MultiFactorAuthAge` compares it with a number, so the verdict is taken
    at those points (and either side of them): the first age where git stops
    working is exact, to the second.
    """
    everything = [*policies, *boundaries, *(p for level in scp_levels(scps) for p in level)]
    first = _verdict("grc", target, policies, boundaries, scps, 0)
    if first.status != WORKS:
        return first
    for age in age_breakpoints(everything, duration):
        later = _verdict("grc", target, policies, boundaries, scps, age)
        if later.status != WORKS:
            message = (
                f"works until the MFA session is {age:,} s old, then {later.message} "
                f"(sessions last {duration:,} s: ask for at most {age - 1:,} s, or change "
                "the policy's aws:MultiFactorAuthAge limit)"
            )
            return replace(later, message=message, works_until=age)
    return first


def age_breakpoints(policies: Iterable[Policy], duration: int) -> list[int]:
    """Session ages (1 to `duration`) where an `aws:MultiFactorAuthAge` test can change."""
    ages = {duration}
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                if condition.key != MFA_AGE_KEY:
                    continue
                for value in condition.values:
                    try:
                        number = float(value)
                    except ValueError:
                        continue
                    if not math.isfinite(number):
                        continue
                    base = math.floor(number)
                    ages.update((base - 1, base, base + 1, base + 2))
    return sorted(age for age in ages if 0 < age <= duration)


def _missing_grant(missing: list[tuple[Request, Evaluation]]) -> str:
    if any(r.action.startswith("codecommit:") for r, _e in missing):
        return (
            "attach a CodeCommit grant (e.g. the managed policy AWSCodeCommitPowerUser, or an "
            "Allow for codecommit:GitPull and codecommit:GitPush on the repository)"
        )
    return "allow kms:Decrypt and kms:GenerateDataKey on the repository's KMS key"


def _unique(items: Iterable[MatchedStatement]) -> tuple[MatchedStatement, ...]:
    return tuple(dict.fromkeys(items))


def _mfa_checks(
    policies: Sequence[Policy],
    target: GitTarget,
    complete: bool,
    boundaries: Sequence[Policy],
    scps: ScpLevels,
) -> tuple[MfaCheck, ...]:
    checks: list[MfaCheck] = []
    base = {"aws:RequestedRegion": target.region, "aws:SecureTransport": "true"}
    for action, kind in MFA_SAMPLES:
        resource = target.resource(kind)
        for variant, value in NO_MFA_VARIANTS.items():
            context = dict(base) if value is None else {**base, "aws:MultiFactorAuthPresent": value}
            result = evaluate(
                Request(action, resource, target.user_arn, context),
                policies,
                boundaries=boundaries,
                scps=scps,
            )
            # Enforcement means an explicit deny: a missing grant can be added by another
            # policy at any time. With --complete the set is final, so "not granted" is safe.
            enforced = result.decision is Decision.EXPLICIT_DENY or (
                complete and not result.allowed
            )
            how = "MFA key absent" if value is None else "MultiFactorAuthPresent=false"
            if enforced:
                message = f"{action} without MFA ({how}): {result.decision}"
            else:
                message = f"{action} without MFA ({how}) is {result.decision}: nothing denies it"
            checks.append(
                MfaCheck(
                    action, resource, variant, enforced, result.decision, result.matched, message
                )
            )
    return tuple(checks)


def check_git(
    policies: Sequence[Policy],
    target: GitTarget,
    *,
    complete: bool = False,
    boundaries: Sequence[Policy] = (),
    scps: ScpLevels = (),
    mfa_session_duration: int = DEFAULT_MFA_SESSION_DURATION,
) -> PolicyReport:
    """Judge `policies`: git verdict per method, MFA enforcement, findings.

    `scps` are the organization's SCP levels, root first (see `evaluate`);
    `mfa_session_duration` is how long the user's MFA session lasts (seconds):
    git-remote-codecommit is judged over the session's whole age range, and a
    policy limiting `aws:MultiFactorAuthAge` to less says from when git stops.
    """
    low, high = MFA_SESSION_RANGE
    if not low <= mfa_session_duration <= high:
        raise PolicyError(
            f"MFA session duration {mfa_session_duration:,} s is outside what AWS allows "
            f"({low:,} to {high:,} s)"
        )
    methods = tuple(
        _session_verdict(target, policies, boundaries, scps, mfa_session_duration)
        if method == "grc"
        else _verdict(method, target, policies, boundaries, scps)
        for method in METHODS
    )
    mfa = _mfa_checks(policies, target, complete, boundaries, scps)
    findings: tuple[Finding, ...] = collect_findings(
        policies, target, methods, mfa, boundaries, scps
    )
    return PolicyReport(
        policies=tuple(policy.name for policy in policies),
        target=target.to_json(),
        complete=complete,
        methods=methods,
        mfa=mfa,
        findings=findings,
        scps=tuple(tuple(p.name for p in level) for level in scp_levels(scps)),
        mfa_session_duration=mfa_session_duration,
    )
