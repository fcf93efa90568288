"""Answers shared by request shape: why a batch costs far less than one evaluation per request.

For one set of policies and one action, the statements that can take part
are fixed (those whose Action covers it), and AWS's decision then reads only:
- which of those statements' Resource patterns the resource matches;
- the values of the context keys those statements read (condition keys and
  the policy variables in conditions and resources, present or not);
- with a resource policy, the principal (whom its statements name).
Requests that agree on these get the same decision, statements, missing keys
and explanation; the explanation differs only where it names the resource.
So `simulate` evaluates the first request of each shape with `evaluate`, and
every later one is a few dictionary lookups. Property tests check that the
answers equal one `evaluate` per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec

from onboard.policy.document import Policy, Statement
from onboard.policy.errors import PolicyError
from onboard.policy.evaluate import Request, evaluate
from onboard.policy.match import ContextValue, PatternSet
from onboard.policy.resolve import Resolver
from onboard.policy.result import DECISION_TEXT, Evaluation, MatchedStatement
from onboard.policy.wire import DECODE_ERRORS, ID_TYPES, Wire, encode, given, indented, values

# Resources remembered per shape (their pattern verdicts); past it the memo starts over.
_RESOURCE_LIMIT = 4096
# Stand-ins for the resource and the action, to write each explanation once: random per
# process, so no request's text can contain them by chance.
_RESOURCE = f"\x00{os.urandom(8).hex()}r\x00"
_ACTION = f"\x00{os.urandom(8).hex()}a\x00"
# Plain stand-ins for an id and an explanation, found again in an answer's encoded form.
_ID_TOKEN = f"onboard-id-{os.urandom(8).hex()}"
_TEXT_TOKEN = f"onboard-text-{os.urandom(8).hex()}"

# (statement's JSON, for the batch's output) by id of the MatchedStatement it was made from.
StatementJson = dict[int, tuple[MatchedStatement, dict[str, object]]]
# An answer's indented JSON between its id and its explanation, by what it holds there.
Middles = dict[tuple[object, ...], bytes]
# An answer's indented JSON (an item of the batch's list) starts and ends alike.
_HEAD = b'  {\n    "id": '
_TAIL = b',\n    "error": null\n  }'
Levels = tuple[tuple[Policy, ...], ...]
# A request's policies: identity, boundaries, SCP levels, resource policy.
Policies = tuple[tuple[Policy, ...], tuple[Policy, ...], Levels, Policy | None]


class Answer:
    """One shape's result, ready to copy into each request's output."""

    __slots__ = ("_middles", "_pretty", "decision", "missing", "named", "statements", "text")

    def __init__(
        self, evaluation: Evaluation, statement_json: StatementJson, middles: Middles
    ) -> None:
        self.decision = DECISION_TEXT[evaluation.decision]
        self.statements = tuple(statement_dicts(evaluation, statement_json))
        self.missing = evaluation.missing_context
        self.text = evaluation.explanation_for(_RESOURCE, _ACTION)
        # Whether the text names the request's action or resource (then written per request).
        self.named = _RESOURCE in self.text or _ACTION in self.text
        self._pretty: tuple[bytes, bytes] | None = None
        self._middles = middles

    def explanation(self, action: str, resource: str) -> str:
        """The explanation for a request of `action` on `resource` with this answer."""
        if self.named:
            return self.text.replace(_ACTION, action).replace(_RESOURCE, resource)
        return self.text

    def result(self, request_id: object, action: str, resource: str) -> dict[str, Any]:
        """This answer as one request's output (fresh lists and dicts: callers may edit)."""
        return {
            "id": request_id,
            "decision": self.decision,
            "matchedStatements": [statement.copy() for statement in self.statements],
            "missingContext": list(self.missing),
            "explanation": self.explanation(action, resource),
            "error": None,
        }

    def pretty(self, request_id: object, action: str, resource: str) -> tuple[bytes, ...]:
        """`result(...)` as an item of the batch's indented JSON list (what
        `dumps_pretty` writes for it there, two spaces in), in pieces to join: the
        parts every request of this answer shares are encoded once."""
        if self._pretty is None:
            # Answers that differ only in their explanation share the layout around it.
            key = (self.decision, tuple(map(id, self.statements)), self.missing)
            middle = self._middles.get(key)
            if middle is None:
                sample = self.result(_ID_TOKEN, "", "")
                sample["explanation"] = _TEXT_TOKEN
                whole = indented(sample)
                id_json, text_json = encode(_ID_TOKEN), encode(_TEXT_TOKEN)
                at_id, at_text = whole.index(id_json), whole.index(text_json)
                middle = self._middles[key] = whole[at_id + len(id_json) : at_text]
            self._pretty = (middle, b"" if self.named else encode(self.text))
        middle, text = self._pretty
        if self.named:
            text = encode(self.explanation(action, resource))
        return _HEAD, encode(request_id), middle, text, _TAIL


