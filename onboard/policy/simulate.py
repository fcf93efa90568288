"""Batch simulation: a JSON list of requests in, a JSON list of results out, same order.

A bad request gets an `error` and never stops the batch. Policies repeated
across requests are parsed (and their patterns compiled) once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from onboard.errors import OnboardError
from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Request, evaluate

_LIST_FIELDS = {"identityPolicies": "identity", "permissionBoundaries": "boundary", "scps": "scp"}
_KNOWN = {*_LIST_FIELDS, "id", "resourcePolicy", "action", "resource", "principal", "context"}


JsonPath = tuple[str | int, ...]


class _PolicyCache:
    """Parsed policies by (kind, name), found again by document equality.

    Comparing dicts with `==` runs in C and stops early: much cheaper than
    serialising every document to make a key. But `True == 1 == 1.0` in
    Python, while JSON `true`, `1` and `1.0` mean different things in a
    policy, so the booleans and numbers of a known document are also checked
    for their exact type, by path.
    """

    _PER_NAME = 16

    def __init__(self) -> None:
        self._parsed: dict[
            tuple[str, str], list[tuple[Mapping[str, Any], Policy, list[tuple[JsonPath, type]]]]
        ] = {}

    def get(self, document: object, name: str, kind: str) -> Policy:
        """The parsed policy for `document`, parsing it the first time it is seen."""
        if isinstance(document, str):
            return parse_policy(document, name, kind=kind)
        if not isinstance(document, Mapping):
            raise PolicyError(f"{name}: a policy must be a JSON object")
        seen = self._parsed.setdefault((kind, name), [])
        for known, policy, scalars in seen:
            if known is document or (known == document and _same_types(document, scalars)):
                return policy
        policy = parse_policy(document, name, kind=kind)
        if len(seen) >= self._PER_NAME:
            seen.pop(0)
        seen.append((document, policy, _scalar_paths(document, ())))
        return policy


def _scalar_paths(value: object, path: JsonPath) -> list[tuple[JsonPath, type]]:
    """Where a JSON value holds booleans or numbers (where `==` is not type-strict)."""
    if isinstance(value, Mapping):
        return [found for k, v in value.items() for found in _scalar_paths(v, (*path, k))]
    if isinstance(value, list):
        return [found for i, v in enumerate(value) for found in _scalar_paths(v, (*path, i))]
    return [(path, type(value))] if isinstance(value, bool | int | float) else []


def _same_types(document: object, scalars: list[tuple[JsonPath, type]]) -> bool:
    """Given `document == known`, do its booleans and numbers have known's exact types?"""
    for path, kind in scalars:
        node: Any = document
        for step in path:
            node = node[step]
        if type(node) is not kind:
            return False
    return True


def simulate_batch(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate each request; results keep the input order."""
    cache = _PolicyCache()
    return [_simulate_one(request, index, cache) for index, request in enumerate(requests)]


def _simulate_one(raw: object, index: int, cache: _PolicyCache) -> dict[str, Any]:
    request_id = raw.get("id", index) if isinstance(raw, Mapping) else index
    try:
        if not isinstance(raw, Mapping):
            raise PolicyError(f"request {index}: must be a JSON object")
        request, policies = _parse_request(raw, index, cache)
        result = evaluate(request, **policies)
    except OnboardError as exc:
        where = f"request {index}"
        error = exc.what if exc.what.startswith(where) else f"{where}: {exc.what}"
        return {"id": request_id, "decision": None, "matchedStatements": [], "error": error}
    return {
        "id": request_id,
        "decision": str(result.decision),
        "matchedStatements": [matched.to_json() for matched in result.matched],
        "missingContext": list(result.missing_context),
        "explanation": result.explanation,
        "error": None,
    }


def _parse_request(
    raw: Mapping[str, Any], index: int, cache: _PolicyCache
) -> tuple[Request, dict[str, Any]]:
    where = f"request {index}"
    if not raw.keys() <= _KNOWN:
        unknown = sorted(set(raw) - _KNOWN)
        raise PolicyError(f"{where}: unknown field {unknown[0]!r}")
    for field in ("action", "resource"):
        if not isinstance(raw.get(field), str) or not raw[field]:
            raise PolicyError(f"{where}: {field!r} must be a non-empty string")
    principal = raw.get("principal")
    if principal is not None and not isinstance(principal, str):
        raise PolicyError(f"{where}: 'principal' must be an ARN string")
    context = raw.get("context", {})
    if not isinstance(context, Mapping):
        raise PolicyError(f"{where}: 'context' must be an object of key -> value(s)")
    for key, value in context.items():
        if type(value) is str:
            continue
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | bool | int | float) for v in values):
            raise PolicyError(f"{where}: context[{key!r}] must be a string or a list of strings")
    policies: dict[str, Any] = {}
    for field, kind in _LIST_FIELDS.items():
        documents = raw.get(field, ())
        if not isinstance(documents, list | tuple):
            raise PolicyError(f"{where}: {field!r} must be a list of policy documents")
        policies[field] = [cache.get(doc, f"{field}[{i}]", kind) for i, doc in enumerate(documents)]
    if not policies["identityPolicies"] and raw.get("resourcePolicy") is None:
        raise PolicyError(f"{where}: needs identityPolicies (or a resourcePolicy)")
    resource_policy = raw.get("resourcePolicy")
    request = Request(raw["action"], raw["resource"], principal, dict(context))
    # Context values are checked here so a bad one fails this request alone.
    _ = request.normalized_context
    return request, {
        "identity_policies": policies["identityPolicies"],
        "boundaries": policies["permissionBoundaries"],
        "scps": policies["scps"],
        "resource_policy": (
            None
            if resource_policy is None
            else cache.get(resource_policy, "resourcePolicy", "resource")
        ),
    }
