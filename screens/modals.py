"""Small typed dialogs: errors, confirmations, help, and a secret shown once."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from onboard.errors import OnboardError
from onboard.settings import Settings


class ErrorModal(ModalScreen[None]):
    """What went wrong, why, and the one thing to do next."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter", "close", "Close")]

    def __init__(self, what: str, why: str = "", next_step: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.what = what
        self.why = why
        self.next_step = next_step

    @classmethod
    def from_error(cls, error: BaseException) -> ErrorModal:
        """The modal for any error; unexpected ones say so and point at the doctor."""
        if isinstance(error, OnboardError):
            return cls(error.what, error.why, error.next_step)
        return cls(
            f"Unexpected error: {type(error).__name__}",
            str(error) or "no details",
            "run `onboard doctor --markdown` and send its report to the helpdesk",
        )

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(self.what, id="error-what", classes="dialog-title")
            if self.why:
                yield Static(f"Why: {self.why}", id="error-why", markup=False)
            if self.next_step:
                yield Static(f"Next: {self.next_step}", id="error-next", markup=False)
            yield Button("Close", id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; dismisses True for yes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, detail: str = "", *, yes: str = "Yes", no: str = "No"):
        super().__init__(classes="dialog-screen")
        self.question = question
        self.detail = detail
        self.quit_question = False
        """True for the app's "Quit now?": a second ctrl+c there quits."""
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            if self.detail:
                yield Static(self.detail, id="confirm-detail", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, id="yes", variant="warning")
                yield Button(self.no, id="no", variant="primary")

    def on_mount(self) -> None:
        # Enter on a reflex must not do the risky thing: the safe answer has focus.
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SecretModal(ModalScreen[None]):
    """A secret the user must copy now (AWS shows it only once); never logged."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(
        self,
        title: str,
        lines: list[tuple[str, str]],
        note: str,
        *,
        copyable: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.lines = lines
        self.note = note
        self.copyable = copyable
        """The value `c` copies (the password), through the clipboard tool's stdin."""
        self.settings = settings

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            for label, value in self.lines:
                yield Static(f"{label}: {value}", markup=False, classes="secret-line")
            yield Static(self.note, markup=False)
            with Horizontal(classes="buttons"):
                yield Button("I have saved it", id="close", variant="primary")
                if self.copyable is not None:
                    yield Button("Copy (c)", id="copy")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.copyable is not None if action == "copy" else True

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        secret, settings = self.copyable, self.settings
        if secret is None:
            return
        self.app.copy_to_clipboard(secret)  # OSC 52, for terminals that allow it
        if settings is not None:
            self._copy(secret, settings)
        else:
            self.notify("Sent to the terminal's clipboard (if it allows it).")

    @work(thread=True, exclusive=True, exit_on_error=False, group="secret-copy")
    def _copy(self, secret: str, settings: Settings) -> None:
        from onboard.clipboard import copy_text

        copied = copy_text(secret, settings.platform, settings.env())
        self.app.call_from_thread(
            self.notify,
            "Copied to the clipboard."
            if copied
            else "Sent to the terminal's clipboard (if it allows it).",
        )


HELP_TEXT = """\
# onboard

Takes you from *an IAM user with an access key* to *git works with CodeCommit*
in an account that requires MFA.

| Key | Does |
|-----|------|
| `enter` | the step's main action |
| `escape` | back to the previous step |
| `ctrl+p` | command palette: every action, searchable |
| `ctrl+d` | the doctor: what is wrong when git stopped working |
| `ctrl+r` | resynchronise an MFA device that drifted |
| `?` or `f1` | this help |
| `ctrl+c` / `ctrl+q` | quit (nothing is left half-written) |

Each step says what it will do before it does it. Re-running `onboard` skips
what is already done. Trouble later: `onboard doctor`.
"""


class HelpModal(ModalScreen[None]):
    """Keys and what the walkthrough does."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, step_help: str = "", *, env_file: Path | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.step_help = step_help
        self.env_file = env_file

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            from textual.widgets import Markdown  # only when help opens: faster start-up

            extra = f"\n## This step\n\n{self.step_help}\n" if self.step_help else ""
            if self.env_file is not None:
                extra += (
                    "\n## The sandbox from a shell\n\nWhile onboard runs, any shell can use "
                    f"the sandbox:\n\n```sh\nenv $(cat {self.env_file}) git clone URL\n```\n"
                )
            # Scrolls: at 80x24 the help is longer than the screen, Close must stay reachable.
            with VerticalScroll(id="help-scroll"):
                yield Markdown(HELP_TEXT + extra)
            yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)
