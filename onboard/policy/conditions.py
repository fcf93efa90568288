"""Condition operators and the ForAllValues/ForAnyValue set operators.

Semantics follow AWS's "IAM JSON policy elements: Condition operators" and
"Conditions with multiple context keys or values":
- several operators, and several keys under one operator: AND;
- several values for one key: OR (for a negated operator: NOR);
- a key absent from the request: false, except for negated operators
  (true), `...IfExists` (true) and `Null` (which tests exactly that);
- `ForAllValues:` is true when the key is absent or a null dataset (an
  empty list or empty string), `ForAnyValue:` false (with or without
  IfExists); `Null` also counts an empty value as no value;
- a single-valued operator (no `ForAllValues:`/`ForAnyValue:`) on a key the
  request carries as a list is false, negated or not: AWS needs a set
  operator for a multivalued key;
- policy variables work only in String and Arn operators' values.
An unknown operator is a `PolicyError` at parse time, never a silent false.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

from onboard.policy.errors import PolicyError
from onboard.policy.match import (
    Context,
    ContextValue,
    Pattern,
    Variable,
    arn_like,
    resolve_variable,
    split_variables,
)

# A compiled policy value: tests one request value in a request context.
ValueTest = Callable[[str, Context], bool]

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "Equals": operator.eq,
    "NotEquals": operator.eq,  # negated afterwards
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}

# Canonical base operator names (lower-case -> name); `IfExists` and the set
# qualifier are stripped before the lookup.
_STRING_OPS = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
_BASE_OPS = (
    *_STRING_OPS,
    *(f"Numeric{suffix}" for suffix in _COMPARE),
    *(f"Date{suffix}" for suffix in _COMPARE),
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
_BY_LOWER = {name.lower(): name for name in _BASE_OPS}
_NEGATED = frozenset(
    name for name in _BASE_OPS if "Not" in name and name not in ("Null",)
)  # StringNotEquals, NumericNotEquals, DateNotEquals, NotIpAddress, ArnNot*
_QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}

_EPOCH = re.compile(r"-?\d+(\.\d+)?\Z")


@dataclass(frozen=True, slots=True)
class ConditionOperator:
    """A parsed operator name such as `ForAnyValue:StringLikeIfExists`."""

    name: str  # as written in the policy
    base: str  # canonical base, e.g. "StringLike"
    qualifier: str | None  # "ForAllValues", "ForAnyValue" or None
    if_exists: bool
    negated: bool

    @classmethod
    def parse(cls, name: str) -> ConditionOperator:
        """Parse an operator name; raises `PolicyError` (without location) if unknown."""
        qualifier = None
        rest = name
        if ":" in name:
            prefix, rest = name.split(":", 1)
            qualifier = _QUALIFIERS.get(prefix.lower())
            if qualifier is None:
                raise PolicyError(f"unknown set operator {prefix!r} in {name!r}")
        if_exists = rest.lower().endswith("ifexists") and rest.lower() != "ifexists"
        base_text = rest[: -len("IfExists")] if if_exists else rest
        base = _BY_LOWER.get(base_text.lower())
        if base is None or (base == "Null" and if_exists):
            raise PolicyError(f"unknown condition operator {name!r}")
        return cls(name, base, qualifier, if_exists, base in _NEGATED)


@dataclass(frozen=True, slots=True)
class ConditionTest:
    """One (operator, key, values) triple of a Condition block, compiled."""

    operator: ConditionOperator
    key: str  # lower-case: condition keys are case-insensitive
    key_name: str  # as written, for explanations
    values: tuple[str, ...]
    _tests: tuple[ValueTest, ...] = field(repr=False, compare=False)
    variables: bool = field(default=False, repr=False)
    check: Callable[[Context], bool] = field(init=False, repr=False, compare=False)
    """`holds` specialised for this operator: what the evaluation loop calls."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", self._specialise())

    def _specialise(self) -> Callable[[Context], bool]:
        op = self.operator
        if op.base == "Null" or op.qualifier is not None or len(self._tests) != 1:
            return self.holds
        # The common case (one value, plain operator): a closure with no lookups.
        key, test, negated = self.key, self._tests[0], op.negated
        if_missing = op.if_exists or op.negated

        def check(context: Context) -> bool:
            present = context.get(key)
            if type(present) is str:
                return test(present, context) != negated
            # Absent or an empty list (no value); a list: a single-valued operator never
            # matches a multivalued key, negated or not (see `holds`).
            return if_missing if not present else False

        return check

    def _positive(self, value: str, context: Context) -> bool:
        return any(test(value, context) for test in self._tests)

    def holds(self, context: Context) -> bool:
        """Is this condition true for the request context?"""
        present: ContextValue | None = context.get(self.key)
        op = self.operator
        if type(present) is str and op.qualifier is None and op.base != "Null":
            # The common case first: a single-valued key under a plain operator.
            for test in self._tests:
                if test(present, context):
                    return not op.negated
            return op.negated
        if op.base == "Null":
            # An empty string or list is a "null dataset" (AWS): no value, as for an absent key.
            absent = not present
            return any((value == "true") == absent for value in self.values)
        if op.qualifier is not None:
            if isinstance(present, str):
                request_values: tuple[str, ...] = (present,) if present else ()
            else:
                request_values = present or ()
            if not request_values:  # absent, "" or []: a null dataset
                return op.qualifier == "ForAllValues"
            check = all if op.qualifier == "ForAllValues" else any
            return check(self._positive(v, context) != op.negated for v in request_values)
        if not present:  # absent, or an empty list
            return op.if_exists or op.negated
        if isinstance(present, str):
            return self._positive(present, context) != op.negated
        # A list (multivalued) key under a single-valued operator: AWS's evaluation never
        # matches it, negated or not; it needs ForAnyValue/ForAllValues.
        return False

    def explain(self, context: Context) -> str:
        """One line saying what this condition saw in the request and what it decided."""
        present = context.get(self.key)
        values = self.values[0] if len(self.values) == 1 else list(self.values)
        seen = (
            "key absent"
            if present is None
            else "request has " + repr(present if isinstance(present, str) else list(present))
        )
        verdict = "true" if self.holds(context) else "false"
        if self.multivalued_mismatch(context):
            verdict += " (a list needs ForAnyValue: or ForAllValues:)"
        return f"{self.operator.name} {self.key_name}={values!r}: {seen} -> {verdict}"

    def multivalued_mismatch(self, context: Context) -> bool:
        """A single-valued operator met a list value (the condition is then false)."""
        op = self.operator
        present = context.get(self.key)
        return (
            bool(present)
            and not isinstance(present, str)
            and op.qualifier is None
            and (op.base != "Null")
        )

    def variable_keys(self) -> tuple[str, ...]:
        """Keys of variables (without a default) used in this condition's values."""
        if not self.variables:
            return ()
        return tuple(
            part.key
            for value in self.values
            for part in split_variables(value)
            if isinstance(part, Variable) and part.key and part.default is None
        )

    def keys_read(self) -> tuple[str, ...]:
        """Every context key `holds` and `explain` may read: the key, and each variable's
        in the values (with a default or not)."""
        keys = [self.key]
        if self.variables:
            keys.extend(
                part.key
                for value in self.values
                for part in split_variables(value)
                if isinstance(part, Variable) and part.key
            )
        return tuple(dict.fromkeys(keys))


