"""Property tests: wildcard matching against a reference, and monotonic denies."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.policy import Decision, Request, evaluate, parse_policy
from onboard.policy.match import PatternSet

USER = "arn:aws:iam::123456789012:user/alice"


def reference_glob(pattern: str, text: str) -> bool:
    """Obvious dynamic-programming glob: `*` any run, `?` one character."""

    @cache
    def match(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(text)
        if pattern[i] == "*":
            return match(i + 1, j) or (j < len(text) and match(i, j + 1))
        if j == len(text):
            return False
        return (pattern[i] == "?" or pattern[i] == text[j]) and match(i + 1, j + 1)

    return match(0, 0)


patterns = st.text(alphabet="ab*?.:/[", min_size=1, max_size=8)
texts = st.text(alphabet="abAB.:/[", max_size=10)


@given(patterns, texts)
def test_resource_wildcards_match_reference(pattern: str, text: str) -> None:
    compiled = PatternSet((pattern,), ignore_case=False, variables=True)
    assert compiled.matches(text, {}) == reference_glob(pattern, text)


@given(patterns, texts)
def test_action_wildcards_ignore_case(pattern: str, text: str) -> None:
    compiled = PatternSet((pattern.lower(),), ignore_case=True, variables=False)
    expected = reference_glob(pattern.lower(), text.lower())
    assert compiled.matches(text.lower(), {}) == expected


ACTIONS = ["s3:GetObject", "s3:PutObject", "iam:CreateAccessKey", "codecommit:GitPull"]
RESOURCES = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}", "arn:aws:iam::*:user/alice"]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"Null": {"kms:ViaService": "true"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": "red"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "a*"}},
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(
                st.sampled_from([*ACTIONS, "s3:*", "*", "iam:Create*"]), min_size=1, max_size=3
            )
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(st.sampled_from(RESOURCES)),
    }
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    return statement


@st.composite
def requests(draw: st.DrawFn) -> Request:
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["aws:MultiFactorAuthPresent"] = draw(st.sampled_from(["true", "false"]))
    if draw(st.booleans()):
        context["aws:PrincipalTag/team"] = draw(st.sampled_from(["red", "blue"]))
    if draw(st.booleans()):
        context["kms:ViaService"] = "codecommit.us-east-1.amazonaws.com"
    if draw(st.booleans()):
        context["aws:TagKeys"] = draw(st.lists(st.sampled_from(["ab", "b"]), max_size=2))
    resource = draw(
        st.sampled_from(
            ["arn:aws:s3:::b/alice", "arn:aws:s3:::b/x", "arn:aws:iam::1:user/alice", "*"]
        )
    )
    return Request(draw(st.sampled_from(ACTIONS)), resource, USER, context)


def _decide(statement_list: list[dict[str, Any]], request: Request) -> Decision:
    document = {"Version": "2012-10-17", "Statement": statement_list}
    return evaluate(request, [parse_policy(document)]).decision


@settings(max_examples=150, deadline=None)
@given(
    st.lists(statements(), min_size=1, max_size=4),
    st.lists(statements(), min_size=1, max_size=3),
    requests(),
)
def test_adding_statements_never_turns_an_explicit_deny_into_an_allow(
    base: list[dict[str, Any]], extra: list[dict[str, Any]], request: Request
) -> None:
    before = _decide(base, request)
    after = _decide(base + extra, request)
    if before is Decision.EXPLICIT_DENY:
        assert after is Decision.EXPLICIT_DENY
    # and in a separate policy, in either order
    split = evaluate(
        request,
        [
            parse_policy({"Statement": extra}, "x"),
            parse_policy({"Version": "2012-10-17", "Statement": base}, "b"),
        ],
    )
    if before is Decision.EXPLICIT_DENY:
        assert split.decision is Decision.EXPLICIT_DENY


@settings(max_examples=150, deadline=None)
@given(
    st.lists(statements(), min_size=1, max_size=4),
    st.lists(statements(), min_size=1, max_size=3),
    requests(),
)
def test_adding_deny_statements_never_allows(
    base: list[dict[str, Any]], extra: list[dict[str, Any]], request: Request
) -> None:
    denies = [{**statement, "Effect": "Deny"} for statement in extra]
    before = _decide(base, request)
    after = _decide(base + denies, request)
    if before is not Decision.ALLOWED:
        assert after is not Decision.ALLOWED
    if after is Decision.ALLOWED:
        assert before is Decision.ALLOWED


@given(patterns, texts)
def test_string_like_condition_matches_reference(pattern: str, text: str) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": pattern}},
        },
    }
    result = evaluate(
        Request("s3:ListBucket", "*", USER, {"s3:prefix": text}), [parse_policy(document)]
    )
    assert result.allowed == reference_glob(pattern, text)
    negated = {
        **document,
        "Statement": {
            **document["Statement"],
            "Condition": {"StringNotLike": {"s3:prefix": pattern}},
        },
    }
    result = evaluate(
        Request("s3:ListBucket", "*", USER, {"s3:prefix": text}), [parse_policy(negated)]
    )
    assert result.allowed != reference_glob(pattern, text)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
element_names = st.sampled_from(
    ["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal"]
)
almost_statements = st.dictionaries(
    element_names,
    json_values | st.sampled_from(["Allow", "Deny", "*", "s3:*", {"Bool": {"k": "true"}}]),
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"Statement": st.lists(almost_statements, max_size=3) | almost_statements}
        ),
    ),
    st.sampled_from(["identity", "resource"]),
)
def test_any_json_parses_or_raises_policy_error(document: Any, kind: str) -> None:
    """Never a traceback: whatever JSON comes in, the result is a Policy or a PolicyError."""
    from onboard.policy import Policy, PolicyError

    try:
        parsed = parse_policy(
            document if isinstance(document, dict) else {"Statement": document}, kind=kind
        )
    except PolicyError as exc:
        assert exc.what.startswith("policy")
        return
    assert isinstance(parsed, Policy)
    evaluate(
        Request("s3:GetObject", "arn:aws:s3:::b/k", USER, {"k": "true"}),
        [parsed] if kind == "identity" else [],
    )


OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLikeIfExists",
    "StringEqualsIgnoreCase",
    "NumericLessThan",
    "NumericNotEqualsIfExists",
    "DateGreaterThan",
    "Bool",
    "BoolIfExists",
    "IpAddress",
    "NotIpAddress",
    "ArnLike",
    "ArnNotEquals",
    "Null",
    "ForAllValues:StringLike",
    "ForAnyValue:StringNotEquals",
]
VALUES = ["a*", "1", "2020-01-01T00:00:00Z", "true", "false", "10.0.0.0/8", "arn:aws:s3:::*:*:*"]
REQUEST_VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "a",
            "ab",
            "1",
            "15",
            "2021-05-05T00:00:00Z",
            "TRUE",
            "false",
            "10.1.2.3",
            "",
            "arn:aws:s3:::b:c:d",
        ]
    ),
    st.lists(st.sampled_from(["a", "ab", "b", "1"]), max_size=3).map(tuple),
)


@given(
    st.sampled_from(OPERATORS),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
    REQUEST_VALUES,
)
def test_specialised_check_agrees_with_general_rule(
    operator: str, values: list[str], seen: Any
) -> None:
    from onboard.policy import PolicyError
    from onboard.policy.conditions import compile_condition_block

    try:
        [condition] = compile_condition_block({operator: {"k": values}}, "c", variables=True)
    except PolicyError:
        return  # e.g. "a*" as a number: refused at parse time
    context = {} if seen is None else {"k": seen}
    assert condition.check(context) == condition.holds(context)