class Shape:
    """What a decision reads for some policies and an action, and the answers met so far.

    Requests share a shape when their policies have the same statements covering
    the action, in the same places (`shape_key`): a policy with none is
    invisible, so `[grants, readonly]` and `[grants]` share the shape of
    `kms:Decrypt`, and so do two actions that the same statements cover.
    """

    __slots__ = (
        "_answers",
        "_by_context",
        "_by_resource",
        "_dynamic",
        "_keys",
        "_readings",
        "_static",
        "_verdicts",
        "_with_principal",
    )

    def __init__(
        self,
        action: str,
        identity: tuple[Policy, ...],
        boundaries: tuple[Policy, ...],
        scps: Levels,
        resource_policy: Policy | None,
    ) -> None:
        everything = [*identity, *boundaries, *(p for level in scps for p in level)]
        if resource_policy is not None:
            everything.append(resource_policy)
        lowered = action.lower()
        keys: dict[str, None] = {}
        patterns: dict[int, PatternSet] = {}
        for policy in everything:
            for st in policy.statements_for(lowered):
                keys.update(dict.fromkeys(_keys_read(st)))
                resources = st.resources
                if resources is not None and not resources.matches_all:
                    patterns[id(resources)] = resources
        self._keys = tuple(keys)
        self._static = tuple(p for p in patterns.values() if not p.has_variables)
        self._dynamic = tuple(p for p in patterns.values() if p.has_variables)
        self._with_principal = resource_policy is not None
        # Memos, each a small number: the resource's pattern verdicts, by resource; what
        # the statements read in a context (and the principal), by the context's id (the
        # batch keeps each normalised context alive, one per context and principal).
        self._by_resource: dict[str, int] = {}
        self._by_context: dict[int, int] = {}
        self._verdicts: dict[tuple[bool, ...], int] = {}
        self._readings: dict[tuple[object, ...], int] = {}
        self._answers: dict[tuple[int, ...] | tuple[int, int, tuple[bool, ...]], Answer] = {}

    def answer(
        self,
        action: str,
        resource: str,
        principal: str | None,
        context: Mapping[str, Any],
        ctx: dict[str, ContextValue],
        policies: Policies,
        statement_json: StatementJson,
        middles: Middles,
    ) -> Answer:
        """The answer for this request (`ctx`: its normalised context, one object per
        context and principal in the batch; `policies`: its identity policies,
        boundaries, SCP levels and resource policy), evaluated if new.

        A new answer is evaluated with the request's own policies: another request of
        this shape may have other policies, invisible for its action but not for this one."""
        verdicts = self._by_resource.get(resource)
        if verdicts is None:
            if len(self._by_resource) >= _RESOURCE_LIMIT:
                self._by_resource.clear()
            seen = tuple([p.matches(resource, ctx) for p in self._static])
            verdicts = self._by_resource[resource] = self._verdicts.setdefault(
                seen, len(self._verdicts)
            )
        reading = self._by_context.get(id(ctx))
        if reading is None:
            read = tuple(map(ctx.get, self._keys))
            if self._with_principal:  # a resource policy names whom it allows
                read += (principal,)
            reading = self._by_context[id(ctx)] = self._readings.setdefault(
                read, len(self._readings)
            )
        key: tuple[int, ...] | tuple[int, int, tuple[bool, ...]] = (verdicts, reading)
        if self._dynamic:
            key = (verdicts, reading, tuple([p.matches(resource, ctx) for p in self._dynamic]))
        found = self._answers.get(key)
        if found is None:
            identity, boundaries, scps, resource_policy = policies
            request = Request.fast(action, resource, principal, context, ctx)
            evaluation = evaluate(
                request, identity, boundaries=boundaries, scps=scps, resource_policy=resource_policy
            )
            found = self._answers[key] = Answer(evaluation, statement_json, middles)
        return found


def shape_key(
    action: str,
    identity: tuple[Policy, ...],
    boundaries: tuple[Policy, ...],
    scps: Levels,
    resource_policy: Policy | None,
    *,
    covering: dict[tuple[int, str], tuple[int, tuple[int, ...]]] | None = None,
) -> tuple[object, ...]:
    """What makes two requests' policies and actions decide alike (see `Shape`).

    Each policy by its id (the caller keeps the policies alive while the key
    is in use) and the indices of its statements that cover the action. An
    identity policy without any is left out; `bool(identity)` stays, since
    "no identity policy at all" reads differently. Boundaries and SCP levels
    are named in explanations, so each stays, covering or not. `covering`: a
    memo of each policy's covering statements (by policy id and action).
    """
    lowered = action.lower()
    memo = {} if covering is None else covering

    def place(policy: Policy) -> tuple[int, tuple[int, ...]]:
        key = (id(policy), lowered)
        found = memo.get(key)
        if found is None:
            found = memo[key] = (
                key[0],
                tuple(st.index for st in policy.statements_for(lowered)),
            )
        return found

    visible = []
    for policy in identity:
        placed = place(policy)
        if placed[1]:
            visible.append(placed)
    return (
        bool(identity),
        tuple(visible),
        tuple(map(place, boundaries)) if boundaries else (),
        tuple(tuple(map(place, level)) for level in scps) if scps else (),
        None if resource_policy is None else place(resource_policy),
    )


