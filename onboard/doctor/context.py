"""What every doctor check sees: the settings, the subject, and facts computed once.

`DoctorContext` shares slow facts (who am I, my SSH keys, my policies) across
checks that run concurrently; `CheckSpec` is a registered check. The check
modules import this module; `checks.py` imports the check modules (registry
and runner), so there is no import circle.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from onboard.aws.files import SESSION_SUFFIX, read_session_profile
from onboard.doctor.findings import Finding
from onboard.doctor.remotes import CloneView, Target, parse_url
from onboard.errors import OnboardError
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import SessionCredentials

T = TypeVar("T")
Check = Callable[["DoctorContext"], "Finding | list[Finding]"]

DEFAULT_REGION = "us-east-1"


class _Lazy:
    """A value computed once, on first use, safely across threads (errors are kept too)."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None

    def get(self) -> Any:
        with self._lock:
            if not self._done:
                try:
                    self._value = self._compute()
                except Exception as exc:  # re-raised to every caller below
                    self._error = exc
                self._done = True
        if self._error is not None:
            raise self._error
        return self._value


class Unusable(OnboardError):
    """The account gateway cannot be used at all; `cause` is the explain cause id."""

    def __init__(self, what: str, why: str, next_step: str, *, cause: str) -> None:
        super().__init__(what, why, next_step)
        self.cause = cause


