"""Wildcards, policy variables and ARNs: the string matching IAM does.

Patterns are compiled once (at parse time) into `Pattern` objects; a pattern
with policy variables keeps its parts and compiles a glob per request, cached
by its pieces, so evaluating many requests stays cheap. Wildcards never go
through a backtracking regular expression: see `onboard.policy.glob`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from onboard.policy.glob import Glob, compile_glob, glob

# A variable is `${key}` or `${key, 'default'}`: a key holds anything but `}`, `,`
# and `'`; a quote inside the default is written twice (''). Scanned by hand: the
# regular expression for it backtracked for seconds on `${` plus many spaces.
_KEY_END = re.compile("[},']")
# `${*}`, `${?}`, `${$}` stand for the literal characters (escapes, not wildcards).
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]


@dataclass(frozen=True)
class Variable:
    """A `${key}` (or `${key, 'default'}`) reference inside a pattern."""

    key: str  # lower-cased: condition keys are case-insensitive
    default: str | None


Part = str | Variable  # a str part is glob text (wildcards active)


def split_variables(text: str) -> tuple[Part, ...]:
    """Split a 2012-10-17 pattern into glob text and variable parts."""
    parts: list[Part] = []
    pos = 0
    for start, end, name, default in _variables(text):
        if start > pos:
            parts.append(text[pos:start])
        if name in _ESCAPES and default is None:
            parts.append(Variable(key="", default=_ESCAPES[name]))
        else:
            parts.append(Variable(key=name.lower(), default=default))
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
    return tuple(parts)


def _variables(text: str) -> Iterator[tuple[int, int, str, str | None]]:
    """(start, end, key, default) of each `${...}` in `text`, in one left-to-right pass."""
    search = 0
    while (start := text.find("${", search)) >= 0:
        stop = _KEY_END.search(text, start + 2)
        if stop is None:
            return  # no `}` left: no later `${` can close either
        name = text[start + 2 : stop.start()].strip()
        end, default = -1, None
        if stop.group() == "}":
            end = stop.end()
        elif stop.group() == ",":
            end, default = _default(text, stop.end())
        if end >= 0 and name:
            yield start, end, name, default
            search = end
        else:
            # Every `${` before `stop` reaches the same stop and fails the same way.
            search = stop.start() + 1


def _default(text: str, pos: int) -> tuple[int, str | None]:
    """After `${key,`: the end of `'default'}` and the default, or (-1, None)."""
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if not text.startswith("'", pos):
        return -1, None
    pieces: list[str] = []
    pos += 1
    while True:
        quote = text.find("'", pos)
        if quote < 0:
            return -1, None
        pieces.append(text[pos:quote])
        if text.startswith("''", quote):
            pieces.append("'")
            pos = quote + 2
            continue
        pos = quote + 1
        break
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if not text.startswith("}", pos):
        return -1, None
    return pos + 1, "".join(pieces)


def resolve_variable(variable: Variable, context: Context) -> str | None:
    """The value a variable takes in a request; None when it has none."""
    if not variable.key:  # an escape: the literal character
        return variable.default
    value = context.get(variable.key)
    if isinstance(value, str):
        return value
    # Absent, or multi-valued (AWS does not substitute list keys): the default if any.
    return variable.default


class Pattern:
    """A compiled IAM pattern (action, resource, or condition value)."""

    __slots__ = (
        "_by_values",
        "_glob",
        "_ignore_case",
        "_parts",
        "_variables",
        "_wildcards",
        "has_variables",
        "text",
    )

    def __init__(self, text: str, *, ignore_case: bool, wildcards: bool, variables: bool) -> None:
        self.text = text
        self._ignore_case = ignore_case
        self._wildcards = wildcards
        self._parts: tuple[Part, ...] = split_variables(text) if variables else (text,)
        self.has_variables = any(isinstance(part, Variable) for part in self._parts)
        self._variables = tuple(part for part in self._parts if isinstance(part, Variable))
        # Per request only the variables' values change: the compiled glob (or the
        # substituted text) is kept by those values, a few hundred at most.
        self._by_values: dict[tuple[str, ...], Glob | str] = {}
        self._glob: Glob | None = None
        if wildcards and not self.has_variables:
            self._glob = compile_glob(((self._fold(text), True),))

    def _fold(self, text: str) -> str:
        return text.lower() if self._ignore_case else text

    def matches(self, value: str, context: Context) -> bool:
        """Does `value` match this pattern in the given request context?"""
        if self._glob is not None:
            return self._glob.match(self._fold(value))
        if not self.has_variables:
            return self._fold(self.text) == self._fold(value)
        values = []
        for variable in self._variables:
            resolved = resolve_variable(variable, context)
            if resolved is None:
                return False
            values.append(resolved)
        key = tuple(values)
        compiled = self._by_values.get(key)
        if compiled is None:
            if len(self._by_values) >= 512:
                self._by_values.clear()
            compiled = self._by_values[key] = self._substitute(context)
        if type(compiled) is str:
            return compiled == self._fold(value)
        return compiled.match(self._fold(value))  # type: ignore[union-attr]

    def _substitute(self, context: Context) -> Glob | str:
        """The pattern with this request's variable values: a glob, or plain text."""
        pieces: list[tuple[str, bool]] = []
        for part in self._parts:
            if isinstance(part, Variable):
                resolved = resolve_variable(part, context) or ""  # checked by the caller
                # A variable's value is literal text: its `*` matches only a `*`.
                pieces.append((self._fold(resolved), False))
            else:
                pieces.append((self._fold(part), self._wildcards))
        if not self._wildcards:
            return "".join(text for text, _wild in pieces)
        return compile_glob(tuple(pieces))

    def variable_keys(self) -> tuple[str, ...]:
        """Keys of the variables (without a default) in this pattern."""
        return tuple(
            part.key
            for part in self._parts
            if isinstance(part, Variable) and part.key and part.default is None
        )

    def keys_read(self) -> tuple[str, ...]:
        """Every context key matching may read: each variable's, with a default or not."""
        return tuple(part.key for part in self._variables if part.key)


