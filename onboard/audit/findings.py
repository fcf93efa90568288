"""Grouped findings an administrator can act on: who, how many, why, and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from onboard.audit.model import (
    ALLOWED,
    DENIED,
    DEVICE_ASSIGNED,
    DEVICE_NONE,
    DEVICE_STALE,
    MFA_ONLY,
    AccountData,
    Finding,
    UserAudit,
)
from onboard.policy.git import METHODS

OLD_KEY_DAYS = 90
# "arn:aws:iam::1:user/alice inline policy NoGit Statement[0] ..." (labels from judge.py)
_INLINE = re.compile(
    r"^(?:MFA required by )?arn:aws:iam::\d*:(?P<kind>user|group)/(?:[^ ]*/)?(?P<owner>[^/ ]+) "
    r"inline policy (?P<name>[\w+=,.@-]+) "
)
METHOD_WORDS = {
    "https-helper": "HTTPS (AWS CLI credential helper)",
    "https-git-credentials": "HTTPS Git credentials",
    "ssh": "SSH",
    "grc": "git-remote-codecommit",
}


def _join(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def _users(audits: Iterable[UserAudit]) -> tuple[str, ...]:
    return tuple(sorted(a.user for a in audits))


def _plural(count: int, word: str = "user") -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _statement_fix(deciding: str) -> str:
    """The fix for what denies git, from the deciding statement's policy."""
    arn = deciding.split(" ", 1)[0].removeprefix("MFA required by ")
    if deciding.startswith("no service control policy") or ":organizations::" in arn:
        policy_id = arn.rsplit("/", 1)[-1] if ":organizations::" in arn else "ID"
        return (
            "allow CodeCommit in the organization's SCPs (from the management account): remove "
            "codecommit from that Deny, or attach an SCP that allows it at that level: "
            f"aws organizations update-policy --policy-id {policy_id} --content file://scp.json"
        )
    if deciding.startswith("not granted"):
        return (
            "attach a CodeCommit grant to their group, e.g. aws iam attach-group-policy "
            "--group-name GROUP --policy-arn arn:aws:iam::aws:policy/AWSCodeCommitPowerUser"
        )
    if ":policy/" in arn:
        return (
            f"`onboard policy fix` the policy and make the result its default version: "
            f"aws iam get-policy-version --policy-arn {arn} --version-id VERSION "
            f"> policy.json && onboard policy fix policy.json --json > fixed.json && "
            f"aws iam create-policy-version --policy-arn {arn} "
            f"--policy-document file://fixed.json --set-as-default"
        )
    inline = _INLINE.match(deciding)
    if inline is not None:
        kind, owner, name = inline["kind"], inline["owner"], inline["name"]
        return (
            f"`onboard policy fix` the inline policy and put it back: aws iam get-{kind}-policy "
            f"--{kind}-name {owner} --policy-name {name} > policy.json && onboard policy fix "
            f"policy.json --json > fixed.json && aws iam put-{kind}-policy --{kind}-name {owner} "
            f"--policy-name {name} --policy-document file://fixed.json"
        )
    return f"`onboard policy fix` the policy that denies it ({deciding})"