def compile_condition_block(
    block: object, where: str, *, variables: bool
) -> tuple[ConditionTest, ...]:
    """Compile a statement's `Condition` object; `where` names it in errors."""
    if not isinstance(block, Mapping):
        raise PolicyError(f"{where}: must be an object of operator -> {{key: value}}")
    tests: list[ConditionTest] = []
    for op_name, keys in block.items():
        try:
            op = ConditionOperator.parse(str(op_name))
        except PolicyError as exc:
            raise PolicyError(f"{where}: {exc.what}") from None
        if not isinstance(keys, Mapping) or not keys:
            raise PolicyError(f"{where}.{op_name}: must be an object of condition key -> value(s)")
        for key_name, raw in keys.items():
            place = f"{where}.{op_name}.{key_name}"
            values = _values(raw, place)
            value_tests = tuple(_compile_value(op.base, v, place, variables) for v in values)
            tests.append(
                ConditionTest(
                    op, str(key_name).lower(), str(key_name), values, value_tests, variables
                )
            )
    return tuple(tests)


def _values(raw: object, place: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError(f"{place}: needs at least one value")
    out: list[str] = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(str(item))
        else:
            raise PolicyError(f"{place}: values must be strings, numbers or booleans, got {item!r}")
    return tuple(out)


def _compile_value(base: str, value: str, place: str, variables: bool) -> ValueTest:
    if variables and "${" in value and not base.startswith(("String", "Arn")):
        raise PolicyError(
            f"{place}: policy variables work only with String and Arn operators, got {value!r}"
        )
    if base.startswith("String") and not (variables and "${" in value):
        if "Like" in base and ("*" in value or "?" in value):
            pattern = Pattern(value, ignore_case=False, wildcards=True, variables=False)
            return pattern.matches
        if "IgnoreCase" in base:
            lowered = value.lower()
            return lambda seen, _ctx: seen.lower() == lowered
        return lambda seen, _ctx: seen == value
    if base.startswith("String"):
        pattern = Pattern(
            value,
            ignore_case="IgnoreCase" in base,
            wildcards="Like" in base,
            variables=variables,
        )
        return pattern.matches
    if base.startswith("Numeric"):
        number = _number(value)
        if number is None:
            raise PolicyError(f"{place}: {value!r} is not a number")
        return _comparison(_COMPARE[base[len("Numeric") :]], number, _number)
    if base.startswith("Date"):
        moment = parse_date(value)
        if moment is None:
            raise PolicyError(f"{place}: {value!r} is not an ISO 8601 date or epoch time")
        return _comparison(_COMPARE[base[len("Date") :]], moment, parse_date)
    if base == "Bool":
        expected = value.lower()
        if expected not in ("true", "false"):
            raise PolicyError(f'{place}: Bool needs "true" or "false", got {value!r}')
        return lambda seen, _ctx: seen.lower() == expected
    if base == "BinaryEquals":
        decoded = _base64(value)
        if decoded is None:
            raise PolicyError(f"{place}: {value!r} is not base-64")
        return lambda seen, _ctx: _base64(seen) == decoded
    if base in ("IpAddress", "NotIpAddress"):
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise PolicyError(f"{place}: {value!r} is not an IP address or CIDR block") from None
        return lambda seen, _ctx: _in_network(seen, network)
    if base.startswith("Arn"):
        return _arn_test(value, variables)
    if base == "Null":
        if value.lower() not in ("true", "false"):
            raise PolicyError(f'{place}: Null needs "true" or "false", got {value!r}')
        return lambda _seen, _ctx: False  # Null is decided in ConditionTest.holds
    raise PolicyError(f"{place}: unknown condition operator {base!r}")  # pragma: no cover


def _comparison(
    compare: Callable[[float, float], bool],
    expected: float,
    convert: Callable[[str], float | None],
) -> ValueTest:
    def test(seen: str, _ctx: Context) -> bool:
        number = convert(seen)
        return number is not None and compare(number, expected)

    return test


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


@lru_cache(maxsize=4096)
def parse_date(text: str) -> float | None:
    """Seconds since the epoch for an ISO 8601 date/time or an epoch number; None if neither."""
    text = text.strip()
    if _EPOCH.match(text):
        return float(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # AWS reads a zone-less time as UTC
    return moment.timestamp()


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


@lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _in_network(seen: str, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    address = _address(seen)
    if address is None:
        try:  # a request value given as a CIDR: contained in the policy's block
            inner = ipaddress.ip_network(seen.strip(), strict=False)
        except ValueError:
            return False
        return inner.version == network.version and inner.subnet_of(network)  # type: ignore[arg-type]
    return address.version == network.version and address in network


def _arn_test(value: str, variables: bool) -> ValueTest:
    parts = split_variables(value) if variables else (value,)
    if all(isinstance(part, str) for part in parts):
        return lambda seen, _ctx: arn_like(value, seen)

    def test(seen: str, context: Context) -> bool:
        pieces: list[str] = []
        for part in parts:
            if isinstance(part, Variable):
                resolved = resolve_variable(part, context)
                if resolved is None:
                    return False
                pieces.append(resolved)
            else:
                pieces.append(part)
        return arn_like("".join(pieces), seen)

    return test
