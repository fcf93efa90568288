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
        next_field: str | None = None,
    ) -> None:
        # No max_length: it would cut a pasted " 123 456 " before the spaces are dropped.
        super().__init__(
            placeholder=placeholder,
            validators=[CoreValidator(check)],
            validate_on=["submitted", "blur"],
            id=id,
        )
        self.next_field = next_field
        """The id of the field focus moves to once six digits are in."""

    @property
    def code(self) -> str:
        """The code without the spaces some apps show in the middle (or a paste brings)."""
        return "".join(self.value.split())

    def on_input_changed(self, event: Input.Changed) -> None:
        """Drop blanks as they arrive; after six digits, move on to the next field."""
        if event.input is not self:
            return
        code = self.code
        if code != self.value:
            self.value = code  # posts another Changed, handled below with the clean value
            return
        if self.next_field and len(code) == 6 and code.isdigit() and self.has_focus:
            self.screen.query_one(f"#{self.next_field}").focus()
