"""Who uses git against what, and how a request looks with and without MFA."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from onboard.policy.document import Policy
from onboard.policy.evaluate import Decision, Evaluation, Request, ScpLevels, evaluate

# How a request can lack MFA: the key absent (long-term keys, SSH, Git
# credentials) or present and false (temporary credentials without MFA).
NO_MFA_VARIANTS: dict[str, str | None] = {"key-absent": None, "key-false": "false"}


@dataclass(frozen=True)
class GitTarget:
    """Who uses git against which repository (defaults: a new hire, `my-repo`)."""

    account: str = "123456789012"
    user: str = "new-hire"
    region: str = "us-east-1"
    repo: str = "my-repo"

    @property
    def user_arn(self) -> str:
        """The IAM user's ARN."""
        return f"arn:aws:iam::{self.account}:user/{self.user}"

    @property
    def repo_arn(self) -> str:
        """The repository's ARN."""
        return f"arn:aws:codecommit:{self.region}:{self.account}:{self.repo}"

    @property
    def kms_key_arn(self) -> str:
        """A KMS key ARN standing for the repository's key (alias/aws/codecommit)."""
        return f"arn:aws:kms:{self.region}:{self.account}:key/aws-codecommit"

    @property
    def mfa_device_arn(self) -> str:
        """The virtual MFA device named after the user, as the walkthrough creates it."""
        return f"arn:aws:iam::{self.account}:mfa/{self.user}"

    def resource(self, kind: str) -> str:
        """The ARN for a sample's resource kind ("user", "kms", "role", "repo", "*")."""
        return {
            "user": self.user_arn,
            "kms": self.kms_key_arn,
            "role": f"arn:aws:iam::{self.account}:role/Admin",
            "repo": self.repo_arn,
            "mfa": self.mfa_device_arn,
        }.get(kind, kind)

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {
            "account": self.account,
            "user": self.user,
            "region": self.region,
            "repo": self.repo,
        }


@dataclass(frozen=True)
class Limits:
    """What limits a user's identity policies: permissions boundaries and SCP levels."""

    boundaries: Sequence[Policy] = ()
    scps: ScpLevels = ()


NO_LIMITS = Limits()


def evaluate_without_mfa(
    policies: Sequence[Policy],
    target: GitTarget,
    action: str,
    resource: str,
    limits: Limits = NO_LIMITS,
) -> list[Evaluation]:
    """One evaluation per way of lacking MFA (key absent, key false)."""
    base = {"aws:RequestedRegion": target.region, "aws:SecureTransport": "true"}
    return [
        evaluate(
            Request(
                action,
                resource,
                target.user_arn,
                base if value is None else {**base, "aws:MultiFactorAuthPresent": value},
            ),
            policies,
            boundaries=limits.boundaries,
            scps=limits.scps,
        )
        for value in NO_MFA_VARIANTS.values()
    ]


def evaluate_with_mfa(
    policies: Sequence[Policy],
    target: GitTarget,
    action: str,
    resource: str,
    limits: Limits = NO_LIMITS,
) -> Evaluation:
    """The evaluation for a session with MFA (a minute old)."""
    context = {
        "aws:RequestedRegion": target.region,
        "aws:SecureTransport": "true",
        "aws:MultiFactorAuthPresent": "true",
        "aws:MultiFactorAuthAge": "60",
    }
    return evaluate(
        Request(action, resource, target.user_arn, context),
        policies,
        boundaries=limits.boundaries,
        scps=limits.scps,
    )


def needs_mfa(
    policies: Sequence[Policy],
    target: GitTarget,
    action: str,
    resource: str,
    limits: Limits = NO_LIMITS,
) -> bool:
    """True when MFA is what stands between the user and `action`.

    That is: allowed with an MFA session but denied without; or, when these
    policies grant nothing for it, explicitly denied without MFA and not with
    it (the MFA policy alone: getting a session first is still necessary).
    """
    with_mfa = evaluate_with_mfa(policies, target, action, resource, limits)
    without = evaluate_without_mfa(policies, target, action, resource, limits)
    if with_mfa.allowed:
        return any(not result.allowed for result in without)
    return with_mfa.decision is not Decision.EXPLICIT_DENY and any(
        result.decision is Decision.EXPLICIT_DENY for result in without
    )
