"""One audit from options to result: which accounts, with which credentials, then judge.

Shared by `onboard audit` (CLI) and the audit screen: both call `run_audit`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from onboard.audit.download import Progress, download_account, download_organization
from onboard.audit.model import AccountData
from onboard.audit.report import AuditRun, audit
from onboard.aws.models import IamUserDetail
from onboard.runtime import helpdesk_settings
from onboard.settings import Settings


@dataclass(frozen=True)
class AuditOptions:
    """What to audit and how (validated by the CLI)."""

    org: bool = False
    role_name: str | None = None
    keys: bool = False
    max_concurrency: int = 4
    profiles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    repo: str = "my-repo"

    def selects(self, user: IamUserDetail) -> bool:
        """Is this user audited (the --user/--group filters)?"""
        if self.users and user.name not in self.users:
            return False
        return not self.groups or bool(set(self.groups).intersection(user.groups))


def _quiet(_message: str) -> None:
    return None


def download(
    options: AuditOptions, settings: Settings, progress: Progress = _quiet
) -> list[AccountData]:
    """Read the accounts the options name, with the caller's (or the helpdesk's) credentials."""
    from onboard.aws.gateway import Gateway

    if options.profiles:
        every = [settings.replace(profile=p, environ=None) for p in options.profiles]
    else:
        every = [helpdesk_settings(settings)]
    accounts: list[AccountData] = []
    for one in every:
        gateway = Gateway.from_settings(one)
        if options.org:
            accounts.extend(
                download_organization(
                    gateway,
                    options.role_name or "",
                    keys=options.keys,
                    max_concurrency=options.max_concurrency,
                    progress=progress,
                    select=options.selects,
                )
            )
            continue
        identity = gateway.whoami()
        progress(f"{identity.account}: reading as {identity.arn}")
        accounts.append(
            download_account(
                gateway,
                identity.account,
                keys=options.keys,
                max_concurrency=options.max_concurrency,
                progress=progress,
                select=options.selects,
            )
        )
    return accounts


def run_audit(options: AuditOptions, settings: Settings, progress: Progress = _quiet) -> AuditRun:
    """Download, judge, group: the whole audit."""
    started = time.perf_counter()
    accounts = download(options, settings, progress)
    download_seconds = time.perf_counter() - started
    progress(f"judging {sum(len(a.details.users) for a in accounts if a.details)} users")
    result = audit(
        accounts,
        region=gateway_region(settings),
        repo=options.repo,
        users=options.users,
        groups=options.groups,
    )
    result.download_seconds = download_seconds
    return result


def gateway_region(settings: Settings) -> str:
    """The region the git requests are judged in (the settings', else us-east-1)."""
    return settings.region or "us-east-1"
