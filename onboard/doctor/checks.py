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

from onboard.doctor import (
    account_checks,
    agreement,
    credential_checks,
    live_checks,
    local_checks,
    policy_checks,
    remote_checks,
    session_checks,
    ssh_checks,
    ssh_key_checks,
)
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, skipped
from onboard.errors import OnboardError

__all__ = ["CheckSpec", "DoctorContext", "all_checks", "run_checks", "select"]

MAX_WORKERS = 16


def _safe(spec: CheckSpec, ctx: DoctorContext) -> list[Finding]:
    try:
        result = spec.run(ctx)
    except OnboardError as exc:
        unreachable = _aws_away(spec.id, exc)
        if unreachable is not None:
            return [unreachable]
        # A check that cannot get its facts is skipped with the reason, not crashed:
        # the finding that owns that failure (e.g. credentials.identity) reports it.
        return [skipped(spec.id, _reason(exc, ctx))]
    except Exception as exc:  # a bug in one check must not hide the others, nor pass
        return [
            Finding(
                spec.id,
                "fail",
                f"the check crashed: {type(exc).__name__}: {exc}",
                ("the doctor could not judge this; the rest of the report stands",),
                Fix("Report it with this output (onboard doctor --markdown)"),
            )
        ]
    return result if isinstance(result, list) else [result]


def _aws_away(check_id: str, exc: OnboardError) -> Finding | None:
    """Throttled or unreachable AWS: a warning or failure with the reason, never a quiet skip."""
    name = type(exc).__name__
    why = exc.why or exc.what
    if name == "Throttled":
        return Finding(
            check_id,
            "warn",
            f"AWS throttled this check: {why}",
            fix=Fix("Wait a minute and run the doctor again"),
            causes=("throttled",),
        )
    if name in ("EndpointUnreachable", "ServiceUnavailable"):
        return Finding(
            check_id,
            "fail",
            f"AWS could not be reached: {exc.what} ({why})",
            fix=Fix(exc.next_step or "Check the network, proxy and AWS_ENDPOINT_URL"),
            causes=("network-blocked",) if name == "EndpointUnreachable" else (),
        )
    return None


def _reason(exc: OnboardError, ctx: DoctorContext) -> str:
    if ctx.helpdesk and "NoSuchEntity" in exc.why:
        return f"user {ctx.subject_user} does not exist (see account.user)"
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


_METHOD_CHECKS = {
    "ssh": ("ssh.", "env.ssh", "env.git_ssh"),
    "https": ("git.", "credentials.", "env.aws"),
    "grc": ("env.grc", "credentials.", "git.remote"),
}


def _method_prefixes(ctx: DoctorContext) -> tuple[str, ...]:
    """Id prefixes of the checks of the judged remote's method (run first)."""
    if ctx.helpdesk:
        return ("credentials.",)
    try:
        target = ctx.primary_target()
    except Exception:  # git.remote reports a clone git cannot read
        target = None
    return _METHOD_CHECKS.get(target.method if target else "https", ("git.",))


def all_checks() -> tuple[CheckSpec, ...]:
    """Every registered check, in report order."""
    return (
        *local_checks.CHECKS,
        *remote_checks.CHECKS,
        *credential_checks.CHECKS,
        *session_checks.CHECKS,
        *account_checks.CHECKS,
        *ssh_checks.CHECKS,
        *ssh_key_checks.CHECKS,
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
        # so they never queue behind quick checks; then the checks of the remote's own
        # method. The report keeps registration order.
        first = _method_prefixes(ctx)
        order = sorted(
            range(len(chosen)),
            key=lambda i: (
                not chosen[i].id.startswith("live."),
                not chosen[i].id.startswith(first),
            ),
        )
        futures = [pool.submit(run_one, i, chosen[i]) for i in order]
        for future in futures:
            future.result()
    findings = [f for i in range(len(chosen)) for f in results.get(i, [])]
    return agreement.decide(findings), time.perf_counter() - started
