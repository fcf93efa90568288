"""Step 1 from nothing: check the access key an administrator handed over, then save it.

`check_key` asks STS who the key belongs to *before* anything is written;
`likely_regions` orders a short list of regions (the CSV's console link,
then regions where the account's CodeCommit repositories are, then the
usual ones); `save_key` writes the profile through `onboard.aws.files`
(atomic, 0600, backup). The secret is only ever in memory until then.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.aws import files as awsfiles
from onboard.aws.errors import AwsError, ClockSkew, EndpointUnreachable, NoCredentials
from onboard.aws.keyfile import COMMON_REGIONS, AccessKey
from onboard.errors import InvalidInput, OnboardError
from onboard.files import EditResult
from onboard.home import Home
from onboard.platform import Platform
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import CallerIdentity

# boto3 is imported inside the functions that call AWS: importing this module
# (the CLI's parser, the screens' handlers) stays light.
DEFAULT_REGION = "us-east-1"


class KeyRejected(OnboardError):
    """AWS refused the access key (unknown, inactive, deleted, or a wrong secret)."""

    exit_code = 1

    def __init__(self, what: str, why: str, next_step: str, *, code: str = "") -> None:
        super().__init__(what, why, next_step)
        self.code = code


@dataclass(frozen=True)
class CheckedKey:
    """A key AWS accepted, and who it belongs to."""

    key: AccessKey
    identity: CallerIdentity

    @property
    def user_name(self) -> str:
        return self.identity.user_name or ""


@dataclass(frozen=True)
class SavedKey:
    """Where the key was saved."""

    profile: str
    region: str | None
    credentials: EditResult
    config: EditResult | None


def _gateway(settings: Settings, key: AccessKey, region: str) -> Gateway:
    from onboard.aws import session as sess
    from onboard.aws.gateway import Gateway

    session = sess.session_from_keys(
        key.access_key_id, key.secret_access_key.reveal(), None, region
    )
    # Two attempts: a refused key is refused at once, and the screen waits on this.
    options = sess.ClientOptions(endpoint_url=sess.resolve_endpoint(settings), max_attempts=2)
    gateway = Gateway(session, options, region)
    gateway.credential_source_override = "typed key" if key.source == "typed" else "CSV file"
    return gateway


def check_key(settings: Settings, key: AccessKey) -> CheckedKey:
    """STS GetCallerIdentity with the key; KeyRejected with AWS's reason when it is refused."""
    gateway = _gateway(settings, key, settings.region or DEFAULT_REGION)
    try:
        identity = gateway.whoami()
    except (ClockSkew, EndpointUnreachable):
        raise
    except NoCredentials as exc:
        raise rejected(exc, key) from None
    if identity.principal_type != "user" or not identity.user_name:
        raise KeyRejected(
            f"the key belongs to {identity.arn}, not an IAM user",
            "MFA devices, SSH keys and Git credentials belong to IAM users",
            "ask your administrator for the access key of your own IAM user",
            code="NotAUser",
        )
    return CheckedKey(key, identity)


def rejected(exc: AwsError, key: AccessKey) -> KeyRejected:
    """What a refused key means, in AWS's words and what to ask the administrator for."""
    reason = exc.why or exc.code or exc.what
    if exc.code == "SignatureDoesNotMatch":
        return KeyRejected(
            f"AWS knows the key {key.access_key_id} but the secret does not match it",
            reason,
            "copy the whole secret access key again (40 characters, no spaces); if it still "
            "fails, ask your administrator for a new access key",
            code=exc.code,
        )
    return KeyRejected(
        f"AWS does not accept the key {key.access_key_id}",
        reason,
        "the key is mistyped, inactive or deleted: check the key ID, else ask your "
        "administrator to activate this key or to create a new access key for your IAM user",
        code=exc.code,
    )


