"""Batch simulation: order kept, errors per request, the documented request shape."""

from __future__ import annotations

from typing import Any

from onboard.policy.simulate import simulate_batch

USER = "arn:aws:iam::123456789012:user/alice"
MFA_DENY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "NeedMFA",
            "Effect": "Deny",
            "NotAction": "iam:ListMFADevices",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def request(request_id: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": request_id,
        "identityPolicies": [MFA_DENY],
        "action": "s3:ListAllMyBuckets",
        "resource": "*",
        "principal": USER,
    }
    return base | extra


def test_results_in_order_with_decisions_and_statements() -> None:
    results = simulate_batch(
        [
            request("no-mfa"),
            request("mfa", context={"aws:MultiFactorAuthPresent": "true"}),
            request("bool-true", context={"aws:MultiFactorAuthPresent": True}),
            request(
                "tags", context={"aws:TagKeys": ["a", "b"], "aws:MultiFactorAuthPresent": "false"}
            ),
        ]
    )
    assert [r["id"] for r in results] == ["no-mfa", "mfa", "bool-true", "tags"]
    assert [r["decision"] for r in results] == [
        "ExplicitlyDenied",
        "Allowed",
        "Allowed",
        "ExplicitlyDenied",
    ]
    assert results[0]["matchedStatements"][0]["sid"] == "NeedMFA"
    assert results[0]["matchedStatements"][0]["index"] == 1
    assert results[0]["error"] is None
    assert results[0]["missingContext"] == ["aws:MultiFactorAuthPresent"]


def test_a_bad_request_gets_an_error_and_the_batch_goes_on() -> None:
    bad_policy = {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}
    results = simulate_batch(
        [
            request("ok"),
            {"id": "no-action", "identityPolicies": [MFA_DENY], "resource": "*"},
            request("bad-policy", identityPolicies=[bad_policy]),
            "not an object",  # type: ignore[list-item]
            request("bad-context", context={"k": {"nested": 1}}),
            request("unknown-field", actoin="x"),
            request("no-policies", identityPolicies=[]),
            request("last", context={"aws:MultiFactorAuthPresent": "true"}),
        ]
    )
    assert [r["decision"] for r in results] == [
        "ExplicitlyDenied",
        None,
        None,
        None,
        None,
        None,
        "ImplicitlyDenied",  # no identity policy: AWS decides it, implicitly denied
        "Allowed",
    ]
    errors = [r["error"] for r in results]
    assert errors[0] is None and errors[-1] is None
    assert errors[1] == "request 1: 'action' must be a non-empty string"
    assert "identityPolicies[0]: Statement[0].Effect" in errors[2] and errors[2].startswith(
        "request 2"
    )
    assert errors[3] == "request 3: must be a JSON object" and results[3]["id"] == 3
    assert "context key 'k'" in errors[4]
    assert "unknown field 'actoin'" in errors[5]
    assert errors[6] is None
    assert "no identity-based policy (none is attached" in results[6]["explanation"]
    # Every result has the same keys, so scripts need no special case for errors.
    assert {frozenset(r) for r in results} == {
        frozenset({"id", "decision", "matchedStatements", "missingContext", "explanation", "error"})
    }


def test_boundaries_scps_and_resource_policy_fields() -> None:
    allow_all = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    s3_only = {"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}
    bucket = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": USER},
            "Action": "s3:GetObject",
            "Resource": "*",
        }
    }
    results = simulate_batch(
        [
            {
                "identityPolicies": [allow_all],
                "permissionBoundaries": [s3_only],
                "action": "ec2:RunInstances",
                "resource": "*",
            },
            {
                "identityPolicies": [allow_all],
                "scps": [s3_only],
                "action": "s3:GetObject",
                "resource": "*",
            },
            {
                "identityPolicies": [],
                "resourcePolicy": bucket,
                "action": "s3:GetObject",
                "resource": "arn:aws:s3:::b/k",
                "principal": USER,
            },
        ]
    )
    assert [r["decision"] for r in results] == ["ImplicitlyDenied", "Allowed", "Allowed"]
    assert [r["id"] for r in results] == [0, 1, 2]  # no id given: the index
    assert results[2]["matchedStatements"][0]["kind"] == "resource"


