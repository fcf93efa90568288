"""The administrator request as a dialog: read it, copy it, save it as Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from onboard.clipboard import copy_text
from onboard.errors import OnboardError
from onboard.settings import Settings
from onboard.walkthrough.admin import AdminRequest


class AdminRequestModal(ModalScreen[Path | None]):
    """What to ask the administrator: user, deciding statement, patch, and its check."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("c", "copy", "Copy"),
        Binding("s", "save", "Save as Markdown"),
    ]

    def __init__(self, request: AdminRequest, settings: Settings, save_dir: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.request = request
        self.settings = settings
        self.save_dir = save_dir
        self.saved_path: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog admin-dialog"):
            yield Label("Ask your administrator", classes="dialog-title")
            yield Static(self.request.sentence(key=None), id="admin-sentence", markup=False)
            with VerticalScroll(id="admin-scroll"):
                yield Static(self.request.markdown(), id="admin-text", markup=False)
            yield Static("", id="admin-saved", classes="hint", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Copy (c)", id="copy", variant="primary")
                yield Button("Save .md (s)", id="save")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.query_one("#admin-scroll").focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.saved_path)

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        text = self.request.markdown()
        self.app.copy_to_clipboard(text)  # OSC 52, for terminals that allow it
        self._copy(text)

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin-copy")
    def _copy(self, text: str) -> None:
        copied = copy_text(text, self.settings.platform, self.settings.env())
        self.app.call_from_thread(
            self.notify,
            "The request is on the clipboard."
            if copied
            else "Sent the request to the terminal's clipboard (if it allows it); "
            "s saves it as a file.",
        )

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            path = self.request.save(self.save_dir)
        except OnboardError as exc:
            self.query_one("#admin-saved", Static).update(f"✗ {exc.what}: {exc.next_step}")
            return
        self.saved_path = path
        self.query_one("#admin-saved", Static).update(f"✓ Saved as {path}")
