"""Wildcards, policy variables and ARNs: the string matching IAM does.

Patterns are compiled once (at parse time) into `Pattern` objects; a pattern
with policy variables keeps its parts and builds a regular expression per
request, cached by its text, so evaluating many requests stays cheap.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# `${key}` or `${key, 'default'}`; a key may contain anything but `}` and `,`; a
# quote inside the default is written twice ('').
_VARIABLE = re.compile(r"\$\{\s*([^},']+?)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")
# `${*}`, `${?}`, `${$}` stand for the literal characters (escapes, not wildcards).
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

ContextValue = str | tuple[str, ...]
Context = Mapping[str, ContextValue]


def glob_to_regex(glob: str) -> str:
    """The regular expression (no anchors) for an IAM glob: `*` any run, `?` one character."""
    out: list[str] = []
    for char in glob:
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        else:
            out.append(re.escape(char))
    return "".join(out)


@lru_cache(maxsize=8192)
def compile_regex(regex: str, ignore_case: bool) -> re.Pattern[str]:
    """A compiled, cached, fully anchored regular expression."""
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile(f"(?:{regex})\\Z", flags)


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
    for found in _VARIABLE.finditer(text):
        if found.start() > pos:
            parts.append(text[pos : found.start()])
        name, default = found.group(1), found.group(2)
        if default is not None:
            default = default.replace("''", "'")
        if name in _ESCAPES and default is None:
            parts.append(Variable(key="", default=_ESCAPES[name]))
        else:
            parts.append(Variable(key=name.lower(), default=default))
        pos = found.end()
    if pos < len(text):
        parts.append(text[pos:])
    return tuple(parts)


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
        "_fragments",
        "_ignore_case",
        "_parts",
        "_static",
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
        self._static: re.Pattern[str] | None = None
        # Glob text converted once; only variable values are escaped per request.
        self._fragments = tuple(
            part if isinstance(part, Variable) else _part_regex(part, wildcards)
            for part in self._parts
        )
        if not self.has_variables:
            self._static = compile_regex(_part_regex(text, wildcards), ignore_case)

    def regex_for(self, context: Context) -> re.Pattern[str] | None:
        """The regular expression for this request; None if a variable has no value."""
        if self._static is not None:
            return self._static
        pieces: list[str] = []
        for part in self._fragments:
            if isinstance(part, Variable):
                value = resolve_variable(part, context)
                if value is None:
                    return None
                pieces.append(re.escape(value))
            else:
                pieces.append(part)
        return compile_regex("".join(pieces), self._ignore_case)

    def matches(self, value: str, context: Context) -> bool:
        """Does `value` match this pattern in the given request context?"""
        if not self._wildcards and self.has_variables:
            # Exact comparison after substitution: no regular expression needed.
            pieces: list[str] = []
            for part in self._parts:
                resolved = resolve_variable(part, context) if isinstance(part, Variable) else part
                if resolved is None:
                    return False
                pieces.append(resolved)
            text = "".join(pieces)
            if self._ignore_case:
                return text.lower() == value.lower()
            return text == value
        regex = self.regex_for(context)
        return regex is not None and regex.match(value) is not None

    def variable_keys(self) -> tuple[str, ...]:
        """Keys of the variables (without a default) in this pattern."""
        return tuple(
            part.key
            for part in self._parts
            if isinstance(part, Variable) and part.key and part.default is None
        )


def _part_regex(text: str, wildcards: bool) -> str:
    return glob_to_regex(text) if wildcards else re.escape(text)


class PatternSet:
    """Several patterns matched as one: a statement's Action or Resource list."""

    __slots__ = ("_combined", "_dynamic", "_exact", "_ignore_case", "matches_all", "patterns")

    def __init__(self, texts: tuple[str, ...], *, ignore_case: bool, variables: bool) -> None:
        self._ignore_case = ignore_case
        self.patterns = tuple(
            Pattern(text, ignore_case=ignore_case, wildcards=True, variables=variables)
            for text in texts
        )
        self.matches_all = any(text == "*" for text in texts)
        fold = str.lower if ignore_case else str
        static = [p for p in self.patterns if not p.has_variables]
        # Plain names (no wildcard) go in a set: most Action lists are just names.
        self._exact = frozenset(fold(p.text) for p in static if not _has_wildcard(p.text))
        globbed = [p.text for p in static if _has_wildcard(p.text)]
        self._combined = (
            compile_regex("|".join(glob_to_regex(g) for g in globbed), ignore_case)
            if globbed
            else None
        )
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
        if self._combined is not None and self._combined.match(value) is not None:
            return True
        return any(p.matches(value, context) for p in self._dynamic)

    def variable_keys(self) -> tuple[str, ...]:
        """Keys of the variables (without a default) these patterns use."""
        return tuple(dict.fromkeys(key for p in self._dynamic for key in p.variable_keys()))


def _has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


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
    return all(
        compile_regex(glob_to_regex(p), False).match(v) is not None
        for p, v in zip(pattern_parts, value_parts, strict=True)
    )