def _keys_read(st: Statement) -> list[str]:
    """Every (lower-case) context key evaluating `st` may read."""
    keys = [key for key, _name in st.needed_keys]
    keys.extend(st.reason_keys)
    if st.resources is not None:
        keys.extend(st.resources.keys_read())
    for condition in st.conditions:
        keys.extend(condition.keys_read())
    return keys


class Batch:
    """One batch's shapes, checked contexts and statements' JSON (`simulate._answers`)."""

    __slots__ = (
        "_contexts",
        "_covering",
        "_middles",
        "_policies",
        "_resolver",
        "_shapes",
        "statement_json",
    )

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        # By the policy fields' bytes: the policies, and their shapes by action.
        self._policies: dict[tuple[bytes | None, ...], tuple[Policies, dict[str, Shape]]] = {}
        # By `shape_key`: a shape, and the policies whose ids are in the key (kept alive).
        self._shapes: dict[tuple[object, ...], tuple[Shape, Policies]] = {}
        self._covering: dict[tuple[int, str], tuple[int, tuple[int, ...]]] = {}
        # By (context bytes, principal): the decoded context and its normalised form.
        self._contexts: dict[tuple[bytes, str | None], tuple[Any, dict[str, ContextValue]]] = {}
        self.statement_json: StatementJson = {}
        self._middles: Middles = {}

    def answer(self, wire: Wire, index: int) -> tuple[Answer, object, str, str] | None:
        """A well-formed request's answer, with its id, action and resource; None for
        anything else (a bad field or policy, an odd id), which the general path reports."""
        action, resource, principal = wire.action, wire.resource, wire.principal
        if type(action) is not str or type(resource) is not str or not action or not resource:
            return None
        if principal is not None and type(principal) is not str:
            return None
        request_id = index if wire.id is _UNSET else wire.id
        if not isinstance(request_id, ID_TYPES):
            return None
        # A batch repeats a few policy lists: their bytes find them in one lookup.
        identity, boundaries = wire.identityPolicies, wire.permissionBoundaries
        scps, resource_policy = wire.scps, wire.resourcePolicy
        key = (
            None if identity is _UNSET else bytes(identity),
            None if boundaries is _UNSET else bytes(boundaries),
            None if scps is _UNSET else bytes(scps),
            None if resource_policy is _UNSET else bytes(resource_policy),
        )
        found = self._policies.get(key)
        if found is None:
            policies = self._resolve(wire, key)
            if policies is None:
                return None
            found = self._policies[key] = (policies, {})
        policies, by_action = found
        shape = by_action.get(action)
        if shape is None:
            shape = by_action[action] = self._shape(action, policies)
        context_raw = wire.context
        shared = (b"" if context_raw is _UNSET else bytes(context_raw), principal)
        known = self._contexts.get(shared)
        if known is None:
            try:
                context = {} if context_raw is _UNSET else values.decode(context_raw)
                if type(context) is not dict:
                    return None
                ctx = Request.fast(action, resource, principal, context).normalized_context
            except (PolicyError, *DECODE_ERRORS):
                return None
            known = self._contexts[shared] = (context, ctx)
        answer = shape.answer(
            action,
            resource,
            principal,
            known[0],
            known[1],
            policies,
            self.statement_json,
            self._middles,
        )
        return answer, request_id, action, resource

    def _resolve(self, wire: Wire, data: tuple[bytes | None, ...]) -> Policies | None:
        """A request's policies (None if any is bad: the general path says why)."""
        resolver = self._resolver
        try:
            identity_raw, boundaries_raw = (
                given(wire.identityPolicies),
                given(wire.permissionBoundaries),
            )
            identity = (
                ()
                if identity_raw is None
                else resolver.many(identity_raw, "identityPolicies", "identity", data[0])
            )
            boundaries = (
                ()
                if boundaries_raw is None
                else resolver.many(boundaries_raw, "permissionBoundaries", "boundary", data[1])
            )
            scps_raw = given(wire.scps)
            scps = () if scps_raw is None else resolver.levels(scps_raw, data[2])
            resource_raw = given(wire.resourcePolicy)
            resource_policy = (
                None
                if resource_raw is None
                else resolver.one(resource_raw, "resourcePolicy", "resource", data[3])
            )
        except PolicyError:
            return None
        return identity, boundaries, scps, resource_policy

    def _shape(self, action: str, policies: Policies) -> Shape:
        """The shape these policies and this action share with others."""
        common = shape_key(action, *policies, covering=self._covering)
        found = self._shapes.get(common)
        if found is None:
            found = self._shapes[common] = (Shape(action, *policies), policies)
        return found[0]


_UNSET = msgspec.UNSET


def statement_dicts(evaluation: Evaluation, memo: StatementJson) -> list[dict[str, object]]:
    """The JSON of the statements behind a decision, each built once per batch (`memo`).

    MatchedStatements are cached per policy, so a batch meets the same few again and
    again; the dicts are shared: copy one before changing it."""
    out = []
    for matched in evaluation.matched:
        known = memo.get(id(matched))
        if known is None or known[0] is not matched:
            known = memo[id(matched)] = (matched, matched.to_json())
        out.append(known[1])
    return out
