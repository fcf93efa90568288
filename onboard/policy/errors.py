"""The one error the policy engine raises for a document or request it cannot use."""

from __future__ import annotations

from onboard.errors import InvalidInput


class PolicyError(InvalidInput):
    """A policy document or request is invalid; the message names the place (exit 3)."""

    def __init__(self, what: str, why: str = "", next_step: str = "") -> None:
        super().__init__(what, why, next_step)
