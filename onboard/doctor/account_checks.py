"""Checks of the AWS side: credentials, clock, MFA devices, keys, policies.

In helpdesk mode (`ctx.subject_user`) the same account checks run for
another user with the helpdesk's credentials; checks that only make sense
for the caller's own computer (clock, local credentials) are not registered
for that mode.
"""

from __future__ import annotations

import configparser
from datetime import UTC, datetime
from typing import Any

from onboard.aws.credentials import configure_command
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, Status, ok, skipped
from onboard.errors import OnboardError

ACCESS_KEY_MAX_AGE_DAYS = 90
CLOCK_WARN_SECONDS = 60
CLOCK_FAIL_SECONDS = 300
ROOT_DEVICE_MARKER = "root-account-mfa-device"


def _chain_profile(ctx: DoctorContext) -> str | None:
    """The profile git's helper (or grc) loads; None when it uses environment keys."""
    from onboard.doctor.credential_checks import git_chain

    return git_chain(ctx).profile


def _credentials_section(ctx: DoctorContext) -> tuple[str, dict[str, str]] | None:
    profile = _chain_profile(ctx) or "default"
    parser = configparser.RawConfigParser()
    try:
        parser.read(ctx.settings.home.aws_credentials, encoding="utf-8")
    except configparser.Error:
        return None
    if not parser.has_section(profile):
        return None
    return profile, dict(parser.items(profile))


def check_expiry(ctx: DoctorContext) -> Finding:
    """A session (temporary) profile has not expired; long-term keys do not expire."""
    env = ctx.env()
    profile_name = _chain_profile(ctx)
    if profile_name is None:
        kind = "session" if env.get("AWS_SESSION_TOKEN") else "long-term"
        return ok("credentials.expiry", f"{kind} credentials from the environment")
    config = _config_section(ctx, profile_name)
    if "sso_session" in config or "sso_start_url" in config:
        return _sso_expiry(ctx, profile_name, config)
    found = _credentials_section(ctx)
    if found is None:
        return skipped("credentials.expiry", "no credentials-file profile in use")
    profile, values = found
    if "aws_session_token" not in values:
        return ok("credentials.expiry", f"profile {profile} holds a long-term access key")
    raw = values.get("expiration") or values.get("aws_expiration")
    if not raw:
        return Finding(
            "credentials.expiry",
            "warn",
            f"profile {profile} holds a session token with no recorded expiry",
        )
    try:
        expires = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return Finding("credentials.expiry", "warn", f"cannot read expiration {raw!r}")
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return Finding(
            "credentials.expiry",
            "fail",
            f"the MFA session in profile {profile} expired at {expires:%Y-%m-%d %H:%M} UTC",
            fix=Fix("Get a new MFA session: run onboard (session step)"),
            causes=("expired-session-token",),
        )
    return Finding(
        "credentials.expiry",
        "ok",
        f"session in profile {profile} valid until {expires:%Y-%m-%d %H:%M} UTC",
        rules_out=("expired-session-token",),
    )


def _sso_expiry(ctx: DoctorContext, profile: str, config: dict[str, str]) -> Finding:
    """The IAM Identity Center token botocore cached for this profile: there, and unexpired."""
    import hashlib
    import json

    # botocore names the cache file after the sso-session name (or the legacy start URL).
    key = config.get("sso_session") or config.get("sso_start_url", "")
    cache = (
        ctx.settings.home.aws_dir
        / "sso"
        / "cache"
        / f"{hashlib.sha1(key.encode()).hexdigest()}.json"
    )
    login = Fix("Log in again (the token lasts hours)", f"aws sso login --profile {profile}")
    try:
        raw = json.loads(cache.read_text(encoding="utf-8")).get("expiresAt", "")
        expires = datetime.fromisoformat(str(raw).replace("UTC", "+00:00").replace("Z", "+00:00"))
    except (OSError, ValueError, AttributeError):
        return Finding(
            "credentials.expiry",
            "fail",
            f"profile {profile} uses IAM Identity Center, and no SSO login is cached",
            (f"looked for {cache}",),
            login,
            causes=("expired-sso-token",),
        )
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires <= datetime.now(UTC):
        return Finding(
            "credentials.expiry",
            "fail",
            f"the SSO login of profile {profile} expired at {expires:%Y-%m-%d %H:%M} UTC",
            fix=login,
            causes=("expired-sso-token",),
        )
    return Finding(
        "credentials.expiry",
        "ok",
        f"SSO login of profile {profile} valid until {expires:%Y-%m-%d %H:%M} UTC",
        rules_out=("expired-sso-token",),
    )


