"""Policy verdict for git, and the user's SSH keys and Git credentials as IAM holds them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok
from onboard.errors import OnboardError

GIT_ACTIONS = ("codecommit:GitPull", "codecommit:GitPush")
# Without MFA: the methods a developer uses day to day. grc with an MFA
# session is a workaround, not the fix, so it does not make the verdict pass.
DAILY_METHODS = ("https-helper", "https-git-credentials", "ssh")


def _account(ctx: DoctorContext) -> str:
    identity = ctx.fact("whoami", lambda: ctx.gateway().whoami())
    return str(identity.account)


def _causes(verdicts: Sequence[Any]) -> tuple[str, ...]:
    causes: list[str] = []
    for verdict in verdicts:
        if verdict.status == "not-granted":
            causes.append("iam-permission-missing")
        for request in verdict.requests:
            if str(request.decision) != "ExplicitlyDenied":
                continue
            causes.append(
                "kms-denied" if request.action.startswith("kms:") else "mfa-policy-denies-git"
            )
    return tuple(dict.fromkeys(causes))


def _engine_verdict(ctx: DoctorContext, user: str) -> Finding:
    from onboard.policy import parse_policy
    from onboard.policy.git import GitTarget, check_git

    named = ctx.gateway().effective_policies(user)
    identity = [parse_policy(p.document, p.name) for p in named if p.kind != "boundary"]
    boundaries = [
        parse_policy(p.document, p.name, kind="boundary") for p in named if p.kind == "boundary"
    ]
    target = GitTarget(_account(ctx), user, ctx.region, ctx.repo_name or "my-repo")
    report = check_git(identity, target, boundaries=boundaries)
    listing = ", ".join(f"{p.name} ({p.kind}{f' via {p.source}' * bool(p.source)})" for p in named)
    details = (
        f"effective policies: {listing or 'none'}",
        *(f"{v.method}: {v.message}" for v in report.methods),
    )
    broken = [v for v in report.methods if v.method in DAILY_METHODS and v.status != "works"]
    data = {
        "repo": target.repo,
        "policies": [p.name for p in named],
        "methods": {v.method: v.status for v in report.methods},
    }
    if not broken:
        return Finding(
            "policy.verdict",
            "ok",
            f"{user}'s policies let git work (HTTPS and SSH) on {target.repo}",
            details,
            rules_out=("mfa-policy-denies-git", "iam-permission-missing", "kms-denied"),
            data=data,
        )
    deciding = {m.label() for v in broken for m in v.deciding}
    names = ", ".join(sorted(deciding)) or "no statement grants it"
    causes = _causes(broken)
    command = "onboard policy fix POLICY.json" if "mfa-policy-denies-git" in causes else None
    return Finding(
        "policy.verdict",
        "fail",
        f"git is {'denied' if deciding else 'not granted'} for {user}: {names}",
        details,
        Fix(
            "Exempt CodeCommit (and its KMS calls) from the MFA deny, or grant GitPull/GitPush",
            command,
        ),
        causes=causes,
        data=data,
    )


def _simulated_verdict(ctx: DoctorContext, user: str) -> Finding:
    account = _account(ctx)
    user_arn = f"arn:aws:iam::{account}:user/{user}"
    repo_arn = f"arn:aws:codecommit:{ctx.region}:{account}:{ctx.repo_name or '*'}"
    results = ctx.gateway().simulate_principal_policy(user_arn, GIT_ACTIONS, [repo_arn])
    denied = [r for r in results if r.decision != "allowed"]
    details = tuple(
        f"{r.action}: {r.decision} ({', '.join(r.matched_statements) or 'no statement'})"
        for r in results
    )
    if not denied:
        return Finding(
            "policy.verdict", "ok", "SimulatePrincipalPolicy allows GitPull and GitPush", details
        )
    explicit = any(r.decision == "explicitDeny" for r in denied)
    return Finding(
        "policy.verdict",
        "fail",
        "SimulatePrincipalPolicy denies git: "
        + ", ".join(f"{r.action} {r.decision}" for r in denied),
        details,
        Fix("Read the deciding statements above; `onboard policy check` explains them"),
        causes=("mfa-policy-denies-git",) if explicit else ("iam-permission-missing",),
    )


def check_policy(ctx: DoctorContext) -> Finding:
    """The policy engine's git verdict over the user's effective policies.

    When the policies cannot be read (no iam:Get*/List* permission), IAM's
    own simulator decides instead.
    """
    user = ctx.user_name()
    try:
        return _engine_verdict(ctx, user)
    except OnboardError as exc:
        if type(exc).__name__ != "AccessDenied":
            raise
    return _simulated_verdict(ctx, user)


def check_ssh_keys(ctx: DoctorContext) -> Finding:
    """The user's SSH keys: status, upload date, fingerprint (helpdesk view)."""
    user = ctx.user_name()
    gateway = ctx.gateway()
    listed = ctx.fact("ssh keys", lambda: gateway.list_ssh_public_keys(user))
    # The list has no fingerprints; each key's own record does (at most 5 keys).
    keys = [gateway.get_ssh_public_key(user, k.key_id) for k in listed]
    details = tuple(
        f"{k.key_id} {k.status} uploaded {k.upload_date:%Y-%m-%d} {k.fingerprint}"
        if k.upload_date
        else f"{k.key_id} {k.status} {k.fingerprint}"
        for k in keys
    )
    active = [k for k in keys if k.status == "Active"]
    if not keys:
        return Finding("account.ssh_keys", "warn", f"{user} has no SSH key uploaded")
    if not active:
        first = keys[0].key_id
        return Finding(
            "account.ssh_keys",
            "fail",
            f"{user}'s SSH key{'s are' if len(keys) > 1 else ' is'} all inactive: git over SSH "
            "is refused",
            details,
            Fix(
                "Activate the key the user has (or they upload a new one)",
                f"aws iam update-ssh-public-key --user-name {user} --ssh-public-key-id {first} "
                "--status Active",
            ),
            causes=("ssh-key-inactive",),
            data={"keys": [k.key_id for k in keys]},
        )
    return ok(
        "account.ssh_keys",
        f"{len(keys)} SSH key(s), {len(active)} active",
        *details,
        keys=[k.key_id for k in keys],
    )


def check_git_credentials(ctx: DoctorContext) -> Finding:
    """The user's HTTPS Git credentials (service-specific credentials for CodeCommit)."""
    user = ctx.user_name()
    credentials = ctx.gateway().list_service_specific_credentials(user)
    details = tuple(f"{c.id} {c.username} {c.status}" for c in credentials)
    active = [c for c in credentials if c.status == "Active"]
    if not credentials:
        # None (never made, or deleted): new ones are created; a reset needs an ID.
        return ok(
            "account.git_credentials",
            f"{user} has no HTTPS Git credentials (create new ones if they use that method: "
            f"onboard doctor --user {user} --reset-git-credentials)",
        )
    if not active:
        return Finding(
            "account.git_credentials",
            "warn",
            f"{user}'s HTTPS Git credentials are all inactive",
            details,
            causes=("git-credentials-rejected",),
        )
    return ok(
        "account.git_credentials",
        f"{len(active)} active HTTPS Git credential(s)",
        *details,
        ids=[c.id for c in credentials],
    )


CHECKS = (
    CheckSpec("policy.verdict", check_policy, helpdesk=True),
    CheckSpec("account.ssh_keys", check_ssh_keys, helpdesk=True, self_mode=False),
    CheckSpec("account.git_credentials", check_git_credentials, helpdesk=True),
)
