"""What an evaluation answers: the decision, the statements behind it, the explanation."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class Decision(StrEnum):
    """The three answers AWS can give."""

    ALLOWED = "Allowed"
    IMPLICIT_DENY = "ImplicitlyDenied"
    EXPLICIT_DENY = "ExplicitlyDenied"


# Built once: an enum's `.value` per request adds up over a batch.
DECISION_TEXT = {decision: decision.value for decision in Decision}


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    """A statement that took part in a decision, and why it applied or not."""

    policy_name: str
    policy_kind: str
    index: int
    sid: str | None
    effect: str
    reason: str
    _label: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: statements are cached per policy and labelled in every explanation.
        text = f"{self.policy_name} Statement[{self.index}]" + (
            f" ({self.sid})" if self.sid else ""
        )
        object.__setattr__(self, "_label", text)

    def to_json(self) -> dict[str, object]:
        """The JSON form used by `policy simulate` and `policy check --json`."""
        return {
            "policy": self.policy_name,
            "kind": self.policy_kind,
            "index": self.index,
            "sid": self.sid,
            "effect": self.effect,
            "reason": self.reason,
        }

    def label(self) -> str:
        """`policy Statement[i] (Sid)` for messages."""
        return self._label


class Explain(Protocol):
    """Writes an evaluation's explanation; `resource` and `action` are the request's
    unless given."""

    def __call__(self, resource: str = ..., action: str = ..., /) -> str: ...


@dataclass(frozen=True)
class Evaluation:
    """The decision for one request, the statements behind it, and what the context lacked."""

    decision: Decision
    matched: tuple[MatchedStatement, ...]
    missing_context: tuple[str, ...]
    explanation: str

    @classmethod
    def _fast(
        cls,
        decision: Decision,
        matched: tuple[MatchedStatement, ...],
        missing_context: tuple[str, ...],
        explain: Explain,
    ) -> Evaluation:
        """Build for the hot path: no frozen `__init__`, and the text written only if read.

        Most callers (the sandbox, batch checks) read only the decision; the
        explanation is the costliest part to build, so `_LazyExplanation` writes
        it when first read.
        """
        made = cls.__new__(cls)
        made.__dict__.update(
            decision=decision, matched=matched, missing_context=missing_context, _explain=explain
        )
        return made

    def explanation_for(self, resource: str, action: str) -> str:
        """The explanation as it reads for a request of `action` on `resource` with this
        same outcome.

        Only their own mentions change (no reason quotes them): a batch shares one
        evaluation between requests that differ only there (`onboard.policy.shape`)."""
        explain: Explain | None = self.__dict__.get("_explain")
        return self.explanation if explain is None else explain(resource, action)

    @property
    def allowed(self) -> bool:
        """True only for `Decision.ALLOWED`."""
        return self.decision is Decision.ALLOWED


class _LazyExplanation:
    """`Evaluation.explanation` for evaluations built by `_fast`: written when first read.

    A non-data descriptor: once the text is in the instance's `__dict__` (or was
    given to `__init__`), attribute lookup finds it there and never calls this.
    Cheaper than `__getattr__`, which Python reaches only after a failed lookup.
    """

    def __get__(self, instance: Evaluation | None, owner: type[Evaluation]) -> object:
        if instance is None:
            return self
        text: str = instance.__dict__["_explain"]()
        instance.__dict__["explanation"] = text
        return text


# Set after the dataclass is made, so the field stays a required `__init__` argument.
setattr(Evaluation, "explanation", _LazyExplanation())  # noqa: B010