def _config_section(ctx: DoctorContext, profile: str) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(ctx.settings.home.aws_config, encoding="utf-8")
    except configparser.Error:
        return {}
    section = profile if profile == "default" else f"profile {profile}"
    return dict(parser.items(section)) if parser.has_section(section) else {}


def check_profile(ctx: DoctorContext) -> Finding:
    """Where the credentials come from: environment, keys, SSO, credential_process, aws login."""
    profile = _chain_profile(ctx)
    if profile is None:
        return ok("credentials.profile", "credentials from AWS_ACCESS_KEY_ID in the environment")
    config = _config_section(ctx, profile)
    if "login_session" in config:
        return Finding(
            "credentials.profile",
            "warn",
            f"profile {profile} uses `aws login`: git-remote-codecommit cannot read it (403)",
            fix=Fix("Use an MFA session or SSO profile for codecommit:// URLs"),
            causes=("grc-aws-login-unsupported",),
        )
    if "sso_session" in config or "sso_start_url" in config:
        return ok("credentials.profile", f"profile {profile} uses IAM Identity Center (SSO)")
    if "credential_process" in config:
        return ok("credentials.profile", f"profile {profile} runs a credential_process")
    if "role_arn" in config:
        return ok("credentials.profile", f"profile {profile} assumes {config['role_arn']}")
    found = _credentials_section(ctx)
    if found is not None:
        kind = "an MFA session" if "aws_session_token" in found[1] else "a long-term access key"
        return ok("credentials.profile", f"profile {profile} holds {kind}")
    return Finding(
        "credentials.profile",
        "warn",
        f"profile {profile} is not in {ctx.settings.home.aws_credentials} or the config file",
        fix=Fix("Configure it", configure_command(ctx.env(), profile)),
        causes=("no-credentials-configured",),
    )


def check_clock(ctx: DoctorContext) -> Finding:
    """This computer's clock agrees with AWS's (SigV4 tolerates a few minutes)."""
    skew = ctx.gateway().server_clock_skew()
    summary = f"clock is {abs(skew):.0f} s {'behind' if skew > 0 else 'ahead of'} AWS"
    if abs(skew) >= CLOCK_FAIL_SECONDS:
        return Finding(
            "credentials.clock",
            "fail",
            summary,
            fix=Fix("Turn on automatic time synchronisation (NTP)"),
            causes=("clock-skew",),
            data={"skew_seconds": round(skew, 1)},
        )
    status: Status = "warn" if abs(skew) >= CLOCK_WARN_SECONDS else "ok"
    return Finding(
        "credentials.clock",
        status,
        summary,
        rules_out=("clock-skew",) if status == "ok" else (),
        data={"skew_seconds": round(skew, 1)},
    )


def check_access_keys(ctx: DoctorContext) -> Finding:
    """Access keys: how many are active, how old, when last used."""
    user = ctx.user_name()
    gateway = ctx.gateway()
    keys = gateway.list_access_keys(user)
    details = []
    old = []
    for key in keys:
        age = f"{key.age_days:.0f} days" if key.age_days is not None else "age unknown"
        try:
            used = gateway.access_key_last_used(key.access_key_id).last_used
        except OnboardError:
            used = None
        last = f"last used {used:%Y-%m-%d}" if used else "never used"
        details.append(f"{key.access_key_id} {key.status}, {age}, {last}")
        if key.status == "Active" and (key.age_days or 0) > ACCESS_KEY_MAX_AGE_DAYS:
            old.append(key.access_key_id)
    active = [k for k in keys if k.status == "Active"]
    data: dict[str, Any] = {"keys": len(keys), "active": len(active)}
    if old:
        return Finding(
            "credentials.access_keys",
            "warn",
            f"{len(old)} active access key(s) older than {ACCESS_KEY_MAX_AGE_DAYS} days",
            tuple(details),
            Fix("Rotate the key: create a new one, switch, then deactivate the old one"),
            data=data,
        )
    if not active:
        profile = "" if ctx.helpdesk else " --profile " + ctx.mfa_profile()
        return Finding(
            "credentials.access_keys",
            "warn",
            f"{user} has no active access key: the AWS CLI helper and git-remote-codecommit "
            "cannot sign",
            tuple(details),
            Fix(
                "Create a new access key (shown once) and configure it with aws configure",
                f"aws iam create-access-key --user-name {user}{profile}",
            ),
            data=data,
        )
    return Finding(
        "credentials.access_keys",
        "ok",
        f"{user}: {len(active)} active access key(s)",
        tuple(details),
        data=data,
    )


