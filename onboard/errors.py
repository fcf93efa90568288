"""Domain errors: what happened, why, and the one thing to do next.

Every error that reaches a user is an `OnboardError`. The CLI prints it as
three short lines and exits with its `exit_code`; the TUI shows it in the
one error modal. No traceback reaches a user for an expected failure.
"""

from __future__ import annotations


class OnboardError(Exception):
    """A failure the user can understand and act on."""

    exit_code: int = 1

    def __init__(self, what: str, why: str = "", next_step: str = "") -> None:
        super().__init__(what)
        self.what = what
        self.why = why
        self.next_step = next_step

    def __str__(self) -> str:
        return self.render()

    def render(self) -> str:
        """The message as the CLI prints it: what, then why, then what to do."""
        lines = [self.what]
        if self.why:
            lines.append(f"Why: {self.why}")
        if self.next_step:
            lines.append(f"Next: {self.next_step}")
        return "\n".join(lines)


class InvalidInput(OnboardError):
    """The user gave us something we cannot use (a file, an argument, a code)."""

    exit_code = 3


class ConfigFileError(OnboardError):
    """A configuration file could not be read or safely rewritten."""

    exit_code = 3
