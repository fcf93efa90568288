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

from collections.abc import Iterable, Sequence
from functools import lru_cache

from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Decision, Evaluation, MatchedStatement, Request, evaluate
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


def git_request_context(method: str, *, mfa: bool, region: str) -> dict[str, str]:
    """The request context AWS puts on a git request made with `method`.

    SSH and Git credentials never carry an MFA key; the credential helper and
    git-remote-codecommit carry "true" with an MFA session, and for
    git-remote-codecommit a session without MFA carries "false".
    """
    if method not in METHODS:
        raise PolicyError(f"unknown git method {method!r} (one of {', '.join(METHODS)})")
    context = {"aws:RequestedRegion": region, "aws:ViaAWSService": "false"}
    if method != "ssh":
        context["aws:SecureTransport"] = "true"
    if method in ("https-helper", "grc") and mfa:
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = "60"
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


def method_requests(target: GitTarget, method: str) -> list[tuple[Request, Policy | None]]:
    """The requests one git fetch/push makes with `method`, each with its resource policy."""
    mfa = method == "grc"
    context = git_request_context(method, mfa=mfa, region=target.region)
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
    method: str, target: GitTarget, policies: Sequence[Policy], boundaries: Sequence[Policy]
) -> MethodVerdict:
    results: list[tuple[Request, Evaluation]] = [
        (request, evaluate(request, policies, boundaries=boundaries, resource_policy=key_policy))
        for request, key_policy in method_requests(target, method)
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
    policies: Sequence[Policy], target: GitTarget, complete: bool, boundaries: Sequence[Policy]
) -> tuple[MfaCheck, ...]:
    checks: list[MfaCheck] = []
    base = {"aws:RequestedRegion": target.region, "aws:SecureTransport": "true"}
    for action, kind in MFA_SAMPLES:
        resource = target.resource(kind)
        for variant, value in NO_MFA_VARIANTS.items():
            context = dict(base) if value is None else {**base, "aws:MultiFactorAuthPresent": value}
            result = evaluate(
                Request(action, resource, target.user_arn, context), policies, boundaries=boundaries
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
) -> PolicyReport:
    """Judge `policies`: git verdict per method, MFA enforcement, findings."""
    methods = tuple(_verdict(method, target, policies, boundaries) for method in METHODS)
    mfa = _mfa_checks(policies, target, complete, boundaries)
    findings: tuple[Finding, ...] = collect_findings(policies, target, methods, mfa, boundaries)
    return PolicyReport(
        policies=tuple(policy.name for policy in policies),
        target=target.to_json(),
        complete=complete,
        methods=methods,
        mfa=mfa,
        findings=findings,
    )
