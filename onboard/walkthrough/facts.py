"""What each walkthrough step does on the account and on disk, without any UI.

The screens run these in thread workers; each returns a frozen result and
raises `OnboardError`s. Secrets (the MFA seed, session credentials, a Git
password) pass through in memory and are never logged or written here,
except the session profile the user asks for (0600, by `awsfiles`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from onboard.aws import files as awsfiles
from onboard.aws.errors import AccessDenied
from onboard.errors import InvalidInput, OnboardError
from onboard.files import EditResult
from onboard.git import config as gitconfig
from onboard.home import Home
from onboard.mfa import codes as mfa
from onboard.settings import Settings
from onboard.ssh import config as sshconfig
from onboard.ssh import keys as sshkeys

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import (
        GitCredential,
        MfaDevice,
        SessionCredentials,
        SshPublicKey,
        VirtualMfaDeviceInfo,
    )


# -- step 2: MFA device ----------------------------------------------------------------


@dataclass(frozen=True)
class MfaFindings:
    """The user's devices, the name policy requires, and any stale device with that name."""

    assigned: tuple[MfaDevice, ...]
    device_name: str
    stale: VirtualMfaDeviceInfo | None


def inspect_mfa(gateway: Gateway, user: str) -> MfaFindings:
    """What the account holds for this user's MFA."""
    assigned = tuple(gateway.list_mfa_devices(user))
    try:
        documents = [policy.document for policy in gateway.effective_policies(user)]
    except AccessDenied:
        documents = []  # without MFA the policies are often unreadable: use the user name
    name = mfa.device_name_for(user, documents)
    stale = None
    if not assigned:
        unassigned = gateway.list_virtual_mfa_devices("Unassigned")
        stale = next((device for device in unassigned if device.name == name), None)
    return MfaFindings(assigned, name, stale)


def stale_device_help(user: str, serial: str) -> str:
    """What a stale device means and exactly what the helpdesk runs."""
    return (
        "A virtual MFA device with the name your account requires already exists "
        f"but was never enabled:\n  {serial}\n"
        "Why: an earlier attempt created it and stopped before enabling it. Its secret "
        "was shown only once, so it cannot be reused, and deleting it needs an MFA "
        "session you do not have yet.\n"
        "Next: ask the helpdesk to run\n"
        # One flag and its value per line: a narrow panel never leaves the ARN alone.
        f"  onboard doctor --user {user} \\\n      --delete-stale-device {serial}\n"
        "(the same as: aws iam delete-virtual-mfa-device \\\n"
        f"      --serial-number {serial}),\n"
        "then press r here to check again."
    )


def group_secret(seed: str) -> str:
    """The seed in groups of four, easier to type into an authenticator app."""
    return " ".join(seed[i : i + 4] for i in range(0, len(seed), 4))


# -- step 3: MFA session ---------------------------------------------------------------


@dataclass(frozen=True)
class SessionResult:
    """The MFA session, the gateway that uses it, and the saved profile if any."""

    credentials: SessionCredentials = field(repr=False)
    gateway: Gateway
    saved: EditResult | None
    profile: str | None


@dataclass(frozen=True)
class SentCode:
    """An MFA code AWS accepted in this run, and what for (AWS takes each code once)."""

    serial: str
    code: str
    use: str
    """What it did, e.g. 'the second code that enabled your device'."""


def enable_codes(serial: str, first: str, second: str) -> tuple[SentCode, SentCode]:
    """The two codes that enabled `serial` (EnableMFADevice), to recognise them later."""
    return (
        SentCode(serial, _plain_code(first), "the first code that enabled your device"),
        SentCode(serial, _plain_code(second), "the second code that enabled your device"),
    )


def reused_code_problem(code: str, serial: str, sent: Iterable[SentCode]) -> str | None:
    """What to say when `code` was already accepted for `serial` in this run, else None.

    AWS refuses a reused code with the same message as a wrong one, so the
    walkthrough says it before asking AWS: people retype the code that just
    enabled the device, which is still on the phone's screen.
    """
    typed = _plain_code(code)
    for item in sent:
        if item.serial == serial and item.code == typed:
            return (
                f"{typed} was already used: it is {item.use}, and AWS takes each code only "
                "once. Wait for your app to show the next code (up to 30 s) and type that one."
            )
    return None


def _plain_code(code: str) -> str:
    return code.strip().replace(" ", "")


