"""Batch simulation: requests in, one result per request out, same order.

Two input forms:
- a JSON list of requests, each carrying its own policy documents;
- the shared form, `{"policies": {name: document}, "requests": [...]}`, where
  a request names its policies (`"identityPolicies": ["mfa", "grants"]`), for
  helpdesk batches where thousands of requests share a few policies.
A bad request gets an `error` and never stops the batch. Each distinct
document is compiled once per process (`parse_policy`'s cache, keyed by the
document's canonical JSON), so a batch costs about one evaluation per request;
`simulate_json` evaluates requests whose inputs are exactly equal (the same
action, resource and principal strings, the same bytes of context and policy
fields) once per batch, each getting its own copy of the answer.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from onboard.errors import OnboardError
from onboard.policy.document import Policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Decision, MatchedStatement, Request, evaluate
from onboard.policy.jsonio import describe
from onboard.policy.resolve import Resolver
from onboard.policy.wire import DECODE_ERRORS, Wire, decode_reason, memo_key

# Batches above this many requests are refused as a whole (memory and time stay
# bounded); split them. Documented in docs/policy.md.
MAX_BATCH_REQUESTS = 100_000

_KNOWN = frozenset(
    {
        "id",
        "identityPolicies",
        "permissionBoundaries",
        "scps",
        "resourcePolicy",
        "action",
        "resource",
        "principal",
        "context",
    }
)
_POLICY_LISTS = frozenset({"identityPolicies", "permissionBoundaries", "scps"})
_NO_CONTEXT: Mapping[str, Any] = {}
# Built once: an enum's `.value` per request adds up over a batch.
_DECISION_TEXT = {decision: decision.value for decision in Decision}
_NO_POLICIES: Mapping[str, Any] = {}
_ID_TYPES = (str, int, float, bool, type(None))

# A batch's answers by their exact inputs (`memo_key`), copied for each equal request.
_Memo = dict[tuple[object, ...], dict[str, Any]]
# A batch's checked contexts by (context bytes, principal): the decoded context and its
# normalised form, shared by the requests that carry the same ones (evaluation reads them).
_Contexts = dict[tuple[bytes, str | None], tuple[Any, dict[str, Any]]]
_Parsed = tuple[
    Request,
    tuple[Policy, ...],
    tuple[Policy, ...],
    tuple[tuple[Policy, ...], ...],
    Policy | None,
]


def batch_requests(batch: object, name: str = "batch") -> tuple[list[Any], Mapping[str, Any]]:
    """Split either input form into (requests, named policies); `PolicyError` if neither."""
    requests: object
    policies: object
    if isinstance(batch, list):
        requests, policies = batch, _NO_POLICIES
    elif isinstance(batch, Mapping) and set(batch) <= {"policies", "requests"}:
        requests, policies = batch.get("requests"), batch.get("policies", _NO_POLICIES)
        if not isinstance(requests, list):
            raise PolicyError(f'{name}: "requests" must be a JSON list of requests')
        if not isinstance(policies, Mapping):
            raise PolicyError(f'{name}: "policies" must be an object of name -> policy document')
    else:
        raise PolicyError(
            f'{name}: must be a JSON list of requests, or {{"policies": {{...}}, '
            '"requests": [...]}'
        )
    if len(requests) > MAX_BATCH_REQUESTS:
        raise PolicyError(
            f"{name}: {len(requests):,} requests, more than one batch may hold "
            f"({MAX_BATCH_REQUESTS:,}); split it"
        )
    return requests, policies


def simulate_batch(batch: list[Any] | Mapping[str, Any]) -> list[dict[str, Any]]:
    """Evaluate each request of either input form; results keep the input order."""
    requests, policies = batch_requests(batch)
    resolver = Resolver(policies)
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]] = {}
    with _no_cycle_collection():
        return [
            _simulate_one(raw, index, resolver, matched_json) for index, raw in enumerate(requests)
        ]


_wires = msgspec.json.Decoder(list[Wire])
_NULL = msgspec.Raw(b"null")
_NO_BYTES = (None, None, None, None)
_values = msgspec.json.Decoder()
_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_items = msgspec.json.Decoder(list[msgspec.Raw])


def simulate_json(data: bytes, name: str = "batch") -> list[dict[str, Any]]:
    """`simulate_batch` on JSON bytes (either form), decoding each distinct policy once.

    The batch and each request are split into `msgspec.Raw` pieces: an
    embedded document stays bytes until the batch first meets it, so 10,000
    copies of a policy cost one decode and a dictionary lookup each.
    """
    data = data.removeprefix(b"\xef\xbb\xbf")
    raw_list: bytes | None = None  # the requests' JSON list, when split cleanly
    try:
        start = data.lstrip()[:1]
        if start == b"{":
            top = _fields.decode(data)
            batch: list[Any] | dict[str, Any] = {
                key: _items.decode(value) if key == "requests" else _fields.decode(value)
                for key, value in top.items()
            }
            raw_list = bytes(top["requests"]) if "requests" in top else None
        else:
            batch = _items.decode(data)
            raw_list = data
    except DECODE_ERRORS:
        raw_list = None
        try:  # valid JSON of another shape: batch_requests says what is wrong with it
            batch = _values.decode(data)
        except DECODE_ERRORS as exc:
            raise PolicyError(describe(data, name, exc)) from None
    requests, policies = batch_requests(batch, name)
    resolver = Resolver(policies)
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]] = {}
    wires: list[Any] = requests
    if raw_list is not None:
        # The usual batch in one call; if any request is unusual, each is looked at alone.
        with contextlib.suppress(*DECODE_ERRORS):
            wires = _wires.decode(raw_list)
    # Requests with exactly equal inputs (same field bytes) are evaluated once per batch.
    memo: _Memo = {}
    contexts: _Contexts = {}
    with _no_cycle_collection():
        return [
            _simulate_one(raw, index, resolver, matched_json, memo, contexts)
            for index, raw in enumerate(wires)
        ]


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A batch allocates ~20 objects per request and frees none: the cycle collector
    would scan them again and again (a tenth of the batch's time) to find nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _expand(raw: msgspec.Raw, index: int) -> object:
    """One request's fields as values, its policy lists as lists of `Raw` documents."""
    try:
        fields = _fields.decode(raw)
    except DECODE_ERRORS:
        try:
            return _values.decode(raw)  # not an object: `_simulate_one` says so
        except DECODE_ERRORS as exc:
            raise PolicyError(f"request {index}: {decode_reason(exc)}") from None
    request: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            if key in _POLICY_LISTS and bytes(value).lstrip()[:1] == b"[":
                request[key] = _items.decode(value)
            elif key == "resourcePolicy":
                request[key] = value
            else:
                request[key] = _values.decode(value)
        except DECODE_ERRORS as exc:
            raise PolicyError(f"request {index}: {key!r}: {decode_reason(exc)}") from None
    return request