def repository_regions(
    settings: Settings,
    key: AccessKey,
    regions: Sequence[str],
    timeout: float = 5.0,
    budget: float = 6.0,
) -> list[str]:
    """The regions (of `regions`) where the account has CodeCommit repositories the key can list.

    Asked in parallel, within `budget` seconds in all; a region that refuses
    (no permission, MFA required, not enabled) or does not answer in time is
    simply not in the result.
    """
    from concurrent.futures import ThreadPoolExecutor, wait

    from onboard.aws import session as sess
    from onboard.aws.gateway import Gateway

    if not regions:
        return []
    # One boto3 session for all regions (its service models load once); the clients
    # are built here, in one thread, because a session is not thread-safe (clients are).
    session = sess.session_from_keys(
        key.access_key_id, key.secret_access_key.reveal(), None, regions[0]
    )
    options = sess.ClientOptions(
        endpoint_url=sess.resolve_endpoint(settings),
        max_attempts=1,
        connect_timeout=timeout,
        read_timeout=timeout,
    )
    gateways = [Gateway(session, options, region) for region in regions]
    for gateway in gateways:
        gateway.client("codecommit")

    def has_repositories(gateway: Gateway) -> bool:
        try:
            return bool(gateway.list_repositories())
        except AwsError:
            return False

    pool = ThreadPoolExecutor(max_workers=min(len(gateways), 6))
    futures = [pool.submit(has_repositories, gateway) for gateway in gateways]
    done, _ = wait(futures, timeout=budget)
    pool.shutdown(wait=False, cancel_futures=True)  # a slow region must not hold the screen
    return [
        gateway.region
        for gateway, future in zip(gateways, futures, strict=True)
        if future in done and future.exception() is None and future.result()
    ]


def likely_regions(
    hint: str | None,
    configured: str | None,
    with_repositories: Iterable[str] = (),
    common: Sequence[str] = COMMON_REGIONS,
) -> list[str]:
    """The short list to choose from, the likely one first, no repeats."""
    ordered = [hint, *with_repositories, configured, *common]
    return list(dict.fromkeys(region for region in ordered if region))


def suggest_profile(home: Home, user_name: str | None, key_id: str | None = None) -> str:
    """The profile that already holds `key_id`, else `default` when free, else the user name."""
    if key_id is not None:
        for profile in awsfiles.read_profiles(home):
            if awsfiles.saved_key_id(home, profile) == key_id:
                return profile  # saved before: saving again changes nothing
    if not awsfiles.profile_exists(home, "default"):
        return "default"
    base = "".join(c if c.isalnum() or c in "+=,.@_-" else "-" for c in user_name or "") or "work"
    candidate, number = base, 2
    while awsfiles.profile_exists(home, candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def profile_problem(home: Home, profile: str, key: AccessKey) -> str | None:
    """Why `profile` cannot take this key (taken by another, bad name), or None."""
    name = profile.strip()
    if not name:
        return "Type a profile name."
    if not all(c.isalnum() or c in "+=,.@:/_-" for c in name) or len(name) > 128:
        return "A profile name uses letters, digits and + = , . @ : / _ -"
    if awsfiles.saved_key_id(home, name) == key.access_key_id:
        return None  # the same key again: saving changes nothing
    if awsfiles.profile_exists(home, name):
        return f"The profile {name!r} already exists with other credentials: choose another name."
    return None


def save_key(home: Home, checked: CheckedKey, profile: str, region: str | None) -> SavedKey:
    """Write the checked key as `profile` (credentials 0600, region in config)."""
    problem = profile_problem(home, profile, checked.key)
    if problem:
        raise InvalidInput(f"cannot save the key as {profile!r}", problem, "choose another name")
    key = checked.key
    credentials, config = awsfiles.save_key_profile(
        home, profile.strip(), key.access_key_id, key.secret_access_key, region
    )
    return SavedKey(profile.strip(), region, credentials, config)


def delete_key_file(path: Path) -> None:
    """Remove the imported CSV (it holds the secret in clear text)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InvalidInput(
            f"cannot delete {path}", exc.strerror or str(exc), f"delete {path} yourself"
        ) from None


def helper_needs_cli(platform: Platform, aws_cli: bool) -> str | None:
    """What the Git step says about the credential helper when the AWS CLI is missing."""
    if aws_cli:
        return None
    return (
        "The AWS CLI credential helper needs the AWS CLI, which is not installed here. "
        f"Install it with:\n  {platform.aws_cli_install_command}\n"
        "then open a new terminal (or choose another method)."
    )


def configure_command(env: Mapping[str, str], profile: str | None = None) -> str:
    """The command that puts a key into `profile`, for a fix text on this machine.

    `aws configure` only where the AWS CLI is on the PATH; otherwise
    onboard's own import of the administrator's CSV.
    """
    flag = f" --profile {profile}" if profile and profile != "default" else ""
    if shutil.which("aws", path=env.get("PATH")) is not None:
        return f"aws configure{flag}"
    return f"onboard credentials import FILE.csv{flag}"
