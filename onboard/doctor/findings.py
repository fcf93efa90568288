"""What a doctor check returns: a finding with a status, a summary and a fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skipped"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skipped")


@dataclass(frozen=True)
class Fix:
    """How to repair a finding: a command to run, or an action onboard can apply.

    `action` names an action `onboard` can perform after confirmation
    (None: the user runs `command` themselves).
    """

    summary: str
    command: str | None = None
    action: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The fix as JSON."""
        return {"summary": self.summary, "command": self.command, "action": self.action}


@dataclass(frozen=True)
class Finding:
    """The result of one check.

    `status` is ok / warn / fail / skipped (then `summary` says why it was
    skipped). `causes` lists explain-cause ids this finding confirms, and
    `rules_out` those it excludes, so `explain.rerank` can use the checks.
    """

    id: str
    status: Status
    summary: str
    details: tuple[str, ...] = ()
    fix: Fix | None = None
    causes: tuple[str, ...] = ()
    rules_out: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    seconds: float | None = field(default=None, compare=False)
    """How long the check that produced this finding ran (set by `run_checks`)."""

    @property
    def category(self) -> str:
        """The check's group (`ssh` for `ssh.key_id`)."""
        return self.id.split(".", 1)[0]

    def to_json(self) -> dict[str, Any]:
        """The finding as JSON (the schema in docs/doctor.md)."""
        return {
            "id": self.id,
            "category": self.category,
            "status": self.status,
            "summary": self.summary,
            "details": list(self.details),
            "fix": self.fix.to_json() if self.fix else None,
            "causes": list(self.causes),
            "rules_out": list(self.rules_out),
            "data": self.data,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
        }


def ok(check_id: str, summary: str, *details: str, **data: Any) -> Finding:
    """A passing finding."""
    return Finding(check_id, "ok", summary, tuple(details), data=data)


def skipped(check_id: str, reason: str) -> Finding:
    """A check that could not run, with the reason."""
    return Finding(check_id, "skipped", reason)


def exit_code(findings: Sequence[Finding]) -> int:
    """0 when nothing failed, 1 when any finding failed."""
    return 1 if any(f.status == "fail" for f in findings) else 0
