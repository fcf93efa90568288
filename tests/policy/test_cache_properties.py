"""The per-process policy cache never changes an answer: cached and uncached agree."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.policy import Evaluation, Request, evaluate, parse_policy
from onboard.policy.document import CACHE_SIZE, _compiled, clear_cache
from onboard.policy.simulate import simulate_batch, simulate_json

from .test_properties import requests, statements


def answer(result: Evaluation) -> tuple[object, ...]:
    """Everything an evaluation says, text included."""
    return (
        result.decision,
        tuple(m.to_json().items() for m in result.matched),
        result.missing_context,
        result.explanation,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(statements(), min_size=1, max_size=4), min_size=1, max_size=3),
    st.lists(requests(), min_size=1, max_size=6),
    st.booleans(),
)
def test_cached_and_uncached_evaluation_agree(
    documents: list[list[dict[str, Any]]], batch: list[Request], as_text: bool
) -> None:
    sources: list[Any] = [{"Version": "2012-10-17", "Statement": s} for s in documents]
    if as_text:
        sources = [json.dumps(source) for source in sources]
    for request in batch:
        # The cached policies have answered earlier requests (their per-action and
        # explanation caches are warm); the uncached ones are compiled afresh each time.
        cached = [parse_policy(s, f"p{i}") for i, s in enumerate(sources)]
        fresh = [parse_policy(s, f"p{i}", cache=False) for i, s in enumerate(sources)]
        fresh_request = Request(
            request.action, request.resource, request.principal, request.context
        )
        assert answer(evaluate(request, cached)) == answer(evaluate(fresh_request, fresh))
        scps = [cached[:1], cached[1:]] if len(cached) > 1 else [cached]
        fresh_scps = [fresh[:1], fresh[1:]] if len(fresh) > 1 else [fresh]
        assert answer(evaluate(request, cached[:1], scps=scps)) == answer(
            evaluate(fresh_request, fresh[:1], scps=fresh_scps)
        )


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.lists(statements(), min_size=1, max_size=3), min_size=1, max_size=3),
    st.lists(requests(), min_size=1, max_size=5),
)
def test_the_batch_forms_agree_with_one_request_at_a_time(
    documents: list[list[dict[str, Any]]], batch: list[Request]
) -> None:
    pool = {f"p{i}": {"Statement": s} for i, s in enumerate(documents)}
    shared: dict[str, Any] = {
        "policies": pool,
        "requests": [
            {
                "id": str(i),
                "identityPolicies": list(pool),
                "action": r.action,
                "resource": r.resource,
                "principal": r.principal,
                "context": dict(r.context),
            }
            for i, r in enumerate(batch)
        ],
    }
    embedded = [
        {**r, "identityPolicies": [pool[name] for name in r["identityPolicies"]]}
        for r in shared["requests"]
    ]
    from_shared = simulate_json(json.dumps(shared).encode())
    from_embedded = simulate_json(json.dumps(embedded).encode())
    alone = [simulate_batch([one])[0] for one in embedded]
    assert [r["decision"] for r in from_shared] == [r["decision"] for r in alone]
    assert from_embedded == alone
    clear_cache()  # and once more from a cold cache: the same answers
    assert simulate_batch(embedded) == alone


def test_the_cache_is_bounded() -> None:
    clear_cache()
    for n in range(CACHE_SIZE + 50):
        parse_policy({"Statement": {"Effect": "Allow", "Action": f"s3:A{n}", "Resource": "*"}})
    assert len(_compiled) == CACHE_SIZE


def test_a_changed_document_is_never_served_stale() -> None:
    document: dict[str, Any] = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    request = Request("s3:GetObject", "*")
    assert evaluate(request, [parse_policy(document)]).allowed
    document["Statement"]["Effect"] = "Deny"  # the caller edits its dict in place
    assert not evaluate(Request("s3:GetObject", "*"), [parse_policy(document)]).allowed