class PatternSet:
    """Several patterns matched as one: a statement's Action or Resource list."""

    __slots__ = (
        "_dynamic",
        "_exact",
        "_globs",
        "_ignore_case",
        "_prefixes",
        "matches_all",
        "patterns",
    )

    def __init__(self, texts: tuple[str, ...], *, ignore_case: bool, variables: bool) -> None:
        self._ignore_case = ignore_case
        self.patterns = tuple(
            Pattern(text, ignore_case=ignore_case, wildcards=True, variables=variables)
            for text in texts
        )
        self.matches_all = any(text.strip("*") == "" for text in texts)
        fold = str.lower if ignore_case else str
        static = [fold(p.text) for p in self.patterns if not p.has_variables]
        # Plain names go in a set and `prefix*` in one startswith tuple (both C speed):
        # most Action and Resource lists are just that. The rest are compiled globs.
        self._exact = frozenset(t for t in static if not _has_wildcard(t))
        prefixes = [t.rstrip("*") for t in static if _is_prefix(t)]
        self._prefixes = tuple(prefixes) if prefixes else None
        self._globs = tuple(glob(t) for t in static if _has_wildcard(t) and not _is_prefix(t))
        self._dynamic = tuple(p for p in self.patterns if p.has_variables)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PatternSet):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[tuple[str, ...], bool]:
        return tuple(p.text for p in self.patterns), self._ignore_case

    def matches(self, value: str, context: Context) -> bool:
        """Does any pattern match? `value` must already be lower-case when ignore_case."""
        if self.matches_all or value in self._exact:
            return True
        if self._prefixes is not None and value.startswith(self._prefixes):
            return True
        for compiled in self._globs:
            if compiled.match(value):
                return True
        return any(p.matches(value, context) for p in self._dynamic)

    def variable_keys(self) -> tuple[str, ...]:
        """Keys of the variables (without a default) these patterns use."""
        return tuple(dict.fromkeys(key for p in self._dynamic for key in p.variable_keys()))

    @property
    def has_variables(self) -> bool:
        """Whether a match depends on the request context (policy variables)."""
        return bool(self._dynamic)

    def keys_read(self) -> tuple[str, ...]:
        """Every context key `matches` may read (variables with a default included)."""
        return tuple(dict.fromkeys(key for p in self._dynamic for key in p.keys_read()))


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _is_prefix(text: str) -> bool:
    """`literal*` (one or more trailing stars, no other wildcard)."""
    stem = text.rstrip("*")
    return stem != text and not _has_wildcard(stem)


def arn_parts(arn: str) -> list[str] | None:
    """The six colon-separated ARN parts, or None if `arn` is not shaped like an ARN."""
    parts = arn.split(":", 5)
    return parts if len(parts) == 6 else None


def arn_like(pattern: str, value: str) -> bool:
    """ArnLike/ArnEquals: each of the six ARN parts is matched on its own (wildcards allowed)."""
    pattern_parts = arn_parts(pattern)
    value_parts = arn_parts(value)
    if pattern_parts is None or value_parts is None:
        return False
    return all(glob(p).match(v) for p, v in zip(pattern_parts, value_parts, strict=True))
