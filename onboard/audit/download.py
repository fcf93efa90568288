"""Read an account (or every account of an organization) for the audit.

Per account: `GetAccountAuthorizationDetails` (all pages), the credential
report and `ListVirtualMFADevices`, the three side by side; with `keys`, each
user's SSH keys and Git credentials, `max_concurrency` calls at a time
(botocore's adaptive retries absorb IAM's throttling). Per organization: the
accounts, the SCPs on each one's path (root, OUs, account), and AssumeRole
into every member account, `max_concurrency` accounts at a time. An account
that cannot be read is kept with its error: the others are still audited.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from onboard.audit.model import AccountData, CredentialState, NamedDocument, UserKeys
from onboard.aws.errors import AwsError
from onboard.aws.gateway import Gateway
from onboard.aws.inventory import PAGE_SIZE
from onboard.aws.models import IamUserDetail

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


def download_account(
    gateway: Gateway,
    account: str,
    *,
    name: str = "",
    keys: bool = False,
    scp_levels: tuple[tuple[NamedDocument, ...], ...] = (),
    max_concurrency: int = 8,
    progress: Progress = _quiet,
    select: Callable[[IamUserDetail], bool] | None = None,
) -> AccountData:
    """Everything the audit needs from one account (keys only of the users `select` keeps)."""
    gateway = gateway.with_options(extra={"max_pool_connections": max(10, max_concurrency)})
    gateway.use_fast_timestamps()
    gateway.client("iam")  # built here: building clients is not thread-safe, using them is

    def pages(count: int) -> None:
        progress(f"{account}: {count} users read")

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="audit-download") as pool:
        details = pool.submit(gateway.authorization_details, pages)
        report = pool.submit(gateway.credential_report)
        devices = pool.submit(gateway.list_virtual_mfa_devices, "Any", PAGE_SIZE)
        data = AccountData(
            account,
            name,
            details=details.result(),
            report={row.user: row for row in report.result()},
            devices=devices.result(),
            scp_levels=scp_levels,
        )
    assert data.details is not None
    progress(f"{account}: {len(data.details.users)} users, credential report and MFA devices read")
    if keys:
        chosen = [u.name for u in data.details.users if select is None or select(u)]
        data.keys = download_keys(gateway, chosen, max_concurrency, progress, account)
    return data


def download_keys(
    gateway: Gateway,
    users: Sequence[str],
    max_concurrency: int,
    progress: Progress = _quiet,
    account: str = "",
) -> dict[str, UserKeys]:
    """Each user's SSH keys and HTTPS Git credentials (two calls per user, concurrently)."""
    done = 0
    lock = threading.Lock()

    def one(user: str) -> tuple[str, UserKeys]:
        nonlocal done
        ssh = gateway.list_ssh_public_keys(user)
        creds = gateway.list_service_specific_credentials(user)
        with lock:
            done += 1
            if done % 100 == 0 or done == len(users):
                progress(f"{account}: keys of {done}/{len(users)} users read")
        return user, UserKeys(_count(k.status for k in ssh), _count(c.status for c in creds))

    with ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="audit-keys") as pool:
        return dict(pool.map(one, users))


def _count(statuses: Any) -> CredentialState:
    values = list(statuses)
    active = sum(1 for s in values if s == "Active")
    return CredentialState(active, len(values) - active)


def scp_levels_for(
    gateway: Gateway, account: str, cache: dict[str, NamedDocument], lock: threading.Lock
) -> tuple[tuple[NamedDocument, ...], ...]:
    """The SCPs on the account's path, root first; each SCP described once per run."""
    levels = []
    for target in gateway.path_to_root(account):
        level = []
        for policy_id in gateway.scp_ids_for_target(target):
            with lock:
                found = cache.get(policy_id)
            if found is None:
                scp = gateway.describe_scp(policy_id)
                found = NamedDocument(f"{scp.arn} ({scp.name})", scp.document)
                with lock:
                    cache[policy_id] = found
            level.append(found)
        levels.append(tuple(level))
    return tuple(levels)


def download_organization(
    gateway: Gateway,
    role_name: str,
    *,
    keys: bool = False,
    max_concurrency: int = 4,
    progress: Progress = _quiet,
    select: Callable[[IamUserDetail], bool] | None = None,
) -> list[AccountData]:
    """Every active account of the caller's organization, entered through `role_name`."""
    management = gateway.organization_management_account()
    accounts = [a for a in gateway.list_accounts() if a.status in ("ACTIVE", "")]
    progress(f"organization: {len(accounts)} accounts")
    gateway.client("organizations")
    gateway.client("sts")
    cache: dict[str, NamedDocument] = {}
    lock = threading.Lock()

    def one(index: int) -> AccountData:
        account = accounts[index]
        try:
            if account.id == management:
                # SCPs never apply to the management account; the caller is already in it.
                return download_account(
                    gateway,
                    account.id,
                    name=account.name,
                    keys=keys,
                    progress=progress,
                    select=select,
                )
            levels = scp_levels_for(gateway, account.id, cache, lock)
            role_arn = f"arn:aws:iam::{account.id}:role/{role_name}"
            member = gateway.assume_role_gateway(role_arn)
            return download_account(
                member,
                account.id,
                name=account.name,
                keys=keys,
                scp_levels=levels,
                progress=progress,
                select=select,
            )
        except AwsError as exc:
            progress(f"{account.id}: not audited ({exc.what})")
            return AccountData(account.id, account.name, error=_one_line(exc))

    with ThreadPoolExecutor(
        max_workers=max(1, max_concurrency), thread_name_prefix="audit-accounts"
    ) as pool:
        return list(pool.map(one, range(len(accounts))))


def _one_line(exc: AwsError) -> str:
    text = exc.what
    why = getattr(exc, "why", "")
    return f"{text}: {why}" if why else text
