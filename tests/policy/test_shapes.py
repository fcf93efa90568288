"""Answers shared by shape (`onboard.policy.shape`) equal one evaluation per request.

The reference is `simulate_batch` on each request alone: the general path,
which builds the request and calls `evaluate` with nothing shared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.policy import Request, evaluate, parse_policy
from onboard.policy.simulate import simulate_batch, simulate_json, simulate_output
from onboard.policy.wire import dumps_pretty

USER = "arn:aws:iam::123456789012:user/alice"
PRINCIPALS = [
    USER,
    "arn:aws:iam::123456789012:user/bob",
    "arn:aws:sts::123456789012:assumed-role/dev/alice",
    "arn:aws:iam::123456789012:root",
    None,
]
# Case variants and actions that the same statements cover: they share shapes.
ACTIONS = ["s3:GetObject", "S3:getobject", "s3:PutObject", "iam:CreateAccessKey", "kms:Decrypt"]
RESOURCES = [
    "*",
    "arn:aws:s3:::b/alice/f",
    "arn:aws:s3:::b/bob/f",
    "arn:aws:s3:::c/x",
    "arn:aws:iam::123456789012:user/alice",
    "arn:aws:kms:us-east-1:123456789012:key/k1",
]
PATTERNS = [
    "*",
    "arn:aws:s3:::b/*",
    "arn:aws:s3:::b/${aws:username}/*",
    "arn:aws:s3:::${aws:PrincipalTag/bucket, 'c'}/*",
    "arn:aws:iam::*:user/${aws:username}",
    "arn:aws:kms:*:*:key/*",
]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"Null": {"kms:ViaService": "true"}},
    {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    {"StringLike": {"aws:ResourceTag/team": "${aws:PrincipalTag/team, 'red'}*"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "s?"]}},
    {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
        "BoolIfExists": {"aws:MultiFactorAuthPresent": "true"},
    },
]


@st.composite
def statements(draw: st.DrawFn, *, principal: bool = False) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.lists(
                st.sampled_from(["s3:GetObject", "s3:*", "*", "iam:Create*", "kms:Decrypt"]),
                min_size=1,
                max_size=2,
            )
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(st.sampled_from(PATTERNS)),
    }
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    if principal:
        statement["Principal"] = draw(
            st.sampled_from(
                [
                    "*",
                    {"AWS": USER},
                    {"AWS": "arn:aws:iam::123456789012:role/dev"},
                    {"AWS": "123456789012"},
                ]
            )
        )
    return statement


def documents(principal: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    return st.lists(statements(principal=principal), min_size=1, max_size=3).map(
        lambda found: {"Version": "2012-10-17", "Statement": found}
    )


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    choices: dict[str, st.SearchStrategy[Any]] = {
        "aws:MultiFactorAuthPresent": st.sampled_from(["true", "false"]),
        "aws:PrincipalTag/team": st.sampled_from(["red", "blue"]),
        "aws:PrincipalTag/bucket": st.sampled_from(["b", "c"]),
        "aws:ResourceTag/team": st.sampled_from(["red", "redder", "blue"]),
        "kms:ViaService": st.just("codecommit.us-east-1.amazonaws.com"),
        "aws:TagKeys": st.lists(st.sampled_from(["ab", "sx", "b"]), max_size=2),
        "aws:SourceIp": st.sampled_from(["203.0.113.7", "198.51.100.1"]),
        "aws:RequestedRegion": st.sampled_from(["us-east-1", "eu-west-1"]),
        "aws:username": st.sampled_from(["alice", "mallory"]),
    }
    keys = draw(st.lists(st.sampled_from(sorted(choices)), unique=True, max_size=5))
    return {key: draw(choices[key]) for key in keys}


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A shared-form batch (policies by name) and the same requests, documents embedded."""
    names = [f"p{i}" for i in range(draw(st.integers(1, 4)))]
    policies: dict[str, Any] = {name: draw(documents()) for name in names}
    policies["resource"] = draw(documents(principal=True))
    shared: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 25))):
        request: dict[str, Any] = {
            "action": draw(st.sampled_from(ACTIONS)),
            "resource": draw(st.sampled_from(RESOURCES)),
            "principal": draw(st.sampled_from(PRINCIPALS)),
            "context": draw(contexts()),
        }
        if draw(st.integers(0, 9)):  # now and then no identity policy field at all
            request["identityPolicies"] = draw(st.lists(st.sampled_from(names), max_size=3))
        if not draw(st.integers(0, 4)):
            request["permissionBoundaries"] = draw(st.lists(st.sampled_from(names), max_size=2))
        if not draw(st.integers(0, 3)):
            levels = st.lists(st.sampled_from(names), min_size=1, max_size=2)
            request["scps"] = draw(
                st.lists(st.one_of(st.sampled_from(names), levels), min_size=1, max_size=3)
            )
        if not draw(st.integers(0, 4)):
            request["resourcePolicy"] = "resource"
        shared.append(request)

    def embed(request: dict[str, Any]) -> dict[str, Any]:
        copy = dict(request)
        for field in ("identityPolicies", "permissionBoundaries"):
            if field in copy:
                copy[field] = [policies[name] for name in copy[field]]
        if "scps" in copy:
            copy["scps"] = [
                [policies[n] for n in level] if isinstance(level, list) else policies[level]
                for level in copy["scps"]
            ]
        if "resourcePolicy" in copy:
            copy["resourcePolicy"] = policies[copy["resourcePolicy"]]
        return copy

    return {"policies": policies, "requests": shared}, [embed(r) for r in shared]


