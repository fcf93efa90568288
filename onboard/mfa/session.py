"""MFA sessions as the account's policy wants them: duration within `aws:MultiFactorAuthAge`.

A policy can say how old the MFA behind a request may be (`NumericLessThan
aws:MultiFactorAuthAge 3600` on an Allow, or `NumericGreaterThan` on a
Deny). A session longer than that limit is useless after it: requests then
carry an age the policy refuses. The walkthrough and `onboard mfa session`
choose the duration within the limit, and renew a saved session with one code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from onboard.aws import files as awsfiles
from onboard.errors import InvalidInput
from onboard.files import EditResult
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import SessionCredentials

AGE_KEY = "aws:multifactorauthage"
MIN_DURATION = 900
"""GetSessionToken's shortest session (15 minutes)."""
MAX_DURATION = 129_600
"""GetSessionToken's longest session for an IAM user (36 hours)."""
DEFAULT_DURATION = 43_200
"""12 hours: STS's default, and a working day."""

# Operators that put an upper bound on the age, by the statement's effect.
_UPPER_ON_ALLOW = ("numericlessthan", "numericlessthanequals")
_UPPER_ON_DENY = ("numericgreaterthan", "numericgreaterthanequals")


@dataclass(frozen=True)
class AgeLimit:
    """The strictest `aws:MultiFactorAuthAge` bound in the user's policies."""

    seconds: int
    where: str
    """`PolicyName Statement[2] (Sid)`: the statement that sets it."""


def mfa_age_limit(documents: Iterable[tuple[str, Mapping[str, Any]]]) -> AgeLimit | None:
    """The smallest MFA age (seconds) any statement allows, from (name, document) pairs."""
    best: AgeLimit | None = None
    for name, document in documents:
        raw = document.get("Statement", [])
        statements = [raw] if isinstance(raw, Mapping) else raw
        for index, statement in enumerate(statements):
            if not isinstance(statement, Mapping):
                continue
            effect = str(statement.get("Effect", ""))
            wanted = _UPPER_ON_ALLOW if effect == "Allow" else _UPPER_ON_DENY
            for operator, keys in (statement.get("Condition") or {}).items():
                base = str(operator).lower().removesuffix("ifexists")
                if base not in wanted or not isinstance(keys, Mapping):
                    continue
                for key, value in keys.items():
                    if str(key).lower() != AGE_KEY:
                        continue
                    for seconds in _numbers(value):
                        sid = statement.get("Sid")
                        where = f"{name} Statement[{index}]" + (f" ({sid})" if sid else "")
                        if best is None or seconds < best.seconds:
                            best = AgeLimit(seconds, where)
    return best


def _numbers(value: object) -> list[int]:
    values = value if isinstance(value, list) else [value]
    found: list[int] = []
    for item in values:
        try:
            found.append(int(float(str(item))))
        except ValueError:
            continue
    return found


@dataclass(frozen=True)
class Duration:
    """The session length to ask for, and why it is that long."""

    seconds: int
    reason: str


def choose_duration(limit: AgeLimit | None, requested: int | None = None) -> Duration:
    """A duration STS accepts and the policy's MFA age limit does not make useless."""
    if requested is not None and not MIN_DURATION <= requested <= MAX_DURATION:
        raise InvalidInput(
            f"--duration {requested} is outside what STS accepts",
            f"GetSessionToken takes {MIN_DURATION} to {MAX_DURATION} seconds for an IAM user",
            f"pass a value between {MIN_DURATION} and {MAX_DURATION}",
        )
    wanted = requested or DEFAULT_DURATION
    if limit is not None and wanted > limit.seconds:
        capped = max(limit.seconds, MIN_DURATION)
        return Duration(
            capped,
            f"{_hours(capped)}: your policy accepts MFA at most {limit.seconds} s old "
            f"({limit.where}); a longer session would be refused after that",
        )
    why = "as asked" if requested else "the default"
    return Duration(wanted, f"{_hours(wanted)} ({why})")


def _hours(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def session_age(expiration: datetime, duration: int, now: float) -> int:
    """Seconds since the code of a session of `duration` ending at `expiration`."""
    expires = expiration if expiration.tzinfo else expiration.replace(tzinfo=UTC)
    started = expires.timestamp() - duration
    return max(int(now - started), 0)


@dataclass(frozen=True)
class RenewedSession:
    """A new MFA session saved as the `<profile>-mfa` profile."""

    credentials: SessionCredentials = field(repr=False)
    profile: str
    saved: EditResult
    duration: Duration


def renew_session(
    gateway: Gateway,
    settings: Settings,
    serial: str,
    code: str,
    duration: Duration,
) -> RenewedSession:
    """One code for a new session, written over the saved profile (atomic, 0600)."""
    creds = gateway.get_session_token(serial, code.strip().replace(" ", ""), duration.seconds)
    region = settings.region or gateway.region
    saved = awsfiles.save_session_profile(
        settings.home, settings.profile, creds, region, creds.expiration
    )
    return RenewedSession(creds, awsfiles.session_profile_name(settings.profile), saved, duration)
