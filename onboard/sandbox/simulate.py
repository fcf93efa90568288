"""IAM's SimulatePrincipalPolicy / SimulateCustomPolicy, answered by our policy engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.exceptions import IAMException

from onboard.policy import Evaluation, Request, evaluate
from onboard.policy.errors import PolicyError
from onboard.sandbox.authorize import PolicyRef, parse_custom, user_policies
from onboard.sandbox.state import active

_DECISIONS = {
    "Allowed": "allowed",
    "ExplicitlyDenied": "explicitDeny",
    "ImplicitlyDenied": "implicitDeny",
}
_SOURCE_TYPES = {
    "inline": "user",
    "managed": "user-managed",
    "group-inline": "group",
    "group-managed": "user-managed",
    "boundary": "user-managed",
    "custom": "IAM Policy",
}


def _context(entries: Sequence[dict[str, Any]] | None) -> dict[str, str | list[str]]:
    context: dict[str, str | list[str]] = {}
    for entry in entries or ():
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        kind = str(entry.get("ContextKeyType") or "string")
        name = str(entry["ContextKeyName"])
        context[name] = values if kind.endswith("List") else (values[0] if values else "")
    return context


def _matched(evaluation: Evaluation, refs: Sequence[PolicyRef]) -> list[dict[str, str]]:
    wanted = {"allowed": "Allow", "explicitDeny": "Deny"}.get(_DECISIONS[evaluation.decision.value])
    by_key = {ref.policy.name: ref for ref in refs}
    rows = []
    for statement in evaluation.matched:
        if wanted is None or statement.effect != wanted:
            continue
        ref = by_key.get(statement.policy_name)
        rows.append(
            {
                "SourcePolicyId": ref.name if ref else statement.policy_name,
                "SourcePolicyType": _SOURCE_TYPES.get(ref.kind if ref else "custom", "none"),
            }
        )
    return rows


def _results(
    response: Any,
    principal: str | None,
    identity: Sequence[PolicyRef],
    boundaries: Sequence[PolicyRef],
) -> ActionResult:
    actions = response._get_param("ActionNames") or []
    resources = response._get_param("ResourceArns") or ["*"]
    context = _context(response._get_param("ContextEntries"))
    results = []
    for action in actions:
        for resource in resources:
            evaluation = evaluate(
                Request(str(action), str(resource), principal, context),
                [ref.policy for ref in identity],
                boundaries=[ref.policy for ref in boundaries],
            )
            results.append(
                {
                    "EvalActionName": action,
                    "EvalResourceName": resource,
                    "EvalDecision": _DECISIONS[evaluation.decision.value],
                    "MatchedStatements": _matched(evaluation, [*identity, *boundaries]),
                    "MissingContextValues": list(evaluation.missing_context),
                }
            )
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def _custom(documents: Sequence[str] | None) -> list[PolicyRef]:
    try:
        return parse_custom([str(d) for d in documents or ()])
    except (PolicyError, ValueError) as exc:
        # botocore's model gives SimulateCustomPolicy InvalidInput (400) for a bad document.
        raise IAMException("InvalidInput", str(exc).splitlines()[0]) from None


def simulate_principal_policy(self: Any) -> ActionResult:
    """SimulatePrincipalPolicy for an IAM user (plus optional extra input policies)."""
    state = active()
    source = str(self._get_param("PolicySourceArn") or "")
    user = next((u for u in self.backend.users.values() if u.arn == source), None)
    if state is None or user is None:
        raise IAMException(
            "NoSuchEntity", f"PolicySourceArn {source} is not a user of this account."
        )
    identity, boundaries = user_policies(state, user)
    identity = [*identity, *_custom(self._get_param("PolicyInputList"))]
    extra_boundaries = _custom(self._get_param("PermissionsBoundaryPolicyInputList"))
    return _results(self, source, identity, [*boundaries, *extra_boundaries])


def simulate_custom_policy(self: Any) -> ActionResult:
    """SimulateCustomPolicy: only the given policies, for an optional CallerArn."""
    identity = _custom(self._get_param("PolicyInputList"))
    boundaries = _custom(self._get_param("PermissionsBoundaryPolicyInputList"))
    caller = self._get_param("CallerArn")
    return _results(self, str(caller) if caller else None, identity, boundaries)
