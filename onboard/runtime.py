"""Settings for the doctor and MFA commands: real account, or the embedded sandbox."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from onboard.settings import Settings

HELPDESK_KEY_VARS = ("ONBOARD_HELPDESK_ACCESS_KEY_ID", "ONBOARD_HELPDESK_SECRET_ACCESS_KEY")


@contextmanager
def settings_for(args: argparse.Namespace) -> Iterator[Settings]:
    """Settings from the top-level options; with --sandbox, a running sandbox's."""
    repo = getattr(args, "repo", None)
    if not getattr(args, "sandbox", False):
        yield Settings(profile=args.profile, region=args.region, repo=repo)
        return
    from onboard.sandbox.account import Sandbox

    sandbox = Sandbox.start(args.scenario)
    try:
        yield sandbox.settings().replace(repo=repo or sandbox.repo_name)
    finally:
        sandbox.stop()


def helpdesk_settings(settings: Settings) -> Settings:
    """The helpdesk's credentials: ONBOARD_HELPDESK_ACCESS_KEY_ID/SECRET when set.

    Without those variables the helpdesk runs with its own profile or
    environment, exactly as given.
    """
    base = dict(os.environ if settings.environ is None else settings.environ)
    key_id, secret = (base.get(name, "") for name in HELPDESK_KEY_VARS)
    if not (key_id and secret):
        return settings
    environ = {k: v for k, v in base.items() if k not in ("AWS_SESSION_TOKEN", "AWS_PROFILE")}
    environ["AWS_ACCESS_KEY_ID"] = key_id
    environ["AWS_SECRET_ACCESS_KEY"] = secret
    return settings.replace(environ=environ, profile=None)
