"""Parse and validate IAM policy documents into compiled `Policy` objects.

Everything a request evaluation needs (wildcard patterns, condition tests) is
compiled here, once per policy, so `evaluate` only runs matchers. Errors name
the place: `file:line:column` for bad JSON, `Statement[i].Field` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from onboard.policy.conditions import ConditionTest, compile_condition_block
from onboard.policy.errors import PolicyError
from onboard.policy.jsonio import canonical, loads, loads_canonical
from onboard.policy.match import PatternSet

VERSION_CURRENT = "2012-10-17"
VERSION_LEGACY = "2008-10-17"
KINDS = ("identity", "boundary", "scp", "resource")
_CACHE_LIMIT = 2048  # actions remembered per policy (statements_for)
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Principal",
    "NotPrincipal",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """A resource policy's Principal/NotPrincipal: "*" or typed lists of ids."""

    anyone: bool
    aws: tuple[str, ...]
    other: tuple[str, ...]  # Service, Federated, CanonicalUser: never an IAM user


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement of a policy."""

    index: int
    sid: str | None
    effect: str  # "Allow" or "Deny"
    actions: PatternSet = field(repr=False)
    not_action: bool
    resources: PatternSet | None = field(repr=False)  # None: no Resource element (trust policy)
    not_resource: bool
    conditions: tuple[ConditionTest, ...] = field(repr=False)
    principal: Principal | None
    not_principal: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    needed_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False, compare=False)
    """(lower-case key, key as written) for every context key the statement reads."""
    reason_keys: tuple[str, ...] = field(default=(), repr=False, compare=False)
    """Lower-case keys a condition's verdict depends on (for caching explanations)."""
    checks: tuple[Callable[[Mapping[str, Any]], bool], ...] = field(
        default=(), repr=False, compare=False
    )
    """The conditions' specialised `check` functions, in order."""

    @property
    def label(self) -> str:
        """`Statement[2] (Sid)` as used in messages."""
        return f"Statement[{self.index}]" + (f" ({self.sid})" if self.sid else "")