def check_mfa_devices(ctx: DoctorContext) -> Finding:
    """The user has an MFA device assigned."""
    user = ctx.user_name()
    devices = ctx.gateway().list_mfa_devices(user)
    if not devices:
        fix = (
            Fix(f"{user} enrolls a device by running onboard (MFA step), after any stale device "
                "(mfa.stale_device) is deleted")
            if ctx.helpdesk
            else Fix("Enroll a virtual MFA device: run onboard (MFA step)")
        )  # fmt: skip
        return Finding(
            "mfa.devices",
            "warn",
            f"{user} has no MFA device: the force-MFA policy blocks almost everything",
            fix=fix,
            data={"devices": []},
        )
    serials = [d.serial for d in devices]
    return ok("mfa.devices", f"{len(devices)} MFA device(s) assigned", *serials, devices=serials)


def stale_devices(ctx: DoctorContext) -> list[str]:
    """Serials of unassigned virtual devices that hold the user's device name."""
    user = ctx.user_name()
    devices = ctx.fact("unassigned", lambda: ctx.gateway().list_virtual_mfa_devices("Unassigned"))
    return [
        d.serial
        for d in devices
        if ROOT_DEVICE_MARKER not in d.serial and d.serial.rsplit("/", 1)[-1] == user
    ]


def check_stale_device(ctx: DoctorContext) -> Finding:
    """No abandoned, never-enabled virtual device holds the name the user needs."""
    stale = stale_devices(ctx)
    if not stale:
        return ok("mfa.stale_device", "no stale unassigned MFA device holds the user's name")
    user = ctx.user_name()
    return Finding(
        "mfa.stale_device",
        "warn",
        f"an unassigned virtual MFA device named {user} exists (enrolling fails with "
        "EntityAlreadyExists)",
        tuple(stale),
        Fix(
            "A helpdesk deletes it (the user cannot without MFA)",
            f"onboard doctor --user {user} --delete-stale-device",
            action="delete-stale-device",
        ),
        data={"serials": stale},
    )


def check_user(ctx: DoctorContext) -> Finding:
    """Helpdesk: the user named with --user exists (GetUser)."""
    from onboard.aws.translate import call

    user = ctx.user_name()
    try:
        raw = ctx.fact("user", lambda: call("GetUser", ctx.gateway().client("iam").get_user,
                                              UserName=user))  # fmt: skip
    except OnboardError as exc:
        if type(exc).__name__ != "NotFound":
            raise
        return Finding(
            "account.user",
            "fail",
            f"NoSuchEntity: there is no IAM user {user} in this account",
            (exc.why,),
            Fix("Check the name in the ticket (IAM user names are case-sensitive) and the "
                "account the helpdesk credentials belong to", "aws iam list-users"),
            data={"user": user, "error": "NoSuchEntity"},
        )  # fmt: skip
    arn = str(raw.get("User", {}).get("Arn", user))
    return ok("account.user", f"{arn} exists", user=user)


CHECKS = (
    CheckSpec("account.user", check_user, helpdesk=True, self_mode=False),
    CheckSpec("credentials.profile", check_profile),
    CheckSpec("credentials.expiry", check_expiry),
    CheckSpec("credentials.clock", check_clock),
    CheckSpec("credentials.access_keys", check_access_keys, helpdesk=True),
    CheckSpec("mfa.devices", check_mfa_devices, helpdesk=True),
    CheckSpec("mfa.stale_device", check_stale_device, helpdesk=True),
)