def one_by_one(batch: Any, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each request evaluated alone by the general path, ids as the batch gives them."""
    out = []
    for index, request in enumerate(requests):
        alone = (
            {"policies": batch["policies"], "requests": [request]}
            if isinstance(batch, dict)
            else [request]
        )
        answer = simulate_batch(alone)[0]
        answer["id"] = index
        out.append(answer)
    return out


@settings(max_examples=120, deadline=None)
@given(batches())
def test_shared_answers_equal_one_evaluation_per_request(
    forms: tuple[dict[str, Any], list[dict[str, Any]]],
) -> None:
    shared, embedded = forms
    for batch, requests in ((shared, shared["requests"]), (embedded, embedded)):
        expected = one_by_one(batch, requests)
        data = json.dumps(batch).encode()
        assert simulate_json(data) == expected
        assert simulate_output(data) == dumps_pretty(expected)


@pytest.fixture
def evaluated(monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    """The requests the batch path really evaluates (the others share an answer)."""
    import onboard.policy.shape as shape

    calls: list[Request] = []
    real = shape.evaluate

    def counted(request: Request, *args: Any, **kwargs: Any) -> Any:
        calls.append(request)
        return real(request, *args, **kwargs)

    monkeypatch.setattr(shape, "evaluate", counted)
    return calls


def test_a_policy_invisible_for_one_action_is_evaluated_for_another(
    evaluated: list[Request],
) -> None:
    """`[tags, mfa]` on s3 and `[mfa]` on ec2 share a shape key piece by piece, but the
    second request's answer must not come from the first's policies (or the reverse)."""
    tags = {"Statement": {"Effect": "Deny", "Action": "ec2:CreateTags", "Resource": "*"}}
    mfa = {
        "Statement": {
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        }
    }
    batch = {
        "policies": {"tags": tags, "mfa": mfa},
        "requests": [
            {"identityPolicies": ["tags", "mfa"], "action": "s3:ListAllMyBuckets", "resource": "*"},
            {"identityPolicies": ["mfa"], "action": "ec2:CreateTags", "resource": "*"},
            {"identityPolicies": ["tags", "mfa"], "action": "ec2:CreateTags", "resource": "*"},
            {"identityPolicies": ["mfa"], "action": "s3:ListAllMyBuckets", "resource": "*"},
        ],
    }
    results = simulate_json(json.dumps(batch).encode())
    assert results == one_by_one(batch, batch["requests"])
    assert [r["matchedStatements"][0]["policy"] for r in results] == ["mfa", "mfa", "tags", "mfa"]
    # `[mfa]` on ec2 and on s3 reuse the first request's answer (`tags` covers neither
    # there); `[tags, mfa]` on ec2 is a shape of its own: two evaluations for four.
    assert [r.action for r in evaluated] == ["s3:ListAllMyBuckets", "ec2:CreateTags"]
    assert "ec2:CreateTags on *" in results[1]["explanation"]
    assert "s3:ListAllMyBuckets on *" in results[3]["explanation"]


def test_a_thousand_requests_of_three_actions_cost_two_evaluations(
    evaluated: list[Request],
) -> None:
    grant = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"},
    }
    requests = [
        {
            "id": f"r{n}",
            "identityPolicies": ["grant"],
            "action": ["codecommit:GitPull", "codecommit:GitPush", "s3:GetObject"][n % 3],
            "resource": f"arn:aws:codecommit:us-east-1:123456789012:repo-{n}",
            "principal": USER,
        }
        for n in range(1000)
    ]
    data = json.dumps({"policies": {"grant": grant}, "requests": requests}).encode()
    results = simulate_json(data)
    assert len(evaluated) == 2  # GitPull and GitPush share a shape; s3 has its own
    assert [r["decision"] for r in results[:3]] == ["Allowed", "Allowed", "ImplicitlyDenied"]
    assert results[998]["explanation"] == (
        "ImplicitlyDenied: no identity-based policy allows s3:GetObject on "
        "arn:aws:codecommit:us-east-1:123456789012:repo-998"
    )
    assert results[999]["id"] == "r999"


def test_results_are_each_requests_own() -> None:
    request = {"action": "s3:GetObject", "resource": "*", "identityPolicies": []}
    results = simulate_json(json.dumps([request, request]).encode())
    results[0]["missingContext"].append("changed")
    assert results[1]["missingContext"] == []


def test_a_variable_in_a_condition_value_is_read_for_the_explanation() -> None:
    """The verdict of `StringEquals: ${aws:PrincipalTag/team}` depends on the principal's
    tag too: an explanation remembered by the resource tag alone would be stale."""
    document = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "T",
            "Effect": "Allow",
            "Action": "ec2:*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"},
                "IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
            },
        },
    }
    policy = parse_policy(document, "p")
    context = {"aws:ResourceTag/team": "red", "aws:SourceIp": "198.51.100.1"}
    first = evaluate(
        Request("ec2:RunInstances", "*", USER, {**context, "aws:PrincipalTag/team": "blue"}),
        [policy],
    )
    second = evaluate(
        Request("ec2:RunInstances", "*", USER, {**context, "aws:PrincipalTag/team": "red"}),
        [policy],
    )
    assert "StringEquals" in first.explanation and "IpAddress" in first.explanation
    assert "StringEquals" not in second.explanation and "IpAddress" in second.explanation
    untagged = evaluate(Request("ec2:RunInstances", "*", USER, context), [policy])
    assert untagged.missing_context == ("aws:principaltag/team",)


def test_with_a_resource_policy_the_principal_is_part_of_the_shape() -> None:
    """A resource policy names whom it allows: two requests alike in everything but the
    principal (and no condition reading it) must not share an answer."""
    bucket = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": USER},
            "Action": "s3:GetObject",
            "Resource": "*",
        }
    }
    requests = [
        {"action": "s3:GetObject", "resource": "*", "principal": principal}
        | {"identityPolicies": [], "resourcePolicy": "bucket"}
        for principal in (USER, "arn:aws:iam::123456789012:user/bob", USER, None)
    ]
    batch = {"policies": {"bucket": bucket}, "requests": requests}
    results = simulate_json(json.dumps(batch).encode())
    assert results == one_by_one(batch, requests)
    assert [r["decision"] for r in results] == [
        "Allowed",
        "ImplicitlyDenied",
        "Allowed",
        "ImplicitlyDenied",
    ]


def test_printed_json_escapes_each_requests_own_strings() -> None:
    """Ids, actions and resources with quotes, backslashes, control characters and
    non-ASCII text are written into shared answers as `dumps_pretty` writes them."""
    grant = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}}
    odd = ['"quoted"', "back\\slash", "tab\there", "naïve ☃", "line\nbreak", "\u2028"]
    requests: list[dict[str, Any]] = [
        {
            "id": request_id,
            "identityPolicies": ["grant"],
            "action": action,
            "resource": f"arn:aws:s3:::{bucket}/{text}",
        }
        for request_id, action, bucket, text in zip(
            ["x", 7, 2.5, True, None, '"id"'],
            ["s3:GetObject", "S3:GETOBJECT", "s3:Put\u00e9", "s3:GetObject", "iam:x", "s3:a"],
            ["b", "b", "b", "c", "c", "b"],
            odd,
            strict=True,
        )
    ]
    batch = {"policies": {"grant": grant}, "requests": requests}
    data = json.dumps(batch, ensure_ascii=False).encode()
    results = simulate_json(data)
    expected = [
        {**alone, "id": request["id"]}
        for alone, request in zip(one_by_one(batch, requests), requests, strict=True)
    ]
    assert results == expected
    printed = simulate_output(data)
    assert printed == dumps_pretty(expected)
    assert json.loads(printed) == expected
    assert [r["decision"] for r in results] == [
        "Allowed",
        "Allowed",
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "Allowed",
    ]
    assert results[4]["explanation"].endswith("iam:x on arn:aws:s3:::c/line\nbreak")
