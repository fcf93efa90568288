"""An audit's result and its three report formats: JSON (the schema), CSV, Markdown."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from onboard.audit.findings import account_findings
from onboard.audit.judge import PolicyCache, judge_account
from onboard.audit.model import AccountData, Finding, UserAudit
from onboard.audit.verdict import JudgeStats
from onboard.policy.git import METHODS

SCHEMA = "onboard-audit/1"
EXIT_OK = 0
EXIT_PROBLEMS = 1
MARKDOWN_USERS = 25
"""Users named per finding in Markdown (the JSON and CSV have all)."""


@dataclass
class AuditRun:
    """The audit of one or more accounts: users, grouped findings, how long it took."""

    accounts: list[AccountData]
    users: list[UserAudit]
    findings: list[Finding]
    region: str = "us-east-1"
    repo: str = "my-repo"
    stats: JudgeStats = field(default_factory=JudgeStats)
    download_seconds: float = 0.0
    judge_seconds: float = 0.0

    @property
    def blocked(self) -> list[UserAudit]:
        """Users no git method works for today."""
        return [u for u in self.users if u.blocked]

    @property
    def unenforced(self) -> list[UserAudit]:
        """Users who can call AWS without MFA."""
        return [u for u in self.users if not u.mfa_enforced]

    @property
    def exit_code(self) -> int:
        """1 when a user is blocked or MFA is not enforced, or an account was not audited."""
        failed = any(a.error for a in self.accounts)
        return EXIT_PROBLEMS if self.blocked or self.unenforced or failed else EXIT_OK


def audit(
    accounts: Sequence[AccountData],
    *,
    region: str = "us-east-1",
    repo: str = "my-repo",
    users: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> AuditRun:
    """Judge every downloaded account and group the findings."""
    import time

    started = time.perf_counter()
    stats = JudgeStats()
    cache = PolicyCache()  # policies shared across accounts are compiled once
    all_users: list[UserAudit] = []
    findings: list[Finding] = []
    for data in accounts:
        judged = judge_account(
            data, region=region, repo=repo, users=users, groups=groups, stats=stats, cache=cache
        )
        all_users.extend(judged)
        findings.extend(account_findings(data, judged))
    run = AuditRun(list(accounts), all_users, findings, region, repo, stats)
    run.judge_seconds = time.perf_counter() - started
    return run


# --- JSON ---------------------------------------------------------------------------------------


def to_json(run: AuditRun) -> dict[str, Any]:
    """The documented JSON report (docs/audit.md)."""
    return {
        "schema": SCHEMA,
        "region": run.region,
        "repo": run.repo,
        "exitCode": run.exit_code,
        "summary": {
            "accounts": len(run.accounts),
            "users": len(run.users),
            "blocked": len(run.blocked),
            "mfa_not_enforced": len(run.unenforced),
            "policy_sets": run.stats.policy_sets,
        },
        "accounts": [
            {
                "account": a.account,
                "name": a.name,
                "audited": a.error is None,
                "error": a.error,
                "users": sum(1 for u in run.users if u.account == a.account),
                "scp_levels": [[scp.name for scp in level] for level in a.scp_levels],
            }
            for a in run.accounts
        ],
        "users": [u.to_json() for u in run.users],
        "findings": [f.to_json() for f in run.findings],
    }


def render_json(run: AuditRun) -> str:
    """The JSON report as text."""
    return json.dumps(to_json(run), indent=2) + "\n"


# --- CSV ----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "account",
    "user",
    "groups",
    *METHODS,
    "blocked",
    "mfa_enforced",
    "mfa_device",
    "access_keys_active",
    "oldest_active_key_days",
    "last_used",
    "ssh_keys_active",
    "ssh_keys_inactive",
    "git_credentials_active",
    "git_credentials_inactive",
    "findings",
    *(f"deciding_{m}" for m in METHODS),
)


def render_csv(run: AuditRun) -> str:
    """One row per user; `findings` lists the ids of the findings naming the user."""
    named: dict[tuple[str, str], list[str]] = {}
    for finding in run.findings:
        for user in finding.users:
            named.setdefault((finding.account, user), []).append(finding.id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for u in run.users:
        active = [k for k in u.access_keys if k.active]
        ages = [k.age_days for k in active if k.age_days is not None]
        used = sorted((k.last_used for k in u.access_keys if k.last_used), reverse=True)
        writer.writerow(
            [
                u.account,
                u.user,
                ";".join(u.groups),
                *(u.git[m] for m in METHODS),
                str(u.blocked).lower(),
                str(u.mfa_enforced).lower(),
                u.mfa_device,
                len(active),
                max(ages) if ages else "",
                used[0] if used else "",
                "" if u.ssh_keys is None else u.ssh_keys.active,
                "" if u.ssh_keys is None else u.ssh_keys.inactive,
                "" if u.git_credentials is None else u.git_credentials.active,
                "" if u.git_credentials is None else u.git_credentials.inactive,
                ";".join(named.get((u.account, u.user), [])),
                *(u.deciding[m] for m in METHODS),
            ]
        )
    return out.getvalue()


# --- Markdown -----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(run: AuditRun) -> str:
    """A report for a ticket or a wiki page: summary, findings with fixes, who."""
    lines = [
        "# onboard audit",
        "",
        f"{len(run.users)} users in {len(run.accounts)} account(s): "
        f"{len(run.blocked)} cannot use git, {len(run.unenforced)} without MFA enforced "
        f"(repository `{run.repo}`, region `{run.region}`).",
        "",
        "| account | users | blocked | MFA not enforced | audited |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for a in run.accounts:
        mine = [u for u in run.users if u.account == a.account]
        audited = "yes" if a.error is None else f"no: {_cell(a.error)}"
        lines.append(
            f"| {a.account}{f' ({a.name})' if a.name else ''} | {len(mine)} | "
            f"{sum(u.blocked for u in mine)} | {sum(not u.mfa_enforced for u in mine)} | "
            f"{audited} |"
        )
    lines += ["", "## Findings", ""]
    if not run.findings:
        lines.append("No findings: every user can use git and MFA is enforced.")
    for number, f in enumerate(run.findings, start=1):
        lines += [
            f"### {number}. [{f.severity}] {_cell(f.message)}",
            "",
            f"- id: `{f.id}`, account {f.account}, users: {len(f.users)}",
            f"- fix: {f.fix}",
        ]
        if f.users:
            shown = ", ".join(f.users[:MARKDOWN_USERS])
            more = len(f.users) - MARKDOWN_USERS
            lines.append(f"- who: {shown}" + (f" and {more} more" if more > 0 else ""))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def render_text(run: AuditRun) -> str:
    """The terminal summary (no TUI): counts, then one line per finding with its fix."""
    lines = [
        f"{len(run.users)} users in {len(run.accounts)} account(s): {len(run.blocked)} cannot "
        f"use git, {len(run.unenforced)} without MFA enforced.",
    ]
    for f in run.findings:
        lines.append(f"[{f.severity}] {f.account}: {f.message}")
        lines.append(f"    fix: {f.fix}")
    verdict = "all is well" if run.exit_code == 0 else "problems found"
    lines.append(f"Result: {verdict} (exit {run.exit_code}).")
    return "\n".join(lines) + "\n"
