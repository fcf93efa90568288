"""IAM wildcards (`*` any run, `?` one character) matched without backtracking.

A regular expression built from a glob (`.*x.*y.*`) backtracks: a pattern
with k stars can take O(n^k) steps on an input that does not match, and
`"arn:*********x"` froze the sandbox. Here a glob is split at its runs of
`*` into fixed-length segments: the first must match at the start, the last
at the end, and each middle one is found leftmost after the one before
(greedy leftmost placement is always right for globs). A literal segment is
found with `str.find` (C speed); a segment with `?` with a fixed-length
regular expression that has no quantifier, so the worst case is
O(len(text) x len(pattern)) and the usual case a few C calls.
"""

from __future__ import annotations

import re
from functools import lru_cache

# A glob given in pieces: (text, wildcards) with wildcards False for a literal
# value (a substituted policy variable, whose `*` is just a character).
GlobPieces = tuple[tuple[str, bool], ...]


class Segment:
    """A run of pattern characters between stars: literal text and `?`."""

    __slots__ = ("length", "literal", "regex")

    def __init__(self, chars: list[str | None]) -> None:
        self.length = len(chars)
        if None in chars:
            # `?` is any one character: a fixed-length expression, no quantifier.
            body = "".join("." if c is None else re.escape(c) for c in chars)
            self.literal: str | None = None
            self.regex: re.Pattern[str] | None = re.compile(body, re.DOTALL)
        else:
            self.literal = "".join(c for c in chars if c is not None)
            self.regex = None

    def at(self, text: str, pos: int) -> bool:
        """Does the segment match `text` at `pos` (the caller checked the length)?"""
        if self.literal is not None:
            return text.startswith(self.literal, pos)
        assert self.regex is not None
        return self.regex.match(text, pos, pos + self.length) is not None

    def find(self, text: str, start: int, end: int) -> int:
        """The leftmost position in `[start, end)` where the segment fits whole, or -1."""
        if self.literal is not None:
            return text.find(self.literal, start, end)
        assert self.regex is not None
        found = self.regex.search(text, start, end)
        return -1 if found is None else found.start()


class Glob:
    """A compiled IAM glob; `match` decides a whole string in linear-ish time."""

    __slots__ = ("_head", "_middle", "_min_length", "_star", "_tail", "text")

    def __init__(self, pieces: GlobPieces) -> None:
        self.text = "".join(text for text, _wild in pieces)
        segments: list[list[str | None]] = [[]]
        for text, wildcards in pieces:
            for char in text:
                if wildcards and char == "*":
                    if segments[-1] or len(segments) == 1:
                        segments.append([])  # a run of stars is one star
                elif wildcards and char == "?":
                    segments[-1].append(None)
                else:
                    segments[-1].append(char)
        self._star = len(segments) > 1
        self._head = Segment(segments[0])
        self._tail = Segment(segments[-1] if self._star else [])
        self._middle = tuple(Segment(chars) for chars in segments[1:-1] if chars)
        self._min_length = (
            self._head.length + self._tail.length + sum(s.length for s in self._middle)
        )

    def match(self, text: str) -> bool:
        """Does the whole of `text` match?"""
        size = len(text)
        head = self._head
        if not self._star:
            return size == head.length and head.at(text, 0)
        if size < self._min_length:
            return False
        if head.length and not head.at(text, 0):
            return False
        end = size - self._tail.length
        if self._tail.length and not self._tail.at(text, end):
            return False
        pos = head.length
        for segment in self._middle:
            found = segment.find(text, pos, end)
            if found < 0:
                return False
            pos = found + segment.length
        return True


@lru_cache(maxsize=8192)
def compile_glob(pieces: GlobPieces) -> Glob:
    """A compiled glob, cached by its pieces (patterns repeat across policies)."""
    return Glob(pieces)


def glob(text: str) -> Glob:
    """A compiled glob from plain pattern text (every `*` and `?` a wildcard)."""
    return compile_glob(((text, True),))


def glob_match(pattern: str, text: str) -> bool:
    """Does `text` match the IAM glob `pattern`?"""
    return glob(pattern).match(text)
