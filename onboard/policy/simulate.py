"""Batch simulation: a JSON list of requests in, a JSON list of results out, same order.

A bad request gets an `error` and never stops the batch. Policies repeated
across requests are parsed (and their patterns compiled) once per batch: see
`PolicyCache`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from onboard.errors import OnboardError
from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import MatchedStatement, Request, evaluate

_LIST_FIELDS = (
    ("identityPolicies", "identity"),
    ("permissionBoundaries", "boundary"),
    ("scps", "scp"),
)
_KNOWN = frozenset({"identityPolicies", "permissionBoundaries", "scps"}) | {
    "id",
    "resourcePolicy",
    "action",
    "resource",
    "principal",
    "context",
}

_ABSENT = object()
_NO_CONTEXT: Mapping[str, Any] = {}

JsonPath = tuple[str | int, ...]
_Checks = list[tuple[JsonPath, type | tuple[str, ...]]]


class PolicyCache:
    """Parsed policies for one batch, keyed by each document's canonical JSON.

    The key is the document's compact JSON text with its key order kept (that
    order shows in explanations and in `missingContext`, so documents that
    differ only in key order are parsed apart). JSON text keeps `true`, `1`
    and `1.0` apart, which Python's `True == 1 == 1.0` does not.

    Serialising every document of every request would cost more than
    evaluating it, so a small memo first compares a request's list of
    documents with the lists seen last (`==` on dicts runs in C and stops at
    the first difference), then checks what `==` ignores and a result can
    show: the exact types of booleans and numbers, the key order of Condition
    blocks. Only a miss pays for the JSON text.
    """

    _MEMO = 8  # recent document lists remembered per field

    def __init__(self) -> None:
        self._by_json: dict[tuple[str, str], Policy] = {}
        self._by_name: dict[tuple[str, str, str], Policy] = {}
        self._memo: dict[str, list[tuple[object, _Checks, tuple[Policy, ...]]]] = {}

    def policies(self, documents: object, field: str, kind: str) -> tuple[Policy, ...]:
        """The parsed policies of one request field (a list of documents, or one)."""
        memo = self._memo.setdefault(field, [])
        for index, (known, checks, policies) in enumerate(memo):
            if known is documents or (known == documents and _same_details(documents, checks)):
                if index:  # most recent first: batches usually repeat a few sets
                    memo.insert(0, memo.pop(index))
                return policies
        if field == "resourcePolicy":
            policies = (self.policy(documents, field, kind),)
        elif isinstance(documents, list | tuple):
            policies = tuple(
                self.policy(doc, f"{field}[{i}]", kind) for i, doc in enumerate(documents)
            )
        else:
            raise PolicyError(f"{field!r} must be a list of policy documents")
        memo.insert(0, (documents, _strict_checks(documents, ()), policies))
        del memo[self._MEMO :]
        return policies

    def policy(self, document: object, name: str, kind: str) -> Policy:
        """One parsed policy, by its canonical JSON; parsed only the first time."""
        if isinstance(document, str):  # a document given as JSON text
            return parse_policy(document, name, kind=kind)
        if not isinstance(document, Mapping):
            raise PolicyError(f"{name}: a policy must be a JSON object")
        try:
            text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):  # not JSON data (only from Python callers)
            return parse_policy(document, name, kind=kind)
        found = self._by_name.get((kind, name, text))
        if found is not None:
            return found
        shared = self._by_json.get((kind, text))
        if shared is None:
            shared = parse_policy(document, name, kind=kind)
            self._by_json[(kind, text)] = shared
            found = shared
        else:
            # Same document under another name: share the compiled statements and the
            # statements-by-action cache, not the explanations (they carry the name).
            found = replace(shared, name=name, _by_action=shared._by_action, explanations={})
        self._by_name[(kind, name, text)] = found
        return found


def _strict_checks(value: object, path: JsonPath, in_condition: bool = False) -> _Checks:
    """What `==` does not compare: exact types of booleans and numbers, Condition key order.

    `True == 1 == 1.0` in Python; and dicts compare equal in any key order, while
    the order of a Condition's operators and keys shows in explanations.
    """
    if isinstance(value, Mapping):
        # Key order can differ only where there are two keys or more.
        found: _Checks = [(path, tuple(value))] if in_condition and len(value) > 1 else []
        for key, item in value.items():
            inside = in_condition or (key == "Condition" and isinstance(item, Mapping))
            found.extend(_strict_checks(item, (*path, key), inside))
        return found
    if isinstance(value, list | tuple):
        return [
            found
            for i, item in enumerate(value)
            for found in _strict_checks(item, (*path, i), in_condition)
        ]
    return [(path, type(value))] if isinstance(value, bool | int | float) else []


def _same_details(document: object, checks: _Checks) -> bool:
    """Given `document == known`, are its scalar types and Condition key orders known's too?"""
    for path, expected in checks:
        node: Any = document
        for step in path:
            node = node[step]
        if type(expected) is tuple:
            if tuple(node) != expected:
                return False
        elif type(node) is not expected:
            return False
    return True


