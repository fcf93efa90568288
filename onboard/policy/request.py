"""A request to judge: action, resource, principal and request context.

The context is normalised once per request (lower-case keys, list values as
tuples, the keys AWS derives from an IAM principal ARN filled in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from onboard.policy.errors import PolicyError
from onboard.policy.match import ContextValue


@dataclass(frozen=True)
class Request:
    """One API request: action, resource, principal ARN and request context."""

    action: str
    resource: str
    principal: str | None = None
    context: Mapping[str, str | Sequence[str]] = field(default_factory=dict)

    @classmethod
    def fast(
        cls,
        action: str,
        resource: str,
        principal: str | None,
        context: Mapping[str, str | Sequence[str]],
        normalized: dict[str, ContextValue] | None = None,
    ) -> Request:
        """Build without the frozen dataclass's `__init__` (one attribute write at a time):
        for batches, where building requests costs as much as evaluating them.

        `normalized`: the `normalized_context` of an earlier request with the same
        context and principal (a batch shares it; evaluation only reads it)."""
        made = cls.__new__(cls)
        if normalized is None:
            made.__dict__.update(
                action=action, resource=resource, principal=principal, context=context
            )
        else:
            made.__dict__.update(
                action=action,
                resource=resource,
                principal=principal,
                context=context,
                _normalized=normalized,
            )
        return made

    @property
    def normalized_context(self) -> dict[str, ContextValue]:
        """Context with lower-case keys, plus what the principal ARN implies (computed once)."""
        # Cached by hand: functools.cached_property takes a lock on every access in 3.11.
        found: dict[str, ContextValue] | None = self.__dict__.get("_normalized")
        if found is None:
            found = {
                key.lower(): value if type(value) is str else _context_value(value, key)
                for key, value in self.context.items()
            }
            if self.principal:
                derived = principal_keys(self.principal)
                if derived:
                    found = {**derived, **found}  # the request's own values win
            self.__dict__["_normalized"] = found
        return found


def _context_value(value: object, key: str) -> ContextValue:
    if type(value) is list or type(value) is tuple:  # the usual multi-valued key, first
        for item in value:
            if type(item) is not str:
                break
        else:
            return tuple(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Sequence):
        # Items are read as their JSON text like single values; a list in a list is no value.
        return tuple(_scalar(item, key) for item in value)
    raise PolicyError(f"context key {key!r}: value must be a string or a list of strings")


def _scalar(value: object, key: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise PolicyError(f"context key {key!r}: value must be a string or a list of strings")


@lru_cache(maxsize=1024)
def principal_keys(principal_arn: str) -> dict[str, str]:
    """Global condition keys AWS derives from a principal ARN (user, role session, root)."""
    parts = principal_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return {}
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    keys = {"aws:principalaccount": account}
    if service == "iam" and resource.startswith("user/"):
        keys["aws:principalarn"] = principal_arn
        keys["aws:principaltype"] = "User"
        keys["aws:username"] = resource.rsplit("/", 1)[1]
    elif service == "iam" and resource == "root":
        keys["aws:principalarn"] = principal_arn
        keys["aws:principaltype"] = "Account"
    elif service == "sts" and resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        keys["aws:principalarn"] = f"arn:{partition}:iam::{account}:role/{role}"
        keys["aws:principaltype"] = "AssumedRole"
    return keys
