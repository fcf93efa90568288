"""The doctor's checks, run concurrently over one shared context.

Each check is a function `check(ctx) -> Finding | list[Finding]` registered
under its id in one of `local_checks`, `account_checks`, `live_checks`.
Checks share slow facts (who am I, my SSH keys, my policies) through
`DoctorContext`, which computes each fact once even when several threads
ask at the same time. The TUI's doctor screen and `onboard doctor` both call
`run_checks`.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from onboard.awsfiles import SESSION_SUFFIX, read_session_profile
from onboard.doctor.findings import Finding, skipped
from onboard.errors import OnboardError
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway

T = TypeVar("T")
Check = Callable[["DoctorContext"], "Finding | list[Finding]"]

DEFAULT_REGION = "us-east-1"
MAX_WORKERS = 16


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


@dataclass
class DoctorContext:
    """What the checks look at: settings, whose account, which repo; memoised facts.

    `subject_user` is None for "me" (the caller) or another user's name in
    helpdesk mode. `gateway_factory` builds the AWS gateway (tests inject
    one; by default it is built from `settings` on first use).
    """

    settings: Settings
    repo: str | None = None
    subject_user: str | None = None
    live_timeout: float = 20.0
    gateway_factory: Callable[[], Gateway] | None = None
    _facts: dict[str, _Lazy] = field(default_factory=dict, repr=False)
    _facts_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def helpdesk(self) -> bool:
        """True when checking another user's account with the helpdesk's credentials."""
        return self.subject_user is not None

    @property
    def region(self) -> str:
        """The region to check: --region, the environment's, else us-east-1."""
        env = self.settings.env()
        return (
            self.settings.region
            or env.get("AWS_REGION")
            or env.get("AWS_DEFAULT_REGION")
            or DEFAULT_REGION
        )

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
        if self.helpdesk:
            return None
        profile = self.settings.profile or self.env().get("AWS_PROFILE")
        if profile and profile.endswith(SESSION_SUFFIX):
            return None
        saved = read_session_profile(self.settings.home, profile)
        if saved is None or saved.expired(datetime.now(UTC)):
            return None
        return saved.profile

    def gateway(self) -> Gateway:
        """The AWS gateway (one per run), on the MFA session profile when there is one."""

        def build() -> Gateway:
            if self.gateway_factory is not None:
                return self.gateway_factory()
            from onboard.aws.gateway import Gateway

            session = self.session_profile()
            settings = self.settings.replace(profile=session) if session else self.settings
            # Few retries: a doctor must answer quickly even when AWS does not.
            return Gateway.from_settings(
                settings, max_attempts=2, connect_timeout=3.0, read_timeout=10.0
            )

        return self.fact("gateway", build)

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


def _safe(spec: CheckSpec, ctx: DoctorContext) -> list[Finding]:
    try:
        result = spec.run(ctx)
    except OnboardError as exc:
        # A check that cannot get its facts is skipped with the reason, not crashed:
        # the finding that owns that failure (e.g. credentials.identity) reports it.
        return [skipped(spec.id, _reason(exc, ctx))]
    except Exception as exc:  # a bug in one check must not hide the others
        return [skipped(spec.id, f"check crashed: {type(exc).__name__}: {exc}")]
    return result if isinstance(result, list) else [result]


def _reason(exc: OnboardError, ctx: DoctorContext) -> str:
    if type(exc).__name__ != "AccessDenied":
        return exc.what + (f": {exc.why}" if exc.why else "")
    policy = getattr(exc, "denying_policy_arn", None)
    reason = exc.what + (f" (explicit deny in {policy.rsplit('/', 1)[-1]})" if policy else "")
    if ctx.helpdesk:
        return reason
    helpdesk = f"onboard doctor --user {_known_user(ctx)}"
    if getattr(exc, "explicit", False) and not ctx.session_profile():
        return (
            reason + "; it needs an MFA session (onboard's MFA and session steps), "
            f"or the helpdesk runs: {helpdesk}"
        )
    return reason + f"; the helpdesk can check it: {helpdesk}"


def _known_user(ctx: DoctorContext) -> str:
    """The user's name for a helpdesk command, when already known (never a new AWS call)."""
    lazy = ctx._facts.get("whoami")
    try:
        name = lazy.get().user_name if lazy is not None else None
    except Exception:  # the identity finding reports why it is unknown
        name = None
    return str(name) if name else "YOUR-USER-NAME"


def all_checks() -> tuple[CheckSpec, ...]:
    """Every registered check, in report order."""
    from onboard.doctor import account_checks, live_checks, local_checks, policy_checks, ssh_checks

    return (
        *local_checks.CHECKS,
        *account_checks.CHECKS,
        *ssh_checks.CHECKS,
        *policy_checks.CHECKS,
        *live_checks.CHECKS,
    )


def select(
    specs: Iterable[CheckSpec], ctx: DoctorContext, only: Sequence[str] = ()
) -> list[CheckSpec]:
    """The checks that apply to this mode, optionally only those whose id starts with `only`."""
    chosen = [s for s in specs if (s.helpdesk if ctx.helpdesk else s.self_mode)]
    if only:
        chosen = [s for s in chosen if any(s.id.startswith(prefix) for prefix in only)]
    return chosen


def run_checks(
    ctx: DoctorContext,
    specs: Sequence[CheckSpec] | None = None,
    *,
    on_finding: Callable[[Finding], None] | None = None,
    max_workers: int = MAX_WORKERS,
) -> tuple[tuple[Finding, ...], float]:
    """Run the checks concurrently; findings in registration order and the wall time.

    `on_finding` is called (from worker threads) as each finding arrives,
    so a screen can show progress. Live findings are re-ranked with the
    other findings' evidence once everything has finished.
    """
    from onboard.doctor.live_checks import decide_live

    chosen = list(specs) if specs is not None else select(all_checks(), ctx)
    started = time.perf_counter()
    results: dict[int, list[Finding]] = {}

    def run_one(index: int, spec: CheckSpec) -> None:
        began = time.perf_counter()
        findings = _safe(spec, ctx)
        spent = time.perf_counter() - began
        # Per-check wall time: what to look at first when the doctor is slow.
        findings = [dataclasses.replace(f, seconds=spent) for f in findings]
        results[index] = findings
        if on_finding is not None:
            for finding in findings:
                on_finding(finding)

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="doctor") as pool:
        # The live checks wait longest (git, then the AWS CLI helper): start them first
        # so they never queue behind quick checks; the report keeps registration order.
        order = sorted(range(len(chosen)), key=lambda i: not chosen[i].id.startswith("live."))
        futures = [pool.submit(run_one, i, chosen[i]) for i in order]
        for future in futures:
            future.result()
    findings = [f for i in range(len(chosen)) for f in results.get(i, [])]
    return decide_live(findings), time.perf_counter() - started