@dataclass
class DoctorContext:
    """What the checks look at: settings, whose account, which repo; memoised facts.

    `subject_user` is None for "me" (the caller) or another user's name in
    helpdesk mode. `gateway_factory` builds the AWS gateway (tests inject
    one; by default it is built from `settings` on first use).

    Git's effective view is the root: `url` (--url) or, inside a clone at
    `cwd`, its CodeCommit remotes name the region and repository judged;
    `repo` (--repo) names one from outside a clone. `session` is an MFA
    session handed over by the walkthrough, used for the account reads.
    `live_timeout` (--timeout) bounds every subprocess the checks start.
    """

    settings: Settings
    repo: str | None = None
    subject_user: str | None = None
    live_timeout: float = 20.0
    gateway_factory: Callable[[], Gateway] | None = None
    url: str | None = None
    cwd: Path | None = None
    session: SessionCredentials | None = field(default=None, repr=False)
    _facts: dict[str, _Lazy] = field(default_factory=dict, repr=False)
    _facts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def helpdesk(self) -> bool:
        """True when checking another user's account with the helpdesk's credentials."""
        return self.subject_user is not None

    @property
    def configured_region(self) -> str:
        """--region, the environment's, else us-east-1 (before any remote is read)."""
        env = self.settings.env()
        return (
            self.settings.region
            or env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )

    @property
    def region(self) -> str:
        """The region judged: the remote's (or --url's) when git names one, else configured."""
        target = self.primary_target()
        return target.region if target is not None else self.configured_region

    @property
    def repo_name(self) -> str | None:
        """The repository judged: the remote's (or --url's), else --repo."""
        target = self.primary_target()
        return target.repo if target is not None else self.repo

    def clone(self) -> CloneView:
        """The clone at `cwd` and its CodeCommit remotes (read once)."""
        if self.cwd is None or self.helpdesk:
            return CloneView(None)
        from onboard.doctor.remotes import read_clone

        cwd, timeout, region = self.cwd, self.live_timeout, self.configured_region
        return self.fact("clone", lambda: read_clone(cwd, self.env(), timeout, region))

    def targets(self) -> tuple[Target, ...]:
        """What git connects to: --url; else the clone's CodeCommit remotes; else --repo.

        --repo inside a clone keeps the remotes of that repository (or names it alone).
        """
        if self.url is not None:
            parsed = parse_url(self.url, self.configured_region)
            return (dataclasses.replace(parsed, source="--url"),) if parsed else ()
        remotes = self.clone().targets
        if self.repo is not None:
            same = tuple(t for t in remotes if t.repo == self.repo)
            return same
        return remotes

    def primary_target(self) -> Target | None:
        """The target the static checks judge: `origin` first, else the first remote."""
        targets = self.targets()
        if not targets:
            return None
        return next((t for t in targets if t.remote == "origin"), targets[0])

    def env(self) -> dict[str, str]:
        """Environment for git/ssh/aws subprocesses (the settings' home)."""
        return self.settings.env()

    def fact(self, name: str, compute: Callable[[], T]) -> T:
        """`compute()` once per run under `name`; concurrent callers share the result."""
        with self._facts_lock:
            lazy = self._facts.get(name)
            if lazy is None:
                lazy = self._facts[name] = _Lazy(compute)
        value: T = lazy.get()
        return value

    def session_profile(self) -> str | None:
        """A saved, unexpired MFA session profile (`<profile>-mfa`) to read the account with.

        Under a force-MFA policy a user's own IAM reads (SSH keys, policies)
        need MFA; the walkthrough saves such a session, so the doctor uses it
        when it is there. Never in helpdesk mode, never over an explicit -mfa profile.
        """
        if self.helpdesk or self.session is not None:
            return None
        profile = self.settings.profile or self.env().get("AWS_PROFILE")
        if profile and profile.endswith(SESSION_SUFFIX):
            return None
        saved = read_session_profile(self.settings.home, profile)
        if saved is None or saved.expired(datetime.now(UTC)):
            return None
        return saved.profile

    def helpers(self, url: str) -> list[Any]:
        """The credential helpers git runs for `url`, in order (one `git config` per URL)."""
        from onboard.git import config as gitconfig

        return self.fact(
            f"helpers {url}",
            lambda: gitconfig.credential_helpers_for(url, self.env(), cwd=self.cwd),
        )

    def mfa_profile(self) -> str:
        """`<profile>-mfa`: under a force-MFA policy the user's own IAM changes need it."""
        base = self.settings.profile or self.env().get("AWS_PROFILE") or "default"
        return base if base.endswith(SESSION_SUFFIX) else base + SESSION_SUFFIX

    def gateway(self) -> Gateway:
        """The AWS gateway (one per run), on the MFA session profile when there is one."""

        def build() -> Gateway:
            if self.gateway_factory is not None:
                return self.gateway_factory()
            from onboard.aws.gateway import Gateway

            session = self.session_profile()
            settings = self.settings.replace(profile=session) if session else self.settings
            from onboard.aws.errors import AwsError
            from onboard.aws.translate import translated

            try:
                # Few retries: a doctor must answer quickly even when AWS does not.
                with translated("reading the AWS configuration"):
                    gateway = Gateway.from_settings(
                        settings, max_attempts=2, connect_timeout=3.0, read_timeout=10.0
                    )
            except AwsError as exc:  # e.g. ConfigParseError: ~/.aws/config is not ini
                if "parse" not in exc.why.lower():
                    raise
                raise Unusable(
                    f"the AWS files cannot be read: {exc.why}",
                    "botocore stops before any request",
                    "see credentials.files",
                    cause="aws-config-unparseable",
                ) from None
            if self.session is not None:
                # The walkthrough's MFA session: the account as the walkthrough sees it.
                return gateway.with_session(self.session)
            return self._resolved(gateway)

        return self.fact("gateway", build)

    def _resolved(self, gateway: Gateway) -> Gateway:
        """The gateway once its credentials resolved within the timeout, and its clients build.

        botocore runs a profile's `credential_process` (or SSO refresh) with no
        time limit, and refuses a malformed AWS_ENDPOINT_URL with a bare ValueError:
        both become an `OnboardError` here, so every account check skips with the reason.
        """
        from onboard.doctor.chain import Unanswered, bounded

        try:
            bounded(lambda: (gateway._session.get_credentials(), gateway.client("sts")),
                    self.live_timeout)  # fmt: skip
        except Unanswered as exc:
            raise Unusable(
                f"the AWS credentials gave {exc}",
                "a credential_process or SSO refresh that does not return",
                "run the profile's credential_process (or aws sso login) by hand",
                cause="credential-process-failed",
            ) from None
        except ValueError as exc:
            raise Unusable(
                f"AWS cannot be called: {exc}",
                "botocore refuses the endpoint (AWS_ENDPOINT_URL?)",
                "fix or unset AWS_ENDPOINT_URL",
                cause="aws-endpoint-invalid",
            ) from None
        return gateway

    def user_name(self) -> str:
        """The IAM user the account checks look at (the subject, else the caller)."""
        if self.subject_user is not None:
            return self.subject_user
        identity = self.fact("whoami", lambda: self.gateway().whoami())
        if identity.user_name is None:
            raise OnboardError(
                f"the credentials are not an IAM user's ({identity.principal_type})",
                "SSH keys, Git credentials and MFA devices belong to IAM users",
                "run onboard with the IAM user's access key",
            )
        return str(identity.user_name)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its id, function, and whether it runs in helpdesk mode."""

    id: str
    run: Check
    helpdesk: bool = False
    self_mode: bool = True
