"""Credential, region and endpoint resolution, the way boto3 users expect.

`--profile`, then `AWS_PROFILE`, SSO profiles, the `AWS_ACCESS_KEY_ID` /
`AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` variables, the shared files
(taken from the injected `Home`), `--region`, then `AWS_REGION` /
`AWS_DEFAULT_REGION` / the profile's region, else us-east-1.
`AWS_ENDPOINT_URL` (or `Settings.endpoint_url`) points every client at
another endpoint: that is how the sandbox is reached.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ProfileNotFound

from onboard.aws.errors import NoCredentials
from onboard.settings import Settings

DEFAULT_REGION = "us-east-1"

# boto3 reads these itself from os.environ; with an injected environment we
# pass them explicitly so the injected one wins and nothing leaks in.
_CREDENTIAL_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class ClientOptions:
    """How clients are built: retries, timeouts, endpoint."""

    endpoint_url: str | None = None
    max_attempts: int = 5
    """Total attempts per call, the first included (botocore's total_max_attempts)."""
    retry_mode: str = "adaptive"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def config(self, region: str) -> Config:
        """The botocore Config for clients built with these options."""
        return Config(
            region_name=region,
            retries={"mode": self.retry_mode, "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            **dict(self.extra),
        )


def _environ(settings: Settings) -> Mapping[str, str]:
    return os.environ if settings.environ is None else settings.environ


def resolve_endpoint(settings: Settings) -> str | None:
    """The endpoint every client uses: the sandbox's, AWS_ENDPOINT_URL, or None (AWS)."""
    if settings.endpoint_url:
        return settings.endpoint_url
    return _environ(settings).get("AWS_ENDPOINT_URL") or None


def build_session(settings: Settings) -> boto3.Session:
    """A boto3 session resolved from settings, the injected environment and home."""
    env = _environ(settings)
    core = botocore.session.Session()
    # Shared files come from the injected Home (the sandbox's isolated one,
    # or ~ honouring AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE).
    core.set_config_variable("config_file", str(settings.home.aws_config))
    core.set_config_variable("credentials_file", str(settings.home.aws_credentials))
    profile = settings.profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    explicit: dict[str, str] = {}
    if settings.environ is not None and not settings.profile:
        values = {name: env.get(name, "") for name in _CREDENTIAL_VARS}
        if values["AWS_ACCESS_KEY_ID"] and values["AWS_SECRET_ACCESS_KEY"]:
            explicit = {
                "aws_access_key_id": values["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": values["AWS_SECRET_ACCESS_KEY"],
            }
            if values["AWS_SESSION_TOKEN"]:
                explicit["aws_session_token"] = values["AWS_SESSION_TOKEN"]
            profile = None
    region = settings.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    try:
        session = boto3.Session(
            botocore_session=core,
            profile_name=profile or None,
            region_name=region or None,
            **explicit,
        )
    except ProfileNotFound as exc:
        raise NoCredentials(
            f"AWS profile {profile!r} does not exist",
            f"it is not in {settings.home.aws_config} or {settings.home.aws_credentials}",
            "import the key your administrator gave you under that name "
            "(`onboard credentials import FILE.csv --profile NAME`), or pick another --profile",
            code="ProfileNotFound",
        ) from exc
    if settings.environ is not None:
        # An injected environment replaces os.environ: botocore must not read
        # keys or an endpoint from the process environment behind our back.
        # (After the profile is set: the resolver captures it when built.)
        core.get_component("credential_provider").remove("env")  # no-op when absent
        core.set_config_variable("ignore_configured_endpoint_urls", True)
    return session


def session_region(session: boto3.Session) -> str:
    """The session's region, else us-east-1 (IAM and STS are global anyway)."""
    return session.region_name or DEFAULT_REGION


def credential_source(session: boto3.Session) -> str:
    """Where boto3 found the credentials: env, shared-credentials-file, sso, ..."""
    try:
        credentials = session.get_credentials()
    except Exception:  # any provider failure means: none usable
        return "none"
    if credentials is None:
        return "none"
    method = str(getattr(credentials, "method", "") or "unknown")
    return {"explicit": "env", "shared-credentials-file": "shared-credentials-file"}.get(
        method, method
    )


def session_from_keys(
    access_key_id: str, secret_access_key: str, session_token: str | None, region: str
) -> boto3.Session:
    """A session for explicit keys (e.g. MFA session credentials)."""
    return boto3.Session(
        aws_access_key_id=access_key_id,
        aws_secret_access_key=secret_access_key,
        aws_session_token=session_token,
        region_name=region,
    )