def test_equal_looking_documents_with_true_and_1_are_not_confused() -> None:
    def with_value(value: Any) -> dict[str, Any]:
        return {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/x": value}},
            }
        }

    results = simulate_batch(
        [
            {
                "identityPolicies": [with_value(True)],
                "action": "s3:Get",
                "resource": "*",
                "context": {"aws:PrincipalTag/x": "true"},
            },
            {
                "identityPolicies": [with_value(1)],
                "action": "s3:Get",
                "resource": "*",
                "context": {"aws:PrincipalTag/x": "true"},
            },
            {
                "identityPolicies": [with_value(1)],
                "action": "s3:Get",
                "resource": "*",
                "context": {"aws:PrincipalTag/x": "1"},
            },
        ]
    )
    assert [r["decision"] for r in results] == ["Allowed", "ImplicitlyDenied", "Allowed"]
    floats = simulate_batch(
        [
            {
                "identityPolicies": [with_value(1)],
                "action": "s3:Get",
                "resource": "*",
                "context": {"aws:PrincipalTag/x": "1"},
            },
            {
                "identityPolicies": [with_value(1.0)],
                "action": "s3:Get",
                "resource": "*",
                "context": {"aws:PrincipalTag/x": "1"},
            },
        ]
    )
    assert [r["decision"] for r in floats] == ["Allowed", "ImplicitlyDenied"]


ALLOW_READ: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"},
}


def test_documents_are_compiled_once_per_canonical_json(monkeypatch: Any) -> None:
    import json

    from onboard.policy import document

    compiled: list[str] = []
    real = document._compile

    def counting(source: Any, name: str, kind: str, key: Any) -> Any:
        compiled.append(name)
        return real(source, name, kind, key)

    document.clear_cache()
    monkeypatch.setattr(document, "_compile", counting)
    # Each request carries its own decoded copies, as a JSON file gives them.
    batch = [
        json.loads(
            json.dumps(
                request(str(i), identityPolicies=[ALLOW_READ, MFA_DENY][:: 1 if i % 2 else -1])
            )
        )
        for i in range(40)
    ]
    reordered = {"Statement": MFA_DENY["Statement"], "Version": "2012-10-17"}
    batch.append(request("reordered", identityPolicies=[reordered]))
    results = simulate_batch(batch)
    # MFA_DENY, ALLOW_READ, and MFA_DENY with its keys in another order (that order
    # shows in explanations, so it is a different canonical text).
    assert compiled == ["identityPolicies[0]", "identityPolicies[1]", "identityPolicies[0]"]
    # A policy compiled under one name keeps each request's own name in the results.
    assert [m["policy"] for m in results[0]["matchedStatements"]] == ["identityPolicies[0]"]
    assert [m["policy"] for m in results[1]["matchedStatements"]] == ["identityPolicies[1]"]
    # ... and the next batch in this process compiles nothing again.
    simulate_batch(batch)
    assert len(compiled) == 3


