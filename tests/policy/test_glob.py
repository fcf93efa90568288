"""Wildcard matching without backtracking: same answers as a reference, no blow-up."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.policy import Decision, Request, evaluate, parse_policy
from onboard.policy.glob import compile_glob, glob_match
from onboard.policy.match import PatternSet, _variables, arn_like, split_variables

from .test_properties import reference_glob

USER = "arn:aws:iam::123456789012:user/alice"


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) if the block runs past `seconds`."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still matching after {seconds} s: backtracking?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# Star-heavy patterns: runs of `*`, `?` next to `*`, repeated letters (the hard cases).
star_patterns = st.text(alphabet="ab**?", max_size=14)
texts = st.text(alphabet="ab*?", max_size=16)


@settings(max_examples=400)
@given(star_patterns, texts)
def test_glob_agrees_with_reference(pattern: str, text: str) -> None:
    assert glob_match(pattern, text) == reference_glob(pattern, text)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.text(alphabet="ab*?", max_size=4), st.booleans()), max_size=4),
    texts,
)
def test_literal_pieces_keep_their_wildcards_literal(
    pieces: list[tuple[str, bool]], text: str
) -> None:
    """A substituted variable's `*` and `?` are characters, not wildcards."""

    # For the reference, a literal piece's `*`/`?` (and the text's) become the plain
    # letters S/Q, which only match themselves.
    def plain(value: str) -> str:
        return value.replace("*", "S").replace("?", "Q")

    reference_pattern = "".join(part if wild else plain(part) for part, wild in pieces)
    assert compile_glob(tuple(pieces)).match(text) == reference_glob(reference_pattern, plain(text))


@pytest.mark.parametrize("stars", [9, 50, 400])
def test_star_runs_are_decided_at_once(stars: int) -> None:
    """`arn:*********x` against a long non-matching ARN used to take minutes."""
    pattern = "arn:" + "*" * stars + "x"
    long_value = "arn:" + "a" * 20_000
    with time_limit(5):
        assert not glob_match(pattern, long_value)
        assert glob_match(pattern, long_value + "x")


def test_many_separate_stars_are_decided_at_once() -> None:
    """`*a*a*a...*b` on `aaaa...`: exponential for a backtracking regex, quick here."""
    pattern = "*a" * 200 + "*b"
    with time_limit(5):
        assert not glob_match(pattern, "a" * 20_000)
        assert not glob_match("?*" * 200 + "b", "a" * 20_000)
        assert glob_match(pattern, "a" * 300 + "b")


def test_hostile_resource_pattern_in_a_policy() -> None:
    """The issue's 100-byte policy: decided instantly, also for ARN conditions and NotResource."""
    hostile = "arn:" + "*" * 40 + "x"
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": hostile},
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": hostile,
                    "Condition": {"ArnLike": {"aws:SourceArn": hostile}},
                },
            ],
        },
        "hostile",
    )
    value = "arn:" + "a:" * 5_000
    with time_limit(5):
        request = Request("s3:GetObject", value, USER, {"aws:SourceArn": value})
        assert evaluate(request, [policy]).decision is Decision.IMPLICIT_DENY
        assert not arn_like(hostile, value)


def test_pattern_sets_mix_exact_prefix_and_globs() -> None:
    patterns = PatternSet(
        ("s3:getobject", "iam:*", "kms:*crypt", "ec2:run?nstances"),
        ignore_case=True,
        variables=False,
    )
    assert patterns.matches("s3:getobject", {})
    assert patterns.matches("iam:createuser", {})
    assert patterns.matches("kms:decrypt", {})
    assert patterns.matches("ec2:runinstances", {})
    assert not patterns.matches("kms:decrypted", {})
    assert not patterns.matches("s3:getobjects", {})
    assert PatternSet(("**",), ignore_case=False, variables=False).matches_all


# The regular expression the variable scanner replaced (it backtracks on long inputs).
OLD_VARIABLE = re.compile(r"\$\{\s*([^},']+?)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


@settings(max_examples=400)
@given(st.text(alphabet="${}' ,a*", max_size=16))
def test_variable_scanner_agrees_with_the_old_expression(text: str) -> None:
    old = [
        (
            m.start(),
            m.end(),
            m.group(1),
            None if m.group(2) is None else m.group(2).replace("''", "'"),
        )
        for m in OLD_VARIABLE.finditer(text)
        if m.group(1).strip()
    ]
    assert list(_variables(text)) == old


def test_variable_scanner_is_quick_on_hostile_text() -> None:
    with time_limit(5):
        assert split_variables("${" + " " * 50_000) == ("${" + " " * 50_000,)
        assert split_variables("${" * 20_000) == ("${" * 20_000,)