def _simulate_one(
    raw: object,
    index: int,
    resolver: Resolver,
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]],
    memo: _Memo | None = None,
    contexts: _Contexts | None = None,
) -> dict[str, Any]:
    request_id: object = index
    key: tuple[object, ...] | None = None
    cached: dict[str, Any] | None = None
    parsed: _Parsed
    try:
        if type(raw) is Wire:
            request_id = index if raw.id is msgspec.UNSET else raw.id
            if memo is not None:
                key = memo_key(raw)
                cached = None if key is None else memo.get(key)
            if cached is None:  # else the same inputs were checked and evaluated before
                parsed = _parse_wire(raw, index, resolver, key, contexts)
        else:
            if type(raw) is msgspec.Raw:
                raw = _expand(raw, index)
            if type(raw) is not dict and not isinstance(raw, Mapping):
                raise PolicyError(f"request {index}: must be a JSON object")
            request_id = raw.get("id", index)
            parsed = _parse_request(raw, index, resolver)
        if not isinstance(request_id, _ID_TYPES):
            request_id = index
            raise PolicyError(f"request {index}: 'id' must be a string or a number")
        if cached is not None:
            return {
                **cached,
                "id": request_id,
                "matchedStatements": [known.copy() for known in cached["matchedStatements"]],
                "missingContext": cached["missingContext"].copy(),
            }
        request, identity, boundaries, scps, resource_policy = parsed
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
    answer = {
        "id": request_id,
        "decision": _DECISION_TEXT[result.decision],
        "matchedStatements": statements,
        "missingContext": list(result.missing_context),
        "explanation": result.explanation,
        "error": None,
    }
    if key is not None and memo is not None:
        # The answer, not the Evaluation: that would keep each request's objects alive.
        memo[key] = answer
    return answer