def start_session(
    gateway: Gateway,
    settings: Settings,
    serial: str,
    code: str,
    *,
    save: bool,
    duration_seconds: int = 43200,
) -> SessionResult:
    """GetSessionToken with the code; with `save`, also write the `<profile>-mfa` profile."""
    creds = gateway.get_session_token(serial, code, duration_seconds)
    session_gateway = gateway.with_session(creds)
    if not save:
        return SessionResult(creds, session_gateway, None, None)
    return save_session(session_gateway, settings, creds)


def save_session(gateway: Gateway, settings: Settings, creds: SessionCredentials) -> SessionResult:
    """Write the session as the `<profile>-mfa` profile (0600, with its expiry)."""
    region = settings.region or gateway.region
    saved = awsfiles.save_session_profile(
        settings.home, settings.profile, creds, region, creds.expiration
    )
    return SessionResult(creds, gateway, saved, awsfiles.session_profile_name(settings.profile))


def expiry_utc(expiration: datetime) -> str:
    """'2026-11-28 23:12 UTC' (a naive time is taken as UTC, as STS means it)."""
    expires = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
    return f"{expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def describe_expiry(expiration: datetime, now: float) -> str:
    """'until 2026-11-28 23:12 UTC (in 12 h 0 min)'."""
    expires = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
    left = max(int(expires.timestamp() - now), 0)
    hours, minutes = divmod(left // 60, 60)
    return f"until {expires.astimezone(UTC):%Y-%m-%d %H:%M} UTC (in {hours} h {minutes} min)"


# -- step 4: SSH key -------------------------------------------------------------------


def expand_user_path(text: str, home: Home) -> Path:
    """A path the user typed; `~` means the walkthrough's home (the sandbox's, in a sandbox)."""
    text = text.strip()
    if text == "~":
        return home.root
    if text.startswith(("~/", "~\\")):
        return home.root / text[2:]
    return Path(text)


def read_public_key(path: Path) -> sshkeys.KeyInfo:
    """A key file the user named: must be a usable RSA *public* key with its private half.

    Expand `~` first with `expand_user_path` (this reads the path as given).
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}", exc.strerror or str(exc), "check the path"
        ) from exc
    info = sshkeys.inspect_public_key(text, path)
    private = path.with_suffix("") if path.suffix == ".pub" else None
    if private is not None and private.is_file():
        info = replace(info, private_key_path=private)
    return info


def check_usable(key: sshkeys.KeyInfo) -> None:
    """Raise `InvalidInput` when IAM would refuse the key or git could not use it."""
    if not key.usable:
        raise InvalidInput(
            f"{key.path or 'this key'} cannot be used with CodeCommit",
            key.reason,
            "pick an RSA key of 2048 bits or more, or generate codecommit_rsa",
        )
    if key.private_key_path is None:
        raise InvalidInput(
            f"the private key of {key.path or 'this key'} was not found beside it",
            "ssh needs the private half to sign in",
            "pick a key whose private file is in the same folder, or generate one",
        )


@dataclass(frozen=True)
class KeyUpload:
    """The key IAM knows (new or already there) and the ssh config edit."""

    key_id: str
    reused: bool
    identity_file: Path
    ssh_config: EditResult


def find_uploaded(gateway: Gateway, user: str, fingerprint_md5: str) -> SshPublicKey | None:
    """The user's uploaded key with this MD5 fingerprint, if any."""
    wanted = fingerprint_md5.lower().removeprefix("md5:")
    for listed in gateway.list_ssh_public_keys(user):
        full = gateway.get_ssh_public_key(user, listed.key_id)
        if full.fingerprint.lower().removeprefix("md5:") == wanted:
            return full
    return None


def upload_key(
    gateway: Gateway, user: str, key: sshkeys.KeyInfo, home: Home, env: Mapping[str, str]
) -> KeyUpload:
    """Upload the key (or reuse it if IAM has it) and write the ssh config block."""
    check_usable(key)
    assert key.private_key_path is not None
    existing = find_uploaded(gateway, user, key.fingerprint_md5)
    if existing is not None and existing.status != "Active":
        gateway.update_ssh_public_key(user, existing.key_id, "Active")
    uploaded = existing or gateway.upload_ssh_public_key(user, key.public_key)
    edit = sshconfig.write_ssh_config(
        home, uploaded.key_id, key.private_key_path, sshconfig.ssh_version(env)
    )
    return KeyUpload(uploaded.key_id, existing is not None, key.private_key_path, edit)


def oldest_key(keys: list[SshPublicKey]) -> SshPublicKey | None:
    """The key to suggest removing when the 5-key limit is full: inactive first, then oldest."""
    if not keys:
        return None
    far_past = datetime.min.replace(tzinfo=UTC)
    return min(
        keys,
        key=lambda k: (k.status == "Active", k.upload_date or far_past),
    )


def remove_key(gateway: Gateway, user: str, key_id: str) -> None:
    """Deactivate, then delete, an uploaded key (only a deletion frees one of the 5 slots)."""
    gateway.update_ssh_public_key(user, key_id, "Inactive")
    gateway.delete_ssh_public_key(user, key_id)


# -- step 5: git -----------------------------------------------------------------------


@dataclass(frozen=True)
class GitSetup:
    """What configuring a git method did, and the URL to clone with."""

    method: str
    clone_url: str
    commands: tuple[str, ...]
    """git commands run (for the summary)."""
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    """HTTPS Git credential password: shown once, never stored by onboard."""
    credential_id: str | None = None
    note: str = ""


GIT_CREDENTIAL_SLOTS = 2
"""IAM keeps at most two HTTPS Git credentials per user and service."""


class CredentialSlotsFull(OnboardError):
    """Both Git-credential slots are used: reset one (new password) instead of a third."""

    def __init__(self, credentials: tuple[GitCredential, ...]) -> None:
        oldest = min(credentials, key=lambda c: c.create_date or datetime.min.replace(tzinfo=UTC))
        super().__init__(
            "you already have 2 HTTPS Git credentials, IAM's limit",
            "a third cannot be created",
            f"reset {oldest.username} ({oldest.id}): it gets a new password and the old "
            "one stops working",
        )
        self.credentials = credentials
        self.oldest = oldest


def codecommit_host(region: str) -> str:
    """CodeCommit's git host in a region."""
    return f"git-codecommit.{region}.amazonaws.com"


def apply_git_method(
    method: str,
    *,
    settings: Settings,
    region: str,
    repo: str,
    gateway: Gateway | None,
    user: str,
    aws_profile: str | None,
    reset_id: str | None = None,
) -> GitSetup:
    """Configure git for `method` and return the clone URL.

    https-helper writes the scoped AWS CLI helper; https-git-credentials
    creates a service-specific credential (needs the MFA session gateway)
    and hands it to git's own credential store; ssh relies on step 4's
    block; grc only needs the codecommit:// URL and the tool installed.
    """
    env = settings.env()
    url = gitconfig.clone_url(region, repo, method, aws_profile)
    if method == "https-helper":
        helper_commands = gitconfig.configure_credential_helper(env, profile=aws_profile)
        return GitSetup(method, url, tuple(helper_commands))
    if method == "https-git-credentials":
        if gateway is None:
            raise InvalidInput("no AWS session", "", "go back to step 1")
        # Set up the keeper first: AWS shows the password once, so it must have a home
        # before it exists.
        existing = gateway.list_service_specific_credentials(user)
        if reset_id is None and len(existing) >= GIT_CREDENTIAL_SLOTS:
            raise CredentialSlotsFull(tuple(existing))
        helper, where = gitconfig.suggested_password_helper(settings.platform, env)
        commands = tuple(gitconfig.configure_password_helper(env, helper))
        credential = (
            gateway.reset_service_specific_credential(user, reset_id)
            if reset_id is not None
            else gateway.create_service_specific_credential(user)
        )
        if reset_id is None and len(existing) == GIT_CREDENTIAL_SLOTS - 1:
            where += "; these take your last Git-credential slot (IAM allows 2)"
        if credential.password is None:
            raise InvalidInput(
                "AWS returned no password for the new Git credential",
                "the password is only shown when the credential is created",
                "run this step again (it creates a new credential)",
            )
        gitconfig.store_git_credentials(
            env, codecommit_host(region), credential.username, credential.password.reveal()
        )
        return GitSetup(
            method,
            url,
            commands,
            credential.username,
            credential.password.reveal(),  # shown once on the Git step, as AWS shows it
            credential.id,
            f"git keeps the password in {where}",
        )
    if method == "ssh":
        return GitSetup(method, url, (), note="uses the ssh config block from step 4")
    if method == "grc":
        return GitSetup(
            method,
            url,
            (),
            # Installed: the Git step checks it is on the PATH before configuring.
            note="git runs git-remote-codecommit, which signs with the profile in the URL",
        )
    raise InvalidInput(f"unknown git method {method!r}", "", "pick one from the list")
