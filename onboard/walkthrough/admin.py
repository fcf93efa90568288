"""The request a new hire sends the administrator when the account's policy blocks git.

Built from the walkthrough's policy verdict: which methods are blocked and by
which statement, which method works now, and the exact patch `onboard policy
fix` makes to the deciding policy (diff, whole fixed policy, and the
least-privilege variant), with the command the administrator runs to check
it. No secrets: it is meant to be pasted into a ticket or a chat.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.errors import OnboardError
from onboard.files import atomic_write
from onboard.policy.document import parse_policy
from onboard.policy.fix import FixResult, fix_policy
from onboard.policy.target import GitTarget

if TYPE_CHECKING:
    from onboard.aws.models import NamedPolicy
    from onboard.walkthrough.verify import PolicyVerdict

# The walkthrough's names for the four methods, shortest first (one sentence holds them).
METHOD_NAMES: dict[str, str] = {
    "https-helper": "HTTPS with the AWS CLI helper",
    "https-git-credentials": "HTTPS Git credentials",
    "ssh": "SSH",
    "grc": "git-remote-codecommit",
}


@dataclass(frozen=True)
class PolicyPatch:
    """The fix of one deciding policy, as `onboard policy fix` prints it."""

    policy_name: str
    policy_arn: str | None
    statements: tuple[str, ...]
    """The deciding statements of this policy (`ForceMFA Statement[3] (Deny...)`)."""
    fix: FixResult | None
    least_privilege: FixResult | None
    problem: str = ""
    """Why no automatic patch could be made (the administrator patches by hand)."""

    @property
    def file_name(self) -> str:
        """The name the fixed policy is saved under for `onboard policy check`."""
        return f"{self.policy_name}-fixed.json"


@dataclass(frozen=True)
class AdminRequest:
    """What to ask the administrator, and the proof the fix works."""

    user_arn: str
    target: GitTarget
    blocked: tuple[str, ...]
    """Methods the policy denies, in the walkthrough's order."""
    deciding: tuple[str, ...]
    """Labels of the statements that deny them."""
    working: tuple[str, ...]
    """Methods that work now."""
    session_expiry: datetime | None
    patches: tuple[PolicyPatch, ...]

    def sentence(self, key: str | None = "a") -> str:
        """One sentence for the screens: blocked, by what, what works now, what to ask.

        `key` is the key that opens the whole request (None in the terminal summary).
        """
        blocked = ", ".join(METHOD_NAMES.get(m, m) for m in self.blocked)
        by = "; ".join(self.deciding) or "your account's policy"
        text = f"Your policy blocks {blocked} ({by})."
        if "grc" in self.working:
            until = (
                f", until {self.session_expiry:%Y-%m-%d %H:%M} UTC when it ends"
                if self.session_expiry
                else ""
            )
            text += f" git-remote-codecommit works now with your MFA session{until}."
        elif self.working:
            text += f" {', '.join(METHOD_NAMES.get(m, m) for m in self.working)} works now."
        names = ", ".join(p.policy_name for p in self.patches) or "the policy"
        press = f" (press {key})" if key else ""
        return text + f" Ask your administrator to apply the patch to {names}{press}."

    def check_command(self, file_name: str) -> str:
        """The command the administrator runs on the fixed policy file."""
        t = self.target
        return (
            f"onboard policy check {file_name} --account {t.account} --user {t.user} "
            f"--region {t.region} --repo {t.repo}"
        )

    def markdown(self) -> str:
        """The whole request as Markdown (a ticket, an e-mail, a chat message)."""
        lines = [
            "# Request: let git reach CodeCommit under our MFA policy",
            "",
            f"- User: `{self.user_arn}`",
            f"- Repository: `{self.target.repo}` in `{self.target.region}`",
            "- Blocked git methods: " + ", ".join(METHOD_NAMES.get(m, m) for m in self.blocked),
        ]
        for label in self.deciding:
            lines.append(f"- Deciding statement: `{label}`")
        if self.working:
            lines.append("- Works now: " + ", ".join(METHOD_NAMES.get(m, m) for m in self.working))
        lines += [
            "",
            "Git over SSH, HTTPS Git credentials and the AWS CLI helper with an access key "
            "carry no MFA, so a deny on `aws:MultiFactorAuthPresent` blocks them; "
            "CodeCommit's calls to KMS on the user's behalf are denied the same way.",
        ]
        for patch in self.patches:
            lines += [
                "",
                f"## {patch.policy_name}"
                + (f" (`{patch.policy_arn}`)" if patch.policy_arn else ""),
            ]
            if patch.fix is None:
                lines += ["", f"No automatic patch: {patch.problem}"]
                continue
            lines += ["", "Changes (`onboard policy fix`):", ""]
            lines += [f"- {change}" for change in patch.fix.changes]
            lines += ["", "```diff", patch.fix.diff.rstrip("\n"), "```"]
            lines += [
                "",
                f"The whole fixed policy (save it as `{patch.file_name}`):",
                "",
                "```json",
                json.dumps(patch.fix.patched, indent=2),
                "```",
            ]
            if patch.least_privilege is not None:
                lines += [
                    "",
                    "Least-privilege variant (exempts only codecommit:GitPull and "
                    "codecommit:GitPush; `onboard policy fix --least-privilege`):",
                    "",
                    "```json",
                    json.dumps(patch.least_privilege.patched, indent=2),
                    "```",
                ]
            lines += [
                "",
                "Check it before applying (exit 0: git works with every method and MFA "
                "stays enforced):",
                "",
                "```sh",
                self.check_command(patch.file_name),
                "```",
            ]
        return "\n".join(lines) + "\n"

    def save(self, folder: Path) -> Path:
        """Write the Markdown into `folder` (no secrets: default permissions) and say where."""
        path = folder / f"onboard-admin-request-{self.target.user}.md"
        try:
            atomic_write(path, self.markdown(), backup=False)
        except OSError as exc:
            raise OnboardError(
                f"cannot save the request to {path}",
                exc.strerror or str(exc),
                "copy it instead (c) and paste it into a ticket",
            ) from exc
        return path


