"""Batch simulation: requests in, one result per request out, same order.

Two input forms:
- a JSON list of requests, each carrying its own policy documents;
- the shared form, `{"policies": {name: document}, "requests": [...]}`, where
  a request names its policies (`"identityPolicies": ["mfa", "grants"]`), for
  helpdesk batches where thousands of requests share a few policies.
A bad request gets an `error` and never stops the batch. Each distinct
document is compiled once per process (`parse_policy`'s cache, keyed by the
document's canonical JSON), so a batch costs about one evaluation per request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import msgspec

from onboard.errors import OnboardError
from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Decision, MatchedStatement, Request, evaluate
from onboard.policy.jsonio import DECODE_ERRORS, describe

# Batches above this many requests are refused as a whole (memory and time stay
# bounded); split them. Documented in docs/policy.md.
MAX_BATCH_REQUESTS = 100_000

_LIST_FIELDS = (
    ("identityPolicies", "identity"),
    ("permissionBoundaries", "boundary"),
)
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
# Built once: an enum's `.value` and an f-string per policy per request add up.
_DECISION_TEXT = {decision: decision.value for decision in Decision}
_PLACES = {field: tuple(f"{field}[{i}]" for i in range(16)) for field, _kind in _LIST_FIELDS}
_NO_POLICIES: Mapping[str, Any] = {}
_ID_TYPES = (str, int, float, bool, type(None))

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
    resolver = _Resolver(policies)
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]] = {}
    return [_simulate_one(raw, index, resolver, matched_json) for index, raw in enumerate(requests)]


class _Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A request as `simulate_json` meets it most of the time: the known fields, its
    policies still raw. Anything else (an unknown field, not an object) makes the
    whole list fall back to `_expand`, one request at a time, for exact errors."""

    action: Any = None
    resource: Any = None
    principal: Any = None
    context: Any = msgspec.UNSET
    id: Any = msgspec.UNSET
    identityPolicies: list[msgspec.Raw] | None = None
    permissionBoundaries: list[msgspec.Raw] | None = None
    scps: list[msgspec.Raw] | None = None
    resourcePolicy: msgspec.Raw | None = None


_wires = msgspec.json.Decoder(list[_Wire])
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
    resolver = _Resolver(policies)
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]] = {}
    wires: list[Any] = requests
    if raw_list is not None:
        # The usual batch in one call; if any request is unusual, each is looked at alone.
        with contextlib.suppress(*DECODE_ERRORS):
            wires = _wires.decode(raw_list)
    return [_simulate_one(raw, index, resolver, matched_json) for index, raw in enumerate(wires)]


def _expand(raw: msgspec.Raw, index: int) -> object:
    """One request's fields as values, its policy lists as lists of `Raw` documents."""
    try:
        fields = _fields.decode(raw)
    except DECODE_ERRORS:
        try:
            return _values.decode(raw)  # not an object: `_simulate_one` says so
        except DECODE_ERRORS as exc:
            raise PolicyError(f"request {index}: {_reason(exc)}") from None
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
            raise PolicyError(f"request {index}: {key!r}: {_reason(exc)}") from None
    return request


def _reason(error: Exception) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if "out of range" in str(error):
        return "a number too large to use (integers up to 4,300 digits)"
    return f"invalid JSON value ({error})"


