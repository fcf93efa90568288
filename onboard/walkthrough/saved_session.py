"""The MFA session a re-run finds saved as `<profile>-mfa`, read back for this run.

`awsfiles.read_session_profile` reports a saved session without its
secrets; the walkthrough needs the credentials themselves to judge the
policy with MFA, as the user's own AWS CLI and git-remote-codecommit do.
"""

from __future__ import annotations

import configparser
from datetime import UTC, datetime

from onboard.aws import files as awsfiles
from onboard.aws.models import SessionCredentials
from onboard.home import Home
from onboard.secret import Secret


def load_saved_session(home: Home, profile: str | None, now: float) -> SessionCredentials | None:
    """The saved MFA session's credentials while it is still valid at `now`, else None."""
    saved = awsfiles.read_session_profile(home, profile)
    if saved is None or saved.expiration is None:
        return None
    expiration = saved.expiration
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=UTC)
    if expiration <= datetime.fromtimestamp(now, UTC):
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read(home.aws_credentials, encoding="utf-8")
        section = parser[saved.profile]
        return SessionCredentials(
            access_key_id=section["aws_access_key_id"].strip(),
            secret_access_key=Secret(section["aws_secret_access_key"].strip()),
            session_token=Secret(section["aws_session_token"].strip()),
            expiration=expiration,
        )
    except (configparser.Error, KeyError, OSError):
        return None  # unreadable: the walkthrough asks for a new session instead