def _parse_request(raw: Mapping[str, Any], index: int, resolver: Resolver) -> _Parsed:
    if not raw.keys() <= _KNOWN:
        unknown = sorted(set(raw) - _KNOWN)
        raise PolicyError(f"request {index}: unknown field {unknown[0]!r}")
    return _parse_fields(
        index,
        resolver,
        raw.get("action"),
        raw.get("resource"),
        raw.get("principal"),
        raw.get("context", _NO_CONTEXT),
        (raw.get("identityPolicies"), raw.get("permissionBoundaries")),
        raw.get("scps"),
        raw.get("resourcePolicy"),
    )


def _parse_wire(
    wire: Wire,
    index: int,
    resolver: Resolver,
    key: tuple[object, ...] | None,
    contexts: _Contexts | None = None,
) -> _Parsed:
    context: object = _NO_CONTEXT
    normalized = None
    shared: tuple[bytes, str | None] | None = None
    if key is not None and type(key[3]) is bytes and contexts is not None:
        shared = (key[3], wire.principal)
        context, normalized = contexts.get(shared, (None, None))
    if normalized is None and wire.context is not msgspec.UNSET:
        try:
            context = _values.decode(wire.context)
        except DECODE_ERRORS as exc:  # as `_expand` says it
            raise PolicyError(f"request {index}: 'context': {decode_reason(exc)}") from None
    parsed = _parse_fields(
        index,
        resolver,
        wire.action,
        wire.resource,
        wire.principal,
        context,
        (_given(wire.identityPolicies), _given(wire.permissionBoundaries)),
        _given(wire.scps),
        _given(wire.resourcePolicy),
        # The policy fields' bytes, already taken (and hashed) for the memo's key.
        _NO_BYTES if key is None else key[4:],
        normalized,
    )
    if shared is not None and normalized is None and contexts is not None:
        contexts[shared] = (context, parsed[0].normalized_context)
    return parsed


def _given(value: object) -> object:
    """A field's raw JSON, or None when absent or `null` (as `raw.get(field)` gives)."""
    if value is msgspec.UNSET or (len(value) == 4 and value == _NULL):  # type: ignore[arg-type]
        return None
    return value


def _parse_fields(
    index: int,
    resolver: Resolver,
    action: object,
    resource: object,
    principal: object,
    context: object,
    lists: tuple[object, object],
    scp_references: object,
    resource_reference: object,
    data: tuple[object, ...] = (None, None, None, None),
    normalized: dict[str, Any] | None = None,
) -> _Parsed:
    """Check one request's fields and resolve its policies (either input shape)."""
    if type(action) is not str or not action:
        raise PolicyError(f"request {index}: 'action' must be a non-empty string")
    if type(resource) is not str or not resource:
        raise PolicyError(f"request {index}: 'resource' must be a non-empty string")
    if principal is not None and type(principal) is not str:
        raise PolicyError(f"request {index}: 'principal' must be an ARN string")
    if type(context) is not dict and not isinstance(context, Mapping):
        raise PolicyError(f"request {index}: 'context' must be an object of key -> value(s)")
    identity_references, boundary_references = lists
    identity = (
        ()
        if identity_references is None
        else resolver.many(identity_references, "identityPolicies", "identity", data[0])
    )
    boundaries = (
        ()
        if boundary_references is None
        else resolver.many(boundary_references, "permissionBoundaries", "boundary", data[1])
    )
    scps = () if scp_references is None else resolver.levels(scp_references, data[2])
    resource_policy = (
        None
        if resource_reference is None
        else resolver.one(resource_reference, "resourcePolicy", "resource", data[3])
    )
    request = Request.fast(action, resource, principal, context, normalized)
    # Context values are checked (and normalised) here so a bad one fails this request alone.
    _ = request.normalized_context
    return request, identity, boundaries, scps, resource_policy