def test_the_cache_never_changes_a_result() -> None:
    def flag(value: Any) -> dict[str, Any]:
        return {
            "Statement": {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/x": value}},
            }
        }

    variants: list[dict[str, Any]] = [
        request("a"),
        request("b", context={"aws:MultiFactorAuthPresent": "true"}),
        request("c", identityPolicies=[flag(True)], context={"aws:PrincipalTag/x": "true"}),
        request("d", identityPolicies=[flag(1)], context={"aws:PrincipalTag/x": "true"}),
        request("e", identityPolicies=[flag(1.0)], context={"aws:PrincipalTag/x": "1.0"}),
        request("f", identityPolicies=[ALLOW_READ], permissionBoundaries=[MFA_DENY]),
        request("g", identityPolicies=[ALLOW_READ, MFA_DENY], action="s3:GetObject"),
        request("h", identityPolicies=[MFA_DENY, ALLOW_READ], action="s3:GetObject"),
        request("i", identityPolicies=[ALLOW_READ], scps=[flag(True)], principal=USER),
    ]
    # Equal as Python dicts, but not in key order, which shows in missingContext.
    tls = {"Bool": {"aws:SecureTransport": "true"}}
    tag = {"StringEquals": {"aws:PrincipalTag/x": "1"}}
    for sid, condition in (("j", {**tls, **tag}), ("k", {**tag, **tls})):
        statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
        variants.append(request(sid, identityPolicies=[{"Statement": statement}], context={}))
    batch = variants * 3
    alone = [simulate_batch([one])[0] for one in batch]
    assert simulate_batch(batch) == alone
    assert alone[-2]["missingContext"] == ["aws:SecureTransport", "aws:PrincipalTag/x"]
    assert alone[-1]["missingContext"] == ["aws:PrincipalTag/x", "aws:SecureTransport"]
    assert simulate_batch(list(reversed(batch))) == list(reversed(alone))


def test_json_bytes_and_decoded_input_agree() -> None:
    """`simulate_json` (raw documents, request structs) answers as `simulate_batch` does."""
    import json

    from onboard.policy.simulate import simulate_json

    bucket_policy = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": USER},
            "Action": "s3:GetObject",
            "Resource": "*",
        }
    }
    batch: list[Any] = [
        request("a"),
        request("b", permissionBoundaries=[ALLOW_READ], action="s3:GetObject"),
        request("c", identityPolicies=[], resourcePolicy=bucket_policy, action="s3:GetObject"),
        request("d", scps=[[MFA_DENY, ALLOW_READ], ALLOW_READ], action="s3:GetObject"),
        request("e", identityPolicies=None, permissionBoundaries=None, scps=None),
        request("f", resourcePolicy=None, context={"aws:MultiFactorAuthPresent": "true"}),
        request("g", scps=[[]]),
        request("h", identityPolicies=5),
        request("i"),
    ]
    decoded = simulate_batch(batch)
    assert simulate_json(json.dumps(batch).encode()) == decoded
    # the usual batch (no unusual request) goes through the one-call path: same answers
    usual = batch[:6] + batch[8:]
    assert simulate_json(json.dumps(usual).encode()) == simulate_batch(usual)
    assert [r["decision"] for r in decoded[:4]] == [
        "ExplicitlyDenied",
        "ExplicitlyDenied",
        "Allowed",
        "ExplicitlyDenied",
    ]
    assert "an SCP level needs at least one SCP" in decoded[6]["error"]
    assert "must be a list" in decoded[7]["error"]


def test_scp_levels_and_shared_names_in_a_batch() -> None:
    full = {
        "Statement": {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}
    }
    no_s3 = {"Statement": {"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}}
    iam_only = {"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}}
    mfa = {"aws:MultiFactorAuthPresent": "true"}
    embedded = simulate_batch(
        [
            request("deny-on-one-level", scps=[[full, no_s3]], context=mfa),
            request("lower-level-lacks-allow", scps=[[full], [iam_only]], context=mfa),
            request("every-level-allows", scps=[full, [iam_only, full]], context=mfa),
        ]
    )
    assert [r["decision"] for r in embedded] == ["ExplicitlyDenied", "ImplicitlyDenied", "Allowed"]
    assert embedded[0]["matchedStatements"][0]["policy"] == "scps[0][1]"
    assert "SCP level 2 of 2" in embedded[1]["explanation"]
    shared = simulate_batch(
        {
            "policies": {"FullAWSAccess": full, "NoS3": no_s3, "mfa": MFA_DENY},
            "requests": [
                {
                    "id": "named",
                    "identityPolicies": ["mfa"],
                    "scps": [["FullAWSAccess", "NoS3"]],
                    "action": "s3:GetObject",
                    "resource": "*",
                    "context": {"aws:MultiFactorAuthPresent": "true"},
                }
            ],
        }
    )
    assert shared[0]["decision"] == "ExplicitlyDenied"
    assert shared[0]["matchedStatements"][0]["policy"] == "NoS3"