def simulate_batch(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluate each request; results keep the input order."""
    cache = PolicyCache()
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]] = {}
    return [
        _simulate_one(request, index, cache, matched_json) for index, request in enumerate(requests)
    ]


def _simulate_one(
    raw: object,
    index: int,
    cache: PolicyCache,
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]],
) -> dict[str, Any]:
    request_id: object = index
    try:
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise PolicyError(f"request {index}: must be a JSON object")
        request_id = raw.get("id", index)
        request, identity, boundaries, scps, resource_policy = _parse_request(raw, index, cache)
        result = evaluate(
            request, identity, boundaries=boundaries, scps=scps, resource_policy=resource_policy
        )
    except OnboardError as exc:
        where = f"request {index}"
        error = exc.what if exc.what.startswith(where) else f"{where}: {exc.what}"
        return {
            "id": request_id,
            "decision": None,
            "matchedStatements": [],
            "missingContext": [],
            "explanation": None,
            "error": error,
        }
    statements = []
    for matched in result.matched:
        # MatchedStatements are cached per policy: their JSON is built once per batch.
        known = matched_json.get(id(matched))
        if known is None or known[0] is not matched:
            known = matched_json[id(matched)] = (matched, matched.to_json())
        statements.append(known[1].copy())
    return {
        "id": request_id,
        "decision": result.decision.value,
        "matchedStatements": statements,
        "missingContext": list(result.missing_context),
        "explanation": result.explanation,
        "error": None,
    }


_Parsed = tuple[Request, tuple[Policy, ...], tuple[Policy, ...], tuple[Policy, ...], Policy | None]


def _parse_request(raw: Mapping[str, Any], index: int, cache: PolicyCache) -> _Parsed:
    if not raw.keys() <= _KNOWN:
        unknown = sorted(set(raw) - _KNOWN)
        raise PolicyError(f"request {index}: unknown field {unknown[0]!r}")
    action, resource = raw.get("action"), raw.get("resource")
    if type(action) is not str or not action:
        raise PolicyError(f"request {index}: 'action' must be a non-empty string")
    if type(resource) is not str or not resource:
        raise PolicyError(f"request {index}: 'resource' must be a non-empty string")
    principal = raw.get("principal")
    if principal is not None and type(principal) is not str:
        raise PolicyError(f"request {index}: 'principal' must be an ARN string")
    context = raw.get("context", _NO_CONTEXT)
    if type(context) is not dict and not isinstance(context, Mapping):
        raise PolicyError(f"request {index}: 'context' must be an object of key -> value(s)")
    for key, value in context.items():
        if type(value) is str:
            continue
        for item in value if type(value) is list else (value,):
            if type(item) is not str and not isinstance(item, bool | int | float):
                raise PolicyError(
                    f"request {index}: context[{key!r}] must be a string or a list of strings"
                )
    found: list[tuple[Policy, ...]] = []
    for field, kind in _LIST_FIELDS:
        documents = raw.get(field, _ABSENT)
        found.append(() if documents is _ABSENT else cache.policies(documents, field, kind))
    identity, boundaries, scps = found
    resource_document = raw.get("resourcePolicy")
    if not identity and resource_document is None:
        raise PolicyError(f"request {index}: needs identityPolicies (or a resourcePolicy)")
    resource_policy = (
        None
        if resource_document is None
        else cache.policies(resource_document, "resourcePolicy", "resource")[0]
    )
    request = Request(action, resource, principal, dict(context))
    # Context values are checked here so a bad one fails this request alone.
    _ = request.normalized_context
    return request, identity, boundaries, scps, resource_policy
