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
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from onboard.doctor import account_checks, live_checks, local_checks, policy_checks, ssh_checks
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, skipped
from onboard.errors import OnboardError

__all__ = ["CheckSpec", "DoctorContext", "all_checks", "run_checks", "select"]

MAX_WORKERS = 16


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
    return live_checks.decide_live(findings), time.perf_counter() - started
