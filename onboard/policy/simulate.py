"""Batch simulation: requests in, one result per request out, same order.

Two input forms:
- a JSON list of requests, each carrying its own policy documents;
- the shared form, `{"policies": {name: document}, "requests": [...]}`, where
  a request names its policies (`"identityPolicies": ["mfa", "grants"]`), for
  helpdesk batches where thousands of requests share a few policies.
A bad request gets an `error` and never stops the batch. Each distinct
document is compiled once per process (`parse_policy`'s cache, keyed by the
document's canonical JSON). From JSON bytes (`simulate_json`,
`simulate_output`), a well-formed request is answered by its shape
(`onboard.policy.shape`): requests that the same statements decide alike share
one evaluation; anything unusual takes the general path here, which checks
each field and words each error.
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
from onboard.policy.evaluate import Request, evaluate
from onboard.policy.jsonio import describe
from onboard.policy.resolve import Resolver
from onboard.policy.result import DECISION_TEXT
from onboard.policy.shape import Answer, Batch, StatementJson, statement_dicts
from onboard.policy.wire import (
    DECODE_ERRORS,
    ID_TYPES,
    Wire,
    decode_reason,
    given,
    indented,
    values,
)

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
_NO_POLICIES: Mapping[str, Any] = {}

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
    matched_json: StatementJson = {}
    with _no_cycle_collection():
        return [
            _simulate_one(raw, index, resolver, matched_json) for index, raw in enumerate(requests)
        ]


_wires = msgspec.json.Decoder(list[Wire])
_fields = msgspec.json.Decoder(dict[str, msgspec.Raw])
_items = msgspec.json.Decoder(list[msgspec.Raw])


def simulate_json(data: bytes, name: str = "batch") -> list[dict[str, Any]]:
    """`simulate_batch` on JSON bytes (either form), decoding each distinct policy once.

    The batch and each request are split into `msgspec.Raw` pieces: an
    embedded document stays bytes until the batch first meets it, so 10,000
    copies of a policy cost one decode and a dictionary lookup each.
    """
    return [
        item[0].result(item[1], item[2], item[3]) if isinstance(item, tuple) else item
        for item in _answers(data, name)
    ]


def simulate_output(data: bytes, name: str = "batch") -> bytes:
    """What `onboard policy simulate` prints: `dumps_pretty(simulate_json(...))`."""
    return b"".join(simulate_pieces(data, name))


def simulate_pieces(data: bytes, name: str = "batch") -> list[bytes]:
    """`simulate_output` in pieces to write in turn (not copied into one): each shared
    answer is written from its encoded parts."""
    pieces: list[bytes] = [b"[\n"]
    extend = pieces.extend
    for item in _answers(data, name):
        if isinstance(item, tuple):
            extend(item[0].pretty(item[1], item[2], item[3]))
        else:
            pieces.append(indented(item))
        pieces.append(b",\n")
    if len(pieces) == 1:
        return [b"[]"]
    pieces[-1] = b"\n]"
    return pieces


# One request's outcome: its result, or a shared answer with the request's id, action
# and resource (written in when the result is built or encoded).
_Item = dict[str, Any] | tuple[Answer, object, str, str]


def _answers(data: bytes, name: str) -> list[_Item]:
    requests, policies = _split(data, name)
    resolver = Resolver(policies)
    batch = Batch(resolver)
    matched_json = batch.statement_json
    items: list[_Item] = []
    append = items.append
    with _no_cycle_collection():
        for index, raw in enumerate(requests):
            answer = batch.answer(raw, index) if type(raw) is Wire else None
            # Anything unusual is checked (and its error worded) by the general path.
            append(
                answer if answer is not None else _simulate_one(raw, index, resolver, matched_json)
            )
    return items


def _split(data: bytes, name: str) -> tuple[list[Any], Mapping[str, Any]]:
    """The batch's requests (`Wire` structs, or `Raw` pieces if any is unusual) and its
    named policies (`Raw` documents); `PolicyError` for a batch of neither form."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        start = data.lstrip()[:1]
        if start == b"{":
            top = _fields.decode(data)
            batch: list[Any] | dict[str, Any] = {
                key: _requests(value) if key == "requests" else _fields.decode(value)
                for key, value in top.items()
            }
        else:
            batch = _requests(data)
    except DECODE_ERRORS:
        try:  # valid JSON of another shape: batch_requests says what is wrong with it
            batch = values.decode(data)
        except DECODE_ERRORS as exc:
            raise PolicyError(describe(data, name, exc)) from None
    return batch_requests(batch, name)


def _requests(raw: bytes | msgspec.Raw) -> list[Any]:
    """The usual list in one call; if any request is unusual, each is looked at alone."""
    try:
        wires: list[Any] = _wires.decode(raw)
    except DECODE_ERRORS:
        return _items.decode(raw)
    return wires


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
            return values.decode(raw)  # not an object: `_simulate_one` says so
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
                request[key] = values.decode(value)
        except DECODE_ERRORS as exc:
            raise PolicyError(f"request {index}: {key!r}: {decode_reason(exc)}") from None
    return request


def _simulate_one(
    raw: object,
    index: int,
    resolver: Resolver,
    matched_json: StatementJson,
) -> dict[str, Any]:
    request_id: object = index
    parsed: _Parsed
    try:
        if type(raw) is Wire:
            request_id = index if raw.id is msgspec.UNSET else raw.id
            parsed = _parse_wire(raw, index, resolver)
        else:
            if type(raw) is msgspec.Raw:
                raw = _expand(raw, index)
            if type(raw) is not dict and not isinstance(raw, Mapping):
                raise PolicyError(f"request {index}: must be a JSON object")
            request_id = raw.get("id", index)
            parsed = _parse_request(raw, index, resolver)
        if not isinstance(request_id, ID_TYPES):
            request_id = index
            raise PolicyError(f"request {index}: 'id' must be a string or a number")
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
    statements = [statement.copy() for statement in statement_dicts(result, matched_json)]
    return {
        "id": request_id,
        "decision": DECISION_TEXT[result.decision],
        "matchedStatements": statements,
        "missingContext": list(result.missing_context),
        "explanation": result.explanation,
        "error": None,
    }


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


def _parse_wire(wire: Wire, index: int, resolver: Resolver) -> _Parsed:
    context: object = _NO_CONTEXT
    if wire.context is not msgspec.UNSET:
        try:
            context = values.decode(wire.context)
        except DECODE_ERRORS as exc:  # as `_expand` says it
            raise PolicyError(f"request {index}: 'context': {decode_reason(exc)}") from None
    return _parse_fields(
        index,
        resolver,
        wire.action,
        wire.resource,
        wire.principal,
        context,
        (given(wire.identityPolicies), given(wire.permissionBoundaries)),
        given(wire.scps),
        given(wire.resourcePolicy),
    )


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
        else resolver.many(identity_references, "identityPolicies", "identity")
    )
    boundaries = (
        ()
        if boundary_references is None
        else resolver.many(boundary_references, "permissionBoundaries", "boundary")
    )
    scps = () if scp_references is None else resolver.levels(scp_references)
    resource_policy = (
        None
        if resource_reference is None
        else resolver.one(resource_reference, "resourcePolicy", "resource")
    )
    request = Request.fast(action, resource, principal, context)
    # Context values are checked (and normalised) here so a bad one fails this request alone.
    _ = request.normalized_context
    return request, identity, boundaries, scps, resource_policy
