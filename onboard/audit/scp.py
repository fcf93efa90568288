"""The one place the audit hands SCP levels to the policy engine.

AWS evaluates SCPs per level of the organization (root, each OU on the path,
the account): an explicit Deny in any SCP denies; at every level at least one
attached SCP must allow. The engine's `evaluate(..., scps=levels)` applies
that rule; this module asks it once per request and account. An account's SCPs are
the same for all its users, so their answer to a request is computed once per
account (per user only when an SCP's conditions look at the principal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from onboard.policy import (
    Decision,
    MatchedStatement,
    Policy,
    Request,
    Statement,
    evaluate,
    parse_policy,
)

NOT_GRANTED = "not granted: no policy allows"
_PRINCIPAL_KEYS = re.compile(r"aws:(username|userid|principal\w*)", re.IGNORECASE)

# (decision of the SCPs, labels): EXPLICIT_DENY, IMPLICIT_DENY (a level allows nothing), ALLOWED.
ScpAnswer = tuple[Decision, tuple[str, ...]]
# One policy's own answer to a request: its decision and the statements behind it.
Answer = tuple[Decision, tuple[MatchedStatement, ...]]


class ScpLevels:
    """An account's SCP levels (root first) and their answers, cached per request."""

    def __init__(self, levels: Sequence[Sequence[Policy]]) -> None:
        self.levels = [tuple(level) for level in levels]
        self.by_principal = any(
            _PRINCIPAL_KEYS.search(json.dumps([s.raw for s in p.statements]))
            for level in self.levels
            for p in level
        )
        self._answers: dict[tuple[object, ...], ScpAnswer] = {}
        self._agnostic: dict[str, bool] = {}

    def agnostic(self, action: str) -> bool:
        """No SCP statement for `action` looks at the resource (nor at the principal)."""
        found = self._agnostic.get(action)
        if found is None:
            lower = action.lower()
            found = not self.by_principal and all(
                _resource_agnostic(p.statements_for(lower)) for lv in self.levels for p in lv
            )
            self._agnostic[action] = found
        return found

    def answer(
        self,
        request: Request,
        key: tuple[object, ...],
        shared_key: tuple[object, ...] | None = None,
    ) -> ScpAnswer:
        """What the SCPs say of `request`; `key` identifies it (action, resource, context).

        `shared_key` (the request without the user's own ARN as resource) is used
        when no SCP statement for the action looks at the resource.
        """
        if shared_key is not None and self.agnostic(request.action):
            key = shared_key
        if self.by_principal:
            key = (*key, request.principal)
        found = self._answers.get(key)
        if found is None:
            found = self._decide(request)
            self._answers[key] = found
        return found

    def _decide(self, request: Request) -> ScpAnswer:
        # The engine's SCP levels, with an identity policy that allows everything standing
        # in for the user's own: what remains is the SCPs' answer.
        result = evaluate(request, (_IDENTITY_STAND_IN,), scps=self.levels)
        if result.decision is Decision.EXPLICIT_DENY:
            return result.decision, _deny_labels(result.matched)
        if result.decision is Decision.IMPLICIT_DENY:
            text = result.explanation.removeprefix("ImplicitlyDenied: ").split("; did not apply")[0]
            return result.decision, (text,)
        return Decision.ALLOWED, ()


_IDENTITY_STAND_IN = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AnyIdentity", "Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    "identity stand-in",
)


