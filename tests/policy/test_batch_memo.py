"""`simulate_json` evaluates equal requests once per batch: never a different answer
than each request alone, and never shared between near-equal inputs (the general
property, over shapes, is in test_shapes.py)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.policy import Request
from onboard.policy.simulate import simulate_json

from .test_properties import requests, statements

USER = "arn:aws:iam::123456789012:user/alice"


def alone(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each request in a batch of its own (nothing to share), ids as in the batch."""
    answers = []
    for index, one in enumerate(batch):
        answer = simulate_json(json.dumps([one]).encode())[0]
        if "id" not in one:
            answer["id"] = index
        answers.append(answer)
    return answers


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(statements(), min_size=1, max_size=3), min_size=1, max_size=3),
    st.lists(requests(), min_size=1, max_size=4),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 7), st.booleans()), max_size=12),
)
def test_repeated_requests_answer_as_each_alone(
    documents: list[list[dict[str, Any]]],
    pool: list[Request],
    picks: list[tuple[int, int, bool]],
) -> None:
    policies = [{"Statement": s} for s in documents]
    batch: list[dict[str, Any]] = []
    for n, (which, subset, with_id) in enumerate(picks):
        r = pool[which % len(pool)]
        chosen = [p for i, p in enumerate(policies) if subset >> i & 1]
        request: dict[str, Any] = {
            "identityPolicies": chosen,
            "action": r.action,
            "resource": r.resource,
            "principal": r.principal,
            "context": dict(r.context),
        }
        if with_id:
            request["id"] = f"r{n}"
        batch.append(request)
    assert simulate_json(json.dumps(batch).encode()) == alone(batch)


def test_near_equal_requests_are_not_confused_and_answers_are_not_shared() -> None:
    def tagged(value: Any, *, tls_first: bool) -> dict[str, Any]:
        tls = {"Bool": {"aws:SecureTransport": "true"}}
        tag = {"StringEquals": {"aws:PrincipalTag/x": value}}
        condition = {**tls, **tag} if tls_first else {**tag, **tls}
        statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
        return {"Statement": statement}

    def request(request_id: str, policy: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "id": request_id,
            "identityPolicies": [policy],
            "action": "s3:GetObject",
            "resource": "*",
            "principal": USER,
            "context": context,
        }

    tag_true = {"aws:PrincipalTag/x": "true", "aws:SecureTransport": "true"}
    batch = [
        request("a", tagged(True, tls_first=True), tag_true),
        request("b", tagged(1, tls_first=True), tag_true),  # `1` is not `true`
        request("c", tagged(True, tls_first=True), {}),
        request("d", tagged(True, tls_first=False), {}),  # key order shows in missingContext
        request("e", tagged(True, tls_first=True), tag_true),
        request("f", tagged(True, tls_first=True), {"aws:PrincipalTag/x": ["true"]}),
        request("g", tagged(True, tls_first=True), {}),
    ]
    results = simulate_json(json.dumps(batch).encode())
    assert results == alone(batch)
    assert [r["decision"] for r in results] == [
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
    ]
    assert results[2]["missingContext"] == ["aws:SecureTransport", "aws:PrincipalTag/x"]
    assert results[3]["missingContext"] == ["aws:PrincipalTag/x", "aws:SecureTransport"]
    assert [r["id"] for r in results] == list("abcdefg")
    # An equal request's answer is its own: changing one leaves the other as it was.
    results[4]["matchedStatements"][0]["sid"] = "changed"
    results[6]["missingContext"].append("changed")
    assert results[0]["matchedStatements"][0]["sid"] != "changed"
    assert results[2]["missingContext"] == ["aws:SecureTransport", "aws:PrincipalTag/x"]


def test_a_bad_id_on_a_repeated_request_is_still_its_error() -> None:
    good = {"action": "s3:GetObject", "resource": "*", "principal": USER, "context": {}}
    batch = [{**good, "id": "1"}, {**good, "id": {"not": "an id"}}, {**good, "id": "3"}]
    results = simulate_json(json.dumps(batch).encode())
    assert results[1]["id"] == 1  # a bad id is replaced by the index
    assert "'id' must be a string or a number" in results[1]["error"]
    assert results[1]["decision"] is None
    assert results[2] == {**results[0], "id": "3"}
    assert results[0]["decision"] == "ImplicitlyDenied"


def test_equal_requests_are_evaluated_once(monkeypatch: Any) -> None:
    import onboard.policy.shape as shape

    calls: list[str] = []

    def counted(request: Request, *args: Any, **kwargs: Any) -> Any:
        calls.append(request.action)
        return evaluate(request, *args, **kwargs)

    evaluate = shape.evaluate
    monkeypatch.setattr(shape, "evaluate", counted)
    grant = {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}
    one = {"action": "s3:GetObject", "resource": "*", "principal": USER, "context": {}}
    one["identityPolicies"] = [grant]
    other = {**one, "action": "s3:PutObject"}
    results = simulate_json(json.dumps([one, other, one, one, other]).encode())
    assert calls == ["s3:GetObject", "s3:PutObject"]
    assert [r["id"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["decision"] for r in results] == [
        "Allowed",
        "ImplicitlyDenied",
        "Allowed",
        "Allowed",
        "ImplicitlyDenied",
    ]


def test_a_shared_context_is_normalised_for_each_principal() -> None:
    own_prefix = {
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::bucket/${aws:username}/*",
            "Condition": {"StringEquals": {"aws:PrincipalType": "User"}},
        },
    }
    context = {"aws:SourceIp": "203.0.113.7"}
    batch = [
        {
            "identityPolicies": [own_prefix],
            "action": "s3:GetObject",
            "resource": "arn:aws:s3:::bucket/alice/file",
            "principal": principal,
            "context": context,
        }
        for principal in (
            USER,
            "arn:aws:iam::123456789012:user/bob",
            USER,
            "arn:aws:sts::123456789012:assumed-role/dev/alice",
            None,
        )
    ]
    batch[2] = {**batch[2], "resource": "arn:aws:s3:::bucket/bob/file"}
    results = simulate_json(json.dumps(batch).encode())
    assert results == alone(batch)
    assert [r["decision"] for r in results] == [
        "Allowed",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
        "ImplicitlyDenied",
    ]
