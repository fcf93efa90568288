"""The answer of `onboard policy check`: git verdicts, MFA checks, findings, exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from onboard.policy.evaluate import Decision, MatchedStatement

WORKS = "works"
DENIED = "denied"
NOT_GRANTED = "not-granted"

EXIT_OK = 0
EXIT_GIT_DENIED = 1
EXIT_MFA_NOT_ENFORCED = 2


@dataclass(frozen=True)
class RequestVerdict:
    """One request behind a verdict (e.g. `codecommit:GitPush` on the repository)."""

    action: str
    resource: str
    decision: Decision
    explanation: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "action": self.action,
            "resource": self.resource,
            "decision": str(self.decision),
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class MethodVerdict:
    """Does git work with one access method, and which statements decide it."""

    method: str  # "https-helper", "https-git-credentials", "ssh", "grc"
    label: str
    status: str  # "works", "denied", "not-granted"
    deciding: tuple[MatchedStatement, ...]
    message: str
    requests: tuple[RequestVerdict, ...] = ()
    works_until: int | None = None
    """For an MFA session: the session age (seconds) from which git stops working."""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "method": self.method,
            "label": self.label,
            "status": self.status,
            "message": self.message,
            "worksUntil": self.works_until,
            "deciding": [m.to_json() for m in self.deciding],
            "requests": [r.to_json() for r in self.requests],
        }


@dataclass(frozen=True)
class MfaCheck:
    """Is an action still denied without MFA, for one way of lacking MFA."""

    action: str
    resource: str
    variant: str  # "key-absent" (long-term keys) or "key-false" (session without MFA)
    enforced: bool
    decision: Decision
    deciding: tuple[MatchedStatement, ...]
    message: str

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "action": self.action,
            "resource": self.resource,
            "variant": self.variant,
            "enforced": self.enforced,
            "decision": str(self.decision),
            "deciding": [m.to_json() for m in self.deciding],
            "message": self.message,
        }


@dataclass(frozen=True)
class Finding:
    """Something about the policy that matters for getting git working under MFA."""

    id: str
    severity: str  # "error", "warning", "info"
    message: str
    fix: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"id": self.id, "severity": self.severity, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class PolicyReport:
    """Everything `onboard policy check` says about a set of policies."""

    policies: tuple[str, ...]
    target: dict[str, str]
    complete: bool
    methods: tuple[MethodVerdict, ...]
    mfa: tuple[MfaCheck, ...]
    findings: tuple[Finding, ...]
    scps: tuple[tuple[str, ...], ...] = ()
    """SCP names by organization level, root first."""
    mfa_session_duration: int = 43_200

    @property
    def git_denied(self) -> bool:
        """An explicit deny (or, with --complete, a missing grant) stops some git method."""
        failing = (DENIED, NOT_GRANTED) if self.complete else (DENIED,)
        return any(verdict.status in failing for verdict in self.methods)

    @property
    def mfa_enforced(self) -> bool:
        """Every representative action is denied without MFA, however MFA is lacking."""
        return all(check.enforced for check in self.mfa)

    @property
    def exit_code(self) -> int:
        """0 fine, 1 git denied (checked first: it is what users notice), 2 MFA not enforced."""
        if self.git_denied:
            return EXIT_GIT_DENIED
        if not self.mfa_enforced:
            return EXIT_MFA_NOT_ENFORCED
        return EXIT_OK

    def method(self, method: str) -> MethodVerdict:
        """The verdict for one method id."""
        return next(verdict for verdict in self.methods if verdict.method == method)

    def finding_ids(self) -> tuple[str, ...]:
        """The ids of all findings, in order."""
        return tuple(finding.id for finding in self.findings)

    def to_json(self) -> dict[str, Any]:
        """The machine-readable report (`--json`)."""
        return {
            "policies": list(self.policies),
            "target": self.target,
            "complete": self.complete,
            "scps": [list(level) for level in self.scps],
            "mfaSessionDuration": self.mfa_session_duration,
            "exitCode": self.exit_code,
            "gitWorks": not self.git_denied,
            "mfaEnforced": self.mfa_enforced,
            "methods": [verdict.to_json() for verdict in self.methods],
            "mfa": [check.to_json() for check in self.mfa],
            "findings": [finding.to_json() for finding in self.findings],
        }

    def render_text(self) -> str:
        """The human-readable report."""
        marks = {WORKS: "ok  ", DENIED: "DENY", NOT_GRANTED: "----"}
        scope = (
            "the whole effective set (--complete)"
            if self.complete
            else "part of the user's policies: a missing grant is a note"
        )
        lines = [
            f"Policies: {', '.join(self.policies)} (judged as {scope})",
            f"Target: user {self.target['user']} in {self.target['account']}, "
            f"repository {self.target['repo']} in {self.target['region']}",
            f"MFA sessions last {self.mfa_session_duration:,} s"
            + (
                "; SCPs by level (root first): "
                + " | ".join(", ".join(level) for level in self.scps)
                if self.scps
                else ""
            ),
            "",
            "Git, per access method:",
        ]
        for verdict in self.methods:
            lines.append(f"  [{marks[verdict.status]}] {verdict.label}: {verdict.message}")
            if verdict.status == DENIED and verdict.deciding:
                lines.append(f"         why: {verdict.deciding[0].reason}")
        lines.append("")
        failed = [check for check in self.mfa if not check.enforced]
        if failed:
            lines.append(
                f"MFA enforcement: NOT enforced for {len(failed)} of {len(self.mfa)} checks:"
            )
            lines.extend(f"  [FAIL] {check.message}" for check in failed)
        else:
            lines.append(
                f"MFA enforcement: ok ({len(self.mfa)} checks: every sampled action is denied "
                "without MFA, with the MFA key absent or false)"
            )
        if self.findings:
            lines.extend(["", "Findings:"])
            for finding in self.findings:
                lines.append(f"  [{finding.severity}] {finding.id}: {finding.message}")
                if finding.fix:
                    lines.append(f"      fix: {finding.fix}")
        lines.extend(["", _summary(self)])
        return "\n".join(lines)


def _summary(report: PolicyReport) -> str:
    code = report.exit_code
    if code == EXIT_GIT_DENIED and any(v.status == DENIED for v in report.methods):
        return "Result: git is denied (exit 1)."
    if code == EXIT_GIT_DENIED:
        return "Result: git is not granted by this complete set of policies (exit 1)."
    if code == EXIT_MFA_NOT_ENFORCED:
        return "Result: git works, but MFA is not enforced (exit 2)."
    if any(verdict.status == NOT_GRANTED for verdict in report.methods):
        return (
            "Result: nothing here denies git and MFA is enforced (exit 0); git still needs "
            "the grants noted above."
        )
    return "Result: git works and MFA is enforced (exit 0)."