@dataclass(frozen=True, slots=True)
class Policy:
    """A parsed, compiled policy document."""

    name: str
    kind: str
    version: str | None
    document: Mapping[str, Any] = field(repr=False, compare=False)
    statements: tuple[Statement, ...] = field(repr=False)
    # Caches filled while evaluating: statements by action, explanations by context.
    _by_action: dict[str, tuple[Statement, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    explanations: dict[tuple[object, ...], object] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def variables(self) -> bool:
        """Whether `${...}` is substituted (only for Version 2012-10-17)."""
        return self.version == VERSION_CURRENT

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """Statements whose Action/NotAction covers `action` (lower-case), cached per action."""
        found = self._by_action.get(action)
        if found is None:
            if len(self._by_action) >= _CACHE_LIMIT:
                self._by_action.clear()
            found = tuple(
                st for st in self.statements if st.actions.matches(action, {}) != st.not_action
            )
            self._by_action[action] = found
        return found


# IAM's largest policy (a role's inline policies) is 10,240 characters, whitespace
# not counted; the compact JSON is about that. More is not a policy AWS would take.
MAX_POLICY_CHARACTERS = 10_240
# Distinct compiled documents kept per process (first in, first out). Each is at
# most MAX_POLICY_CHARACTERS and remembers at most 2,048 action lookups and 2,048
# explanations (evaluate._CACHE_LIMIT), so the whole stays bounded (a few MB for
# the usual few policies; tens of MB when the cache is full).
CACHE_SIZE = 512
_compiled: dict[tuple[str, bytes], Policy] = {}
_named: dict[tuple[str, str, bytes], Policy] = {}


def parse_policy(
    source: str | bytes | Mapping[str, Any],
    name: str = "policy",
    *,
    kind: str = "identity",
    cache: bool = True,
) -> Policy:
    """Parse a policy (JSON text or an already-decoded mapping); raises `PolicyError`.

    Each distinct document is compiled once per process: the cache is keyed by
    the document's canonical JSON (`jsonio.canonical`), so a changed document
    is never served stale, and holds at most `CACHE_SIZE` documents.
    `cache=False` compiles afresh (tests compare the two).
    """
    if kind not in KINDS:
        raise PolicyError(f"{name}: unknown policy kind {kind!r} (one of {', '.join(KINDS)})")
    document = loads(source, name) if isinstance(source, str | bytes) else source
    key = canonical(document)
    if key is None or not cache:
        return _compile(document, name, kind, key)
    found = _named.get((kind, name, key))
    if found is not None:
        return found
    shared = _compiled.get((kind, key))
    if shared is None:
        # Compiled from a private copy: a caller changing its dict later changes nothing here.
        shared = _compile(loads_canonical(key), name, kind, key)
        _remember(_compiled, (kind, key), shared)
        found = shared
    else:
        # Same document under another name: share the compiled statements and the
        # statements-by-action cache, not the explanations (they carry the name).
        found = replace(shared, name=name, _by_action=shared._by_action, explanations={})
    _remember(_named, (kind, name, key), found)
    return found


def _remember(cache: dict[Any, Policy], key: Any, policy: Policy) -> None:
    if len(cache) >= CACHE_SIZE:
        del cache[next(iter(cache))]  # the oldest entry
    cache[key] = policy


def clear_cache() -> None:
    """Forget every compiled policy (tests; a long-lived process never needs it)."""
    _compiled.clear()
    _named.clear()


def _compile(document: object, name: str, kind: str, key: bytes | None) -> Policy:
    if not isinstance(document, Mapping):
        raise PolicyError(f"{name}: a policy must be a JSON object, got {_type(document)}")
    size = 0 if key is None or len(key) <= MAX_POLICY_CHARACTERS else len(key.decode())
    if size > MAX_POLICY_CHARACTERS:
        raise PolicyError(
            f"{name}: {size:,} characters without whitespace, larger than any IAM policy may be "
            f"(AWS allows at most {MAX_POLICY_CHARACTERS:,})"
        )
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise PolicyError(f"{name}: unknown top-level element {unknown[0]!r}")
    version = document.get("Version")
    if version is not None and version not in (VERSION_CURRENT, VERSION_LEGACY):
        raise PolicyError(
            f"{name}: Version must be {VERSION_CURRENT!r} or {VERSION_LEGACY!r}, got {version!r}"
        )
    if "Statement" not in document:
        raise PolicyError(f"{name}: missing Statement")
    raw_statements = document["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyError(f"{name}: Statement must be an object or a non-empty list of objects")
    variables = version == VERSION_CURRENT
    statements = tuple(
        _statement(raw, index, name, kind, variables) for index, raw in enumerate(raw_statements)
    )
    sids = [s.sid for s in statements if s.sid]
    duplicate = next((sid for sid in sids if sids.count(sid) > 1), None)
    if duplicate is not None:
        raise PolicyError(f"{name}: Sid {duplicate!r} is used by more than one statement")
    return Policy(name, kind, version, document, statements)


def _type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _statement(raw: object, index: int, name: str, kind: str, variables: bool) -> Statement:
    where = f"{name}: Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}: must be an object, got {_type(raw)}")
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise PolicyError(f"{where}: unknown element {unknown[0]!r}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}.Sid: must be a string, got {_type(sid)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        got = "nothing" if effect is None else repr(effect)
        raise PolicyError(f'{where}.Effect: must be "Allow" or "Deny", got {got}')
    action_key = _one_of(raw, "Action", "NotAction", where, required=True)
    actions = _strings(raw[action_key], f"{where}.{action_key}")
    for action in actions:
        if action != "*" and ":" not in action:
            raise PolicyError(f"{where}.{action_key}: {action!r} is not service:Action or *")
    resource_key = _one_of(raw, "Resource", "NotResource", where, required=kind != "resource")
    resources = None
    if resource_key is not None:
        texts = _strings(raw[resource_key], f"{where}.{resource_key}")
        resources = PatternSet(texts, ignore_case=False, variables=variables)
    principal_key = _one_of(raw, "Principal", "NotPrincipal", where, required=False)
    principal = None
    if principal_key is not None:
        if kind != "resource":
            raise PolicyError(f"{where}.{principal_key}: only resource policies name a principal")
        principal = _principal(raw[principal_key], f"{where}.{principal_key}")
    elif kind == "resource":
        raise PolicyError(f"{where}: a resource policy statement needs Principal or NotPrincipal")
    conditions: tuple[ConditionTest, ...] = ()
    if "Condition" in raw:
        conditions = compile_condition_block(
            raw["Condition"], f"{where}.Condition", variables=variables
        )
    needed: list[tuple[str, str]] = []
    if resources is not None:
        needed.extend((key, key) for key in resources.variable_keys())
    reason_keys: list[str] = []
    for condition in conditions:
        needed.append((condition.key, condition.key_name))
        needed.extend((key, key) for key in condition.variable_keys())
        # A variable with a default is not needed, but its value still decides the verdict.
        reason_keys.extend(condition.keys_read())
    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        actions=PatternSet(tuple(a.lower() for a in actions), ignore_case=True, variables=False),
        not_action=action_key == "NotAction",
        resources=resources,
        not_resource=resource_key == "NotResource",
        conditions=conditions,
        principal=principal,
        not_principal=principal_key == "NotPrincipal",
        raw=raw,
        needed_keys=tuple(dict.fromkeys(needed)),
        reason_keys=tuple(dict.fromkeys(reason_keys)),
        checks=tuple(condition.check for condition in conditions),
    )


def _one_of(
    raw: Mapping[str, Any], key: str, not_key: str, where: str, *, required: bool
) -> str | None:
    if key in raw and not_key in raw:
        raise PolicyError(f"{where}: has both {key} and {not_key}; use one")
    if key in raw:
        return key
    if not_key in raw:
        return not_key
    if required:
        raise PolicyError(f"{where}: missing {key} (or {not_key})")
    return None


def _strings(value: object, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyError(f"{where}: must not be an empty list")
    for item in items:
        if not isinstance(item, str) or not item:
            raise PolicyError(f"{where}: must be a string or a list of strings, got {_type(item)}")
    return tuple(str(item) for item in items)


def _principal(value: object, where: str) -> Principal:
    if value == "*":
        return Principal(anyone=True, aws=(), other=())
    if not isinstance(value, Mapping) or not value:
        raise PolicyError(f'{where}: must be "*" or an object such as {{"AWS": "arn:..."}}')
    aws: list[str] = []
    other: list[str] = []
    for principal_type, ids in value.items():
        if principal_type not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}: unknown principal type {principal_type!r}")
        names = _strings(ids, f"{where}.{principal_type}")
        (aws if principal_type == "AWS" else other).extend(names)
    return Principal(anyone="*" in aws, aws=tuple(aws), other=tuple(other))
