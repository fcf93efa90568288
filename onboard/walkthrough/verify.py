"""Step 5-6 judgments: which git methods the account's policy lets work, and a live check.

The verdict comes from the best source the user's credentials can read:
the policy engine over the user's effective policies, else IAM's own
simulator, else a clear pointer to the helpdesk (who can read them).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from onboard.aws.errors import AccessDenied
from onboard.git import config as gitconfig
from onboard.mfa.session import AgeLimit, mfa_age_limit
from onboard.platform import Platform
from onboard.policy.document import parse_policy
from onboard.policy.git import METHODS, GitTarget, check_git, git_request_context, needs_mfa

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import NamedPolicy
    from onboard.policy.report import MethodVerdict

Source = Literal["engine", "simulation", "unknown"]
GIT_ACTIONS = ("codecommit:GitPull", "codecommit:GitPush")


@dataclass(frozen=True)
class MethodOutcome:
    """Whether one git method would work, and the statement or reason that decides it."""

    method: str
    works: bool | None
    """None when nothing could tell."""
    message: str
    deciding: str = ""
    deciding_labels: tuple[str, ...] = ()
    """The Deny statements that decide a denied method (`ForceMFA Statement[3] (Sid)`)."""
    deciding_policies: tuple[str, ...] = ()
    """The names of the policies those statements are in."""


@dataclass(frozen=True)
class PolicyVerdict:
    """Per-method outcomes and where they came from."""

    source: Source
    outcomes: dict[str, MethodOutcome]
    note: str
    policies: tuple[NamedPolicy, ...] = ()
    """The effective policies the engine judged (empty for the simulator or unknown)."""

    def outcome(self, method: str) -> MethodOutcome:
        """The outcome for `method` (unknown if the verdict does not cover it)."""
        return self.outcomes.get(method, MethodOutcome(method, None, self.note))

    def working(self) -> list[str]:
        """Methods known to work, in METHODS order."""
        return [m for m in METHODS if self.outcome(m).works]


def helpdesk_note(user: str) -> str:
    """What to say when no source could judge the policy."""
    return (
        "Your credentials cannot read your policies or run the policy simulator. "
        f"Ask the helpdesk to run `onboard doctor --user {user}`: it shows which git "
        "methods your policies allow and which statement decides."
    )


def policy_verdict(
    gateway: Gateway,
    account: str,
    user: str,
    region: str,
    repo: str,
    *,
    mfa: bool,
    mfa_session_duration: int = 43_200,
) -> PolicyVerdict:
    """The engine's verdict over the user's policies, else the simulator's, else unknown.

    `mfa` says whether `gateway` holds an MFA session: the https-helper and
    grc methods then carry MFA, as they would with a saved `-mfa` profile.
    """
    target = GitTarget(account=account, user=user, region=region, repo=repo)
    try:
        named = gateway.effective_policies(user)
    except AccessDenied:
        named = None
    if named is not None:
        identity = [parse_policy(p.document, p.name) for p in named if p.kind != "boundary"]
        boundaries = [
            parse_policy(p.document, p.name, kind="boundary") for p in named if p.kind == "boundary"
        ]
        # git-remote-codecommit is judged over the session's whole age range (the engine
        # says from when an aws:MultiFactorAuthAge limit stops it).
        report = check_git(
            identity, target, boundaries=boundaries, mfa_session_duration=mfa_session_duration
        )
        outcomes = {v.method: _engine_outcome(v) for v in report.methods}
        return PolicyVerdict("engine", outcomes, "from your effective IAM policies", tuple(named))
    try:
        return _simulated(gateway, target, mfa=mfa)
    except AccessDenied:
        return PolicyVerdict("unknown", {}, helpdesk_note(user))


def _engine_outcome(verdict: MethodVerdict) -> MethodOutcome:
    denies = [s for s in verdict.deciding if s.effect == "Deny"]
    return MethodOutcome(
        verdict.method,
        verdict.status == "works",
        verdict.message,
        "; ".join(statement.label() for statement in verdict.deciding),
        tuple(dict.fromkeys(s.label() for s in denies)),
        tuple(dict.fromkeys(s.policy_name for s in denies)),
    )


def _simulated(gateway: Gateway, target: GitTarget, *, mfa: bool) -> PolicyVerdict:
    outcomes: dict[str, MethodOutcome] = {}
    for method in METHODS:
        context = git_request_context(method, mfa=mfa, region=target.region)
        results = gateway.simulate_principal_policy(
            target.user_arn, GIT_ACTIONS, [target.repo_arn], context
        )
        denied = [r for r in results if not r.allowed]
        if denied:
            first = denied[0]
            outcomes[method] = MethodOutcome(
                method,
                False,
                f"{first.action} is {first.decision} by IAM's policy simulator",
                ", ".join(first.matched_statements),
            )
        else:
            outcomes[method] = MethodOutcome(method, True, "GitPull and GitPush are allowed")
    return PolicyVerdict("simulation", outcomes, "from IAM's policy simulator")


# What the next steps do that an MFA-enforcing policy usually guards.
SESSION_ACTIONS = ("iam:UploadSSHPublicKey", "iam:CreateServiceSpecificCredential")


@dataclass(frozen=True)
class SessionNeed:
    """Whether the steps after MFA need an MFA session, and why we think so."""

    needed: bool | None
    """None: the policies could not be read (itself a sign that MFA is enforced)."""
    reason: str
    age_limit: AgeLimit | None = None
    """The policies' strictest `aws:MultiFactorAuthAge` bound, when they could be read."""


