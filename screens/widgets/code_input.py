"""A 6-digit MFA code field whose validator is the core's own check."""

from __future__ import annotations

from collections.abc import Callable

from textual.validation import ValidationResult, Validator
from textual.widgets import Input


class CoreValidator(Validator):
    """Wraps a core predicate that returns None when valid, else the message to show."""

    def __init__(self, check: Callable[[str], str | None]) -> None:
        super().__init__()
        self.check = check

    def validate(self, value: str) -> ValidationResult:
        problem = self.check(value)
        return self.success() if problem is None else self.failure(problem)


class CodeInput(Input):
    """An input for one 6-digit code from the authenticator app."""

    DEFAULT_CSS = """
    CodeInput {
        width: 18;
    }
    """

    def __init__(
        self,
        check: Callable[[str], str | None],
        *,
        placeholder: str = "6 digits",
        id: str | None = None,
    ) -> None:
        super().__init__(
            placeholder=placeholder,
            max_length=7,
            validators=[CoreValidator(check)],
            validate_on=["submitted", "blur"],
            id=id,
        )

    @property
    def code(self) -> str:
        """The code without the space some apps show in the middle."""
        return self.value.replace(" ", "")