def build_admin_request(
    verdict: PolicyVerdict,
    target: GitTarget,
    policies: Sequence[NamedPolicy],
    *,
    session_expiry: datetime | None = None,
) -> AdminRequest | None:
    """The request when the verdict says the policy blocks a method, else None.

    `policies` are the user's effective policies (the ones the verdict was
    judged from); each policy named by a deciding Deny is patched with
    `fix_policy`, exactly as `onboard policy fix` would.
    """
    order = ("https-helper", "https-git-credentials", "ssh", "grc")
    blocked = tuple(m for m in order if verdict.outcome(m).works is False)
    if not blocked:
        return None
    working = tuple(m for m in order if verdict.outcome(m).works is True)
    deciding: list[str] = []
    for method in blocked:
        for label in verdict.outcome(method).deciding_labels:
            if label not in deciding:
                deciding.append(label)
    patches: list[PolicyPatch] = []
    by_name = {p.name: p for p in policies if p.kind != "boundary"}
    for name in dict.fromkeys(verdict.outcome(m).deciding_policies for m in blocked):
        for policy_name in name:
            if policy_name not in by_name or any(p.policy_name == policy_name for p in patches):
                continue
            patches.append(_patch(by_name[policy_name], deciding, target))
    return AdminRequest(
        user_arn=target.user_arn,
        target=target,
        blocked=blocked,
        deciding=tuple(deciding),
        working=working,
        session_expiry=session_expiry,
        patches=tuple(patches),
    )


def _patch(named: NamedPolicy, deciding: Sequence[str], target: GitTarget) -> PolicyPatch:
    policy = parse_policy(named.document, named.name)
    statements = tuple(label for label in deciding if label.startswith(f"{named.name} "))
    try:
        fixed = fix_policy(policy, target=target)
        least = fix_policy(policy, least_privilege=True, target=target)
    except OnboardError as exc:
        return PolicyPatch(named.name, named.arn, statements, None, None, exc.what)
    return PolicyPatch(named.name, named.arn, statements, fixed, least)
