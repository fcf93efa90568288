"""Render doctor results as stable JSON or a ticket-ready Markdown report.

Everything rendered goes through `redact` (`onboard.secret`, shared with the
crash report) first: reports get pasted into tickets and chats, so no secret
key, session token, Git password, MFA seed, signed CodeCommit password or
token from another tool's stderr may survive in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from onboard.doctor.findings import Finding, exit_code
from onboard.secret import REDACTED, redact, redact_json

__all__ = ["REDACTED", "DoctorRun", "redact", "redact_json", "to_json", "to_markdown", "to_text"]

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class DoctorRun:
    """One doctor run: who and where it looked, and what it found."""

    findings: tuple[Finding, ...]
    subject: str
    """Whose setup was checked: the caller's ARN, or `user NAME` in helpdesk mode."""
    region: str | None = None
    repo: str | None = None
    mode: str = "self"
    elapsed_seconds: float | None = None
    targets: tuple[Mapping[str, Any], ...] = ()
    """The remotes (or --url/--repo) judged: remote, url, region, repo, method."""
    actions: tuple[Mapping[str, Any], ...] = ()
    """Helpdesk actions performed in this run (description, aws_cli, done)."""

    @property
    def exit_code(self) -> int:
        """0 when everything passed or only warned, 1 when a check failed."""
        return exit_code(self.findings)

    def counts(self) -> dict[str, int]:
        """How many findings per status."""
        counts = {"ok": 0, "warn": 0, "fail": 0, "skipped": 0}
        for finding in self.findings:
            counts[finding.status] += 1
        return counts


def to_json(run: DoctorRun, secrets: Sequence[str] = ()) -> dict[str, Any]:
    """The run as the documented, versioned JSON object (redacted)."""
    document = {
        "schema": SCHEMA_VERSION,
        "mode": run.mode,
        "subject": run.subject,
        "region": run.region,
        "repo": run.repo,
        "targets": [dict(t) for t in run.targets],
        "exit_code": run.exit_code,
        "counts": run.counts(),
        "elapsed_seconds": None if run.elapsed_seconds is None else round(run.elapsed_seconds, 3),
        "findings": [finding.to_json() for finding in run.findings],
    }
    redacted: dict[str, Any] = redact_json(document, secrets)
    return redacted


_ICONS = {"ok": "✅", "warn": "⚠️", "fail": "❌", "skipped": "⏭️"}


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(run: DoctorRun, secrets: Sequence[str] = ()) -> str:
    """A ticket-ready Markdown report (redacted): summary table, then failures first."""
    counts = run.counts()
    lines = [
        "## onboard doctor report",
        "",
        f"- **Subject:** {run.subject}",
        f"- **Mode:** {run.mode}",
        f"- **Region:** {run.region or 'default'}",
        f"- **Repository:** {run.repo or '(none given)'}",
        *(f"- **Remote:** {_target_line(t)}" for t in run.targets),
        f"- **Result:** {counts['fail']} failed, {counts['warn']} warnings, "
        f"{counts['ok']} passed, {counts['skipped']} skipped",
        "",
        "| | Check | Summary |",
        "|---|---|---|",
    ]
    order = {"fail": 0, "warn": 1, "ok": 2, "skipped": 3}
    ranked = sorted(run.findings, key=lambda f: (order[f.status], f.id))
    for finding in ranked:
        icon = _ICONS[finding.status]
        lines.append(f"| {icon} | `{finding.id}` | {_md_escape(finding.summary)} |")
    problems = [f for f in ranked if f.status in ("fail", "warn")]
    if run.actions:
        lines += ["", "### Actions performed", ""]
        for action in run.actions:
            state = "done" if action.get("done") else "declined"
            lines.append(f"- {state}: {_md_escape(str(action.get('description', '')))}")
            lines.append(f"  - `{action.get('aws_cli', '')}`")
    inventory = [f for f in ranked if f.status == "ok" and f.details]
    if run.mode == "helpdesk" and inventory:
        lines += ["", "### Account details", ""]
        for finding in inventory:
            lines.append(f"- `{finding.id}`: {_md_escape(finding.summary)}")
            lines.extend(f"  - {_md_escape(detail)}" for detail in finding.details)
    if problems:
        lines += ["", "### What to fix", ""]
    for finding in problems:
        lines.append(f"#### {_ICONS[finding.status]} `{finding.id}`: {finding.summary}")
        lines.extend(f"- {detail}" for detail in finding.details)
        if finding.fix is not None:
            lines.append(f"- **Fix:** {finding.fix.summary}")
            if finding.fix.command:
                lines += ["", "```sh", finding.fix.command, "```"]
        lines.append("")
    return redact("\n".join(lines).rstrip() + "\n", secrets)


def _target_line(target: Mapping[str, Any]) -> str:
    """`origin https://... -> my-repo in us-east-1 (https)`."""
    name = target.get("remote") or target.get("source") or "url"
    return (
        f"{name} {target.get('url')} -> {target.get('repo')} in {target.get('region')} "
        f"({target.get('method')})"
    )


def to_text(run: DoctorRun, secrets: Sequence[str] = ()) -> str:
    """Plain terminal text: one line per finding, details and fixes for problems."""
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skipped": "skip"}
    lines = [f"onboard doctor: {run.subject}"]
    lines += [f"  judged: {_target_line(t)}" for t in run.targets]
    for action in run.actions:
        state = "done" if action.get("done") else "declined"
        lines.append(f"  action {state}: {action.get('description', '')}")
    for finding in run.findings:
        lines.append(f"  [{marks[finding.status]}] {finding.id}: {finding.summary}")
        # The helpdesk wants the inventory (keys, devices, policies) even when it is fine.
        if finding.status in ("fail", "warn") or (run.mode == "helpdesk" and finding.details):
            lines.extend(f"         {detail}" for detail in finding.details)
            if finding.fix is not None:
                lines.append(f"         fix: {finding.fix.summary}")
                if finding.fix.command:
                    lines.append(f"           $ {finding.fix.command}")
    counts = run.counts()
    lines.append(
        f"{counts['fail']} failed, {counts['warn']} warnings, {counts['ok']} passed, "
        f"{counts['skipped']} skipped"
    )
    return redact("\n".join(lines) + "\n", secrets)
