"""The one place the audit hands SCP levels to the policy engine.

AWS evaluates SCPs per level of the organization (root, each OU on the path,
the account): an explicit Deny in any SCP denies; at every level at least one
attached SCP must allow. Until the engine takes levels itself, this module
applies that rule around `evaluate`, one SCP at a time.
"""

from __future__ import annotations

from collections.abc import Sequence

from onboard.policy import Decision, MatchedStatement, Policy, Request, evaluate

NOT_GRANTED = "not granted: no policy allows"


def evaluate_with_scps(
    request: Request,
    identity: Sequence[Policy],
    boundaries: Sequence[Policy],
    scp_levels: Sequence[Sequence[Policy]],
    resource_policy: Policy | None,
) -> tuple[Decision, tuple[str, ...]]:
    """The decision and the deciding statements (labels), SCP levels root first."""
    base = evaluate(request, identity, boundaries=boundaries, resource_policy=resource_policy)
    if base.decision is Decision.EXPLICIT_DENY:
        return base.decision, _deny_labels(base.matched)
    level_allows: list[bool] = []
    for level in scp_levels:
        allowed_here = False
        for scp in level:
            result = evaluate(request, (scp,))
            if result.decision is Decision.EXPLICIT_DENY:
                return result.decision, _deny_labels(result.matched)
            allowed_here = allowed_here or result.allowed
        level_allows.append(allowed_here)
    for index, allowed_here in enumerate(level_allows):
        if not allowed_here:
            names = ", ".join(p.name for p in scp_levels[index]) or "no SCP attached"
            return Decision.IMPLICIT_DENY, (
                f"no SCP at organization level {index + 1} ({names}) allows {request.action}",
            )
    if base.decision is Decision.ALLOWED:
        return base.decision, tuple(m.label() for m in base.matched if m.effect == "Allow")
    return base.decision, (f"{NOT_GRANTED} {request.action}",)


def _deny_labels(matched: Sequence[MatchedStatement]) -> tuple[str, ...]:
    return tuple(m.label() for m in matched if m.effect == "Deny")
