"""Step 7: what changed, the clone command, and where to get help."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard.walkthrough import clone_command, summary_lines
from screens.step import StepScreen


class DoneScreen(StepScreen):
    """The summary of the run."""

    STEP = "done"
    HELP = "Everything onboard changed is listed here. Run `onboard doctor` if git stops working."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q", "finish", "Finish"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary", classes="panel", markup=False)
        yield Static("", id="clone", classes="panel panel-ok", markup=False)
        yield Static(
            "If git stops working later: `onboard doctor` (or ctrl+d here) checks your "
            "credentials, MFA, keys, git config and policy and says what to fix. Lost "
            "your phone? The helpdesk runs `onboard doctor --user NAME`.",
            id="help",
            classes="panel",
            markup=False,
        )
        with Horizontal(classes="buttons"):
            yield Button("Finish", id="finish", variant="primary")

    def on_mount(self) -> None:
        self.mark_done()
        state = self.state
        self.query_one("#summary", Static).update("\n".join(summary_lines(state.changes)))
        if state.clone_url and state.repo:
            clone = f"Get your code:\n  {clone_command(state.clone_url, state.repo)}"
        else:
            clone = "git is not configured in this run (step 5)."
        self.query_one("#clone", Static).update(clone)
        self.query_one("#finish", Button).focus(scroll_visible=False)

    @on(Button.Pressed, "#finish")
    def action_finish(self) -> None:
        self.app.exit(0)
