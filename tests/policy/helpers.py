"""Small builders shared by the policy tests."""

from __future__ import annotations

from typing import Any

from onboard.policy import Decision, Policy, Request, evaluate, parse_policy

USER = "arn:aws:iam::123456789012:user/alice"


def policy(
    *statements: dict[str, Any], version: str | None = "2012-10-17", name: str = "p"
) -> Policy:
    """A policy from statement dicts."""
    document: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return parse_policy(document, name)


def allow_if(condition: dict[str, Any], action: str = "s3:GetObject") -> Policy:
    """One Allow statement on `action` / "*" with the given Condition."""
    return policy({"Effect": "Allow", "Action": action, "Resource": "*", "Condition": condition})


def decide(
    policies: list[Policy],
    action: str = "s3:GetObject",
    resource: str = "arn:aws:s3:::bucket/key",
    context: dict[str, Any] | None = None,
    principal: str | None = USER,
    **kwargs: Any,
) -> Decision:
    """The decision for one request."""
    request = Request(action, resource, principal, context or {})
    return evaluate(request, policies, **kwargs).decision