def session_need(gateway: Gateway, account: str, user: str, region: str) -> SessionNeed:
    """Ask the policy engine whether uploading keys / creating Git credentials needs MFA."""
    try:
        named = gateway.effective_policies(user)
    except AccessDenied:
        return SessionNeed(
            None,
            "Your policies cannot be read without MFA, which is how accounts that "
            "enforce MFA look. Uploading an SSH key and creating Git credentials "
            "will most likely need an MFA session.",
        )
    policies = [parse_policy(p.document, p.name) for p in named if p.kind != "boundary"]
    target = GitTarget(account=account, user=user, region=region)
    guarded = [a for a in SESSION_ACTIONS if needs_mfa(policies, target, a, target.user_arn)]
    limit = mfa_age_limit((p.name, p.document) for p in named)
    if guarded:
        return SessionNeed(
            True,
            f"Your policies allow {', '.join(guarded)} only with MFA: get a session first.",
            limit,
        )
    return SessionNeed(
        False, "Your policies allow the next steps without MFA: you may skip.", limit
    )


@dataclass(frozen=True)
class AgeProblem:
    """git-remote-codecommit judged with the session's real MFA age against the policy's limit."""

    age: int
    limit: AgeLimit

    def message(self) -> str:
        """What happens and what to do."""
        return (
            f"Your MFA session's code is {self.age} s old; your policy accepts MFA at most "
            f"{self.limit.seconds} s old ({self.limit.where}), so git-remote-codecommit is "
            "refused now. Renew the session: `onboard mfa session` (or step 3)."
        )


def mfa_age_problem(verdict: PolicyVerdict, age: int | None) -> AgeProblem | None:
    """The session is older than the policies allow (None when fine or unknown)."""
    if age is None:
        return None
    limit = mfa_age_limit((p.name, p.document) for p in verdict.policies)
    if limit is None or age < limit.seconds:
        return None
    return AgeProblem(age, limit)


def caching_helpers(env: Mapping[str, str], platform: Platform, region: str) -> list[str]:
    """Password-caching helpers git would ask before the AWS helper for CodeCommit."""
    url = f"https://git-codecommit.{region}.amazonaws.com/v1/repos/"
    return [entry.name for entry in gitconfig.caching_helpers_ahead(url, env, platform)]


@dataclass(frozen=True)
class Tools:
    """Which git helpers this machine can run."""

    aws_cli: bool
    grc: bool


def installed_tools(env: Mapping[str, str]) -> Tools:
    """Whether `aws` and `git-remote-codecommit` are on the PATH git will see."""
    path = env.get("PATH")
    return Tools(
        aws_cli=shutil.which("aws", path=path) is not None,
        grc=shutil.which("git-remote-codecommit", path=path) is not None,
    )


@dataclass(frozen=True)
class LiveCheck:
    """The result of `git ls-remote` with the configured method."""

    url: str
    ok: bool
    output: str
    """git's stderr (or stdout on success), trimmed for the screen."""


def live_check(url: str, env: Mapping[str, str], timeout: float = 30) -> LiveCheck:
    """Run `git ls-remote URL` with the real configured credentials."""
    result = gitconfig.ls_remote(url, env, timeout=timeout)
    text = (result.stdout if result.ok else result.stderr).strip()
    lines = text.splitlines()
    if len(lines) > 12:
        lines = [*lines[:12], f"… ({len(lines) - 12} more lines)"]
    return LiveCheck(url, result.ok, "\n".join(lines))