class _Resolver:
    """A request's policy references (documents, or names in the shared form) to policies."""

    __slots__ = ("_named", "_raw", "_shared")

    def __init__(self, shared: Mapping[str, Any]) -> None:
        self._shared = shared
        self._named: dict[tuple[str, str], Policy | PolicyError] = {}
        self._raw: dict[tuple[bytes, str, str], Policy] = {}

    def one(self, reference: object, where: str, kind: str) -> Policy:
        """A document is compiled (once per process); a name is looked up in `policies`."""
        if type(reference) is msgspec.Raw:
            key = (bytes(reference), where, kind)
            found = self._raw.get(key)
            if found is None:
                try:
                    decoded = _values.decode(reference)
                except DECODE_ERRORS as exc:
                    raise PolicyError(f"{where}: {_reason(exc)}") from None
                found = self._raw[key] = self.one(decoded, where, kind)
            return found
        if type(reference) is str and self._shared:
            return self._by_name(reference, where, kind)
        if isinstance(reference, Mapping | str):
            return parse_policy(reference, where, kind=kind)
        raise PolicyError(f"{where}: must be a policy document (an object) or a policy's name")

    def _by_name(self, name: str, where: str, kind: str) -> Policy:
        found = self._named.get((name, kind))
        if found is None:
            if name not in self._shared:
                found = PolicyError(f'{where}: no policy named {name!r} in "policies"')
            else:
                try:
                    document = self._shared[name]
                    if type(document) is msgspec.Raw:
                        document = self._decode(document, f"policies[{name!r}]")
                    found = parse_policy(document, name, kind=kind)
                except PolicyError as exc:
                    found = exc  # every request naming it gets the same error
            self._named[(name, kind)] = found
        if isinstance(found, PolicyError):
            raise found
        return found

    @staticmethod
    def _decode(raw: msgspec.Raw, where: str) -> Any:
        try:
            return _values.decode(raw)
        except DECODE_ERRORS as exc:
            raise PolicyError(f"{where}: {_reason(exc)}") from None

    def many(self, references: object, field: str, kind: str) -> tuple[Policy, ...]:
        """A request field's list of policies."""
        if not isinstance(references, list):
            raise PolicyError(f"{field!r} must be a list of policy documents or names")
        names = _PLACES.get(field, ())
        return tuple(
            self.one(ref, names[i] if i < len(names) else f"{field}[{i}]", kind)
            for i, ref in enumerate(references)
        )

    def levels(self, references: object) -> tuple[tuple[Policy, ...], ...]:
        """`scps`: each item one SCP (a level of its own) or a list (the SCPs of one level)."""
        if not isinstance(references, list):
            raise PolicyError("'scps' must be a list of SCPs, or of lists of SCPs (levels)")
        levels: list[tuple[Policy, ...]] = []
        for i, level in enumerate(references):
            if type(level) is msgspec.Raw and bytes(level).lstrip()[:1] == b"[":
                level = self._decode(level, f"scps[{i}]")
            if isinstance(level, list):
                if not level:
                    raise PolicyError(f"scps[{i}]: an SCP level needs at least one SCP")
                where = f"scps[{i}]"
                levels.append(
                    tuple(self.one(r, f"{where}[{j}]", "scp") for j, r in enumerate(level))
                )
            else:
                levels.append((self.one(level, f"scps[{i}]", "scp"),))
        return tuple(levels)


def _simulate_one(
    raw: object,
    index: int,
    resolver: _Resolver,
    matched_json: dict[int, tuple[MatchedStatement, dict[str, object]]],
) -> dict[str, Any]:
    request_id: object = index
    try:
        if type(raw) is _Wire:
            request_id = index if raw.id is msgspec.UNSET else raw.id
            parsed = _parse_wire(raw, index, resolver)
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
    return {
        "id": request_id,
        "decision": _DECISION_TEXT[result.decision],
        "matchedStatements": statements,
        "missingContext": list(result.missing_context),
        "explanation": result.explanation,
        "error": None,
    }


def _parse_request(raw: Mapping[str, Any], index: int, resolver: _Resolver) -> _Parsed:
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


def _parse_wire(wire: _Wire, index: int, resolver: _Resolver) -> _Parsed:
    context = _NO_CONTEXT if wire.context is msgspec.UNSET else wire.context
    return _parse_fields(
        index,
        resolver,
        wire.action,
        wire.resource,
        wire.principal,
        context,
        (wire.identityPolicies, wire.permissionBoundaries),
        wire.scps,
        wire.resourcePolicy,
    )


def _parse_fields(
    index: int,
    resolver: _Resolver,
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