def account_findings(data: AccountData, audits: Sequence[UserAudit]) -> list[Finding]:
    """Every finding of one account, most severe first."""
    account = data.account
    if data.error is not None:
        return [
            Finding(
                "account-not-audited",
                "error",
                account,
                f"account {account} could not be audited: {data.error}",
                "check that the role exists in the account and trusts the caller "
                "(--role-name), or audit it with --profile",
                (),
            )
        ]
    found: list[Finding] = []
    found.extend(_denied(account, audits))

    def add(ident: str, severity: str, message: str, fix: str, who: list[UserAudit]) -> None:
        if who:
            text = message.format(n=_plural(len(who)), have="has" if len(who) == 1 else "have")
            found.append(Finding(ident, severity, account, text, fix, _users(who)))

    add(
        "git-needs-missing-mfa-device",
        "error",
        "{n} can use git only with an MFA session but {have} no MFA device",
        "each user enrolls a device: they run `onboard` (the walkthrough's MFA step)",
        [
            a
            for a in audits
            if a.blocked and MFA_ONLY in a.git.values() and a.mfa_device != DEVICE_ASSIGNED
        ],
    )
    add(
        "git-without-mfa-enforced",
        "error",
        "{n} {have} git access without MFA enforced",
        "attach the force-MFA policy (with git exempt: `onboard policy check`) to their "
        "groups: aws iam attach-group-policy --group-name GROUP --policy-arn FORCE_MFA_ARN",
        [a for a in audits if not a.mfa_enforced and not a.blocked],
    )
    add(
        "mfa-not-enforced",
        "error",
        "{n} without git access can call AWS without MFA",
        "attach the force-MFA policy to their groups, or remove what they do not need",
        [a for a in audits if not a.mfa_enforced and a.blocked],
    )
    add(
        "stale-mfa-device",
        "warning",
        "{n} {have} a stale MFA device (an unassigned virtual device holding their name)",
        "per user: onboard doctor --user NAME --delete-stale-device "
        "(or aws iam delete-virtual-mfa-device --serial-number SERIAL)",
        [a for a in audits if a.mfa_device == DEVICE_STALE],
    )
    add(
        "no-mfa-device",
        "warning",
        "{n} {have} no MFA device while their policies enforce MFA",
        "each user enrolls a device: they run `onboard` (the walkthrough's MFA step)",
        [a for a in audits if a.mfa_device == DEVICE_NONE and a.mfa_enforced],
    )
    add(
        "no-active-access-key",
        "warning",
        "{n} {have} access keys but none active (the credential helper and "
        "git-remote-codecommit need one)",
        "aws iam update-access-key --user-name NAME --access-key-id ID --status Active "
        "(or aws iam create-access-key --user-name NAME)",
        [a for a in audits if a.access_keys and not any(k.active for k in a.access_keys)],
    )
    add(
        "old-access-key",
        "info",
        "{n} {have} an active access key older than " + str(OLD_KEY_DAYS) + " days",
        "rotate: aws iam create-access-key --user-name NAME, then deactivate the old key",
        [
            a
            for a in audits
            if any(k.active and (k.age_days or 0) > OLD_KEY_DAYS for k in a.access_keys)
        ],
    )
    add(
        "inactive-ssh-keys",
        "warning",
        "{n} {have} SSH keys but none active",
        "aws iam update-ssh-public-key --user-name NAME --ssh-public-key-id ID --status Active",
        [
            a
            for a in audits
            if a.ssh_keys is not None and a.ssh_keys.inactive and not a.ssh_keys.active
        ],
    )
    add(
        "inactive-git-credentials",
        "warning",
        "{n} {have} HTTPS Git credentials but none active",
        "aws iam update-service-specific-credential --user-name NAME "
        "--service-specific-credential-id ID --status Active",
        [
            a
            for a in audits
            if a.git_credentials is not None
            and a.git_credentials.inactive
            and not a.git_credentials.active
        ],
    )
    return found


def _denied(account: str, audits: Sequence[UserAudit]) -> list[Finding]:
    """Users some git method is denied to, grouped by the methods and what denies them."""
    groups: dict[tuple[tuple[str, ...], str], list[UserAudit]] = {}
    for audit in audits:
        denied = tuple(m for m in METHODS if audit.git.get(m) == DENIED)
        if not denied:
            continue
        groups.setdefault((denied, audit.deciding[denied[0]]), []).append(audit)
    findings = []
    for (methods, deciding), who in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        words = [METHOD_WORDS[m] for m in methods]
        usable = [m for m in METHODS if who[0].git.get(m) in (ALLOWED, MFA_ONLY)]
        scope = "git" if not usable else f"git over {_join(words)}"
        message = f"{_plural(len(who))} cannot use {scope}: {deciding}"
        findings.append(
            Finding("git-denied", "error", account, message, _statement_fix(deciding),
                    _users(who), deciding)
        )  # fmt: skip
    return findings