class PolicyAnswers:
    """Each policy's own answer to a request, shared by every user whose set includes it.

    With identity policies only (no boundary), AWS's decision combines them
    simply: an explicit Deny in any denies, else an Allow in any allows. So a
    policy attached to 1,700 users is evaluated once per request, not 1,700
    times; only statements that can differ per user (policy variables,
    principal keys) are keyed by the user too.
    """

    def __init__(self) -> None:
        self._answers: dict[tuple[object, ...], tuple[Decision, tuple[MatchedStatement, ...]]] = {}
        self._per_user: dict[tuple[int, str], tuple[bool, bool] | None] = {}
        # (id(policy), action) of identity policies whose statements for the action have no
        # condition and no policy variable: their answer depends on the resource only.
        self._context_free: set[tuple[int, str]] = set()
        self.evaluations = 0
        """Policies evaluated by the engine (each policy once per distinct request)."""

    def relevance(
        self, policy: Policy, action: str, resource: bool = False
    ) -> tuple[bool, bool] | None:
        """None: nothing in `policy` covers `action`; else (answer is per user, answer is the
        same whatever the resource)."""
        key = (id(policy), action)  # as given: lower-cased only when first seen
        if key in self._per_user:
            return self._per_user[key]
        candidates = policy.statements_for(action.lower())
        found: tuple[bool, bool] | None = None
        if candidates:
            text = json.dumps([st.raw for st in candidates])
            by_user = "${" in text or bool(_PRINCIPAL_KEYS.search(text))
            if resource and not by_user:
                # A resource policy names principals: only "*" answers alike for everyone.
                by_user = not all(
                    st.principal is not None and st.principal.anyone for st in candidates
                )
            found = (by_user, not by_user and _resource_agnostic(candidates))
            if not resource and not by_user and not any(st.conditions for st in candidates):
                self._context_free.add(key)
        self._per_user[key] = found
        return found

    def answer(
        self,
        policy: Policy,
        request: Request,
        key: tuple[object, ...],
        resource_policy: Policy | None = None,
        shared_key: tuple[object, ...] | None = None,
    ) -> tuple[Decision, tuple[MatchedStatement, ...]]:
        """`policy` alone (or `resource_policy` alone, with no identity policy) on `request`.

        `shared_key` names the request without its resource (the user's own ARN):
        used when no statement of the policy looks at the resource.
        """
        judged = resource_policy or policy
        relevance = self.relevance(judged, request.action, resource_policy is not None)
        if relevance is None:  # nothing in it covers the action: most policies, most requests
            return _NOTHING
        by_user, agnostic = relevance
        if agnostic and shared_key is not None:
            key = shared_key
        if resource_policy is None and (id(policy), request.action) in self._context_free:
            # No condition reads the context: one answer per resource (or per action when
            # every statement says "*"), whatever the method's or the sample's context.
            key = (request.action,) if agnostic else (request.action, request.resource)
        cache_key = (id(judged), key, request.principal if by_user else None)
        found = self._answers.get(cache_key)
        if found is None:
            self.evaluations += 1
            if resource_policy is not None:
                result = evaluate(request, (), resource_policy=resource_policy)
            else:
                result = evaluate(request, (policy,))
            found = (result.decision, result.matched)
            self._answers[cache_key] = found
        return found


def _resource_agnostic(statements: Sequence[Statement]) -> bool:
    """Every statement applies to any resource (`Resource: "*"`, or none at all)."""
    return all(st.resources is None or st.resources.matches_all for st in statements)


_NOTHING: Answer = (Decision.IMPLICIT_DENY, ())


def evaluate_with_scps(
    request: Request,
    identity: Sequence[Policy],
    boundaries: Sequence[Policy],
    scps: ScpLevels,
    resource_policy: Policy | None,
    key: tuple[object, ...],
    answers: PolicyAnswers | None = None,
    shared_key: tuple[object, ...] | None = None,
    parts: Sequence[Answer | None] | None = None,
) -> tuple[Decision, tuple[str, ...]]:
    """The decision and the deciding statements (labels): explicit denies first, then SCPs.

    `parts`: the identity policies' answers when the caller has them already (None
    for a policy that answers nothing, i.e. an implicit deny).
    """
    if boundaries or answers is None:
        base = evaluate(request, identity, boundaries=boundaries, resource_policy=resource_policy)
        decision, matched = base.decision, base.matched
    else:
        if parts is None:
            parts = [answers.answer(policy, request, key, None, shared_key) for policy in identity]
        decision, matched = _combined(request, parts, resource_policy, key, answers)
    if decision is Decision.EXPLICIT_DENY:
        return decision, _deny_labels(matched)
    if scps.levels:
        scp_decision, labels = scps.answer(request, key, shared_key)
        if scp_decision is not Decision.ALLOWED:
            return scp_decision, labels
    if decision is Decision.ALLOWED:
        return decision, tuple(dict.fromkeys(m.label() for m in matched if m.effect == "Allow"))
    return decision, (f"{NOT_GRANTED} {request.action}",)


def _combined(
    request: Request,
    parts: Sequence[Answer | None],
    resource_policy: Policy | None,
    key: tuple[object, ...],
    answers: PolicyAnswers,
) -> tuple[Decision, tuple[MatchedStatement, ...]]:
    """AWS's logic for identity policies (and a resource policy), from per-policy answers."""
    said = [part for part in parts if part is not None]
    denies = [m for d, matched in said if d is Decision.EXPLICIT_DENY for m in matched]
    if denies:
        return Decision.EXPLICIT_DENY, tuple(denies)
    if resource_policy is not None:
        decision, matched = answers.answer(resource_policy, request, key, resource_policy)
        if decision is not Decision.IMPLICIT_DENY:  # a Deny, or an Allow naming the caller
            return decision, matched
    allows = [m for d, matched in said if d is Decision.ALLOWED for m in matched]
    if allows:
        return Decision.ALLOWED, tuple(allows)
    return Decision.IMPLICIT_DENY, ()


def _deny_labels(matched: Sequence[MatchedStatement]) -> tuple[str, ...]:
    return tuple(m.label() for m in matched if m.effect == "Deny")
