"""Step 7: what changed, the clone command, and where to get help."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard.clipboard import copy_text
from onboard.walkthrough.sandbox_env import shell_command
from onboard.walkthrough.steps import clone_command, summary_lines
from screens.step import StepScreen


def summary_table(lines: list[str]) -> Table:
    """`summary_lines` as a grid: headings in bold, each `  • item` wrapping under its own text."""
    outer = Table.grid()
    outer.add_column()
    bullets: list[str] = []

    def flush() -> None:
        if bullets:
            items = Table.grid(padding=(0, 1))
            items.add_column(width=3, no_wrap=True)
            items.add_column(ratio=1)
            for item in bullets:
                items.add_row("  •", Text(item))
            outer.add_row(items)
            bullets.clear()

    for line in lines:
        if line.startswith("  • "):
            bullets.append(line.removeprefix("  • "))
        else:
            flush()
            outer.add_row(Text(line, style="bold"))
    flush()
    return outer


class DoneScreen(StepScreen):
    """The summary of the run."""

    STEP = "done"
    HELP = (
        "Everything onboard changed is listed here. Press c to copy the clone command. "
        "Run `onboard doctor` if git stops working."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,q", "finish", "Finish"),
        Binding("c", "copy", "Copy clone command"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="summary", classes="panel")
        yield Static("", id="clone", classes="panel panel-ok", markup=False)
        yield Static("", id="admin", classes="panel panel-warn hidden", markup=False)
        yield Static("", id="help", classes="panel", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Finish", id="finish", variant="primary")

    def on_mount(self) -> None:
        self.mark_done()
        state = self.state
        self.query_one("#summary", Static).update(summary_table(summary_lines(state.changes)))
        self.query_one("#clone", Static).update(self.clone_text())
        if state.admin_request is not None:
            admin = self.query_one("#admin", Static)
            admin.update(state.admin_request.sentence())
            admin.remove_class("hidden")
        user = state.user_name or "NAME"
        self.query_one("#help", Static).update(
            "If git stops working later: `onboard doctor` (or ctrl+d here) checks your "
            "credentials, MFA, keys, git config and policy and says what to fix. Lost "
            f"your phone? The helpdesk runs `onboard doctor --user {user}`."
        )
        self.query_one("#finish", Button).focus(scroll_visible=False)

    def command(self) -> str | None:
        """The clone command, when git was configured in this run."""
        state = self.state
        if state.clone_url and state.repo:
            return clone_command(state.clone_url, state.repo)
        return None

    def clone_text(self) -> str:
        command = self.command()
        if command is None:
            return "git is not configured in this run (step 5)."
        text = f"Get your code (c copies it):\n{command}"
        env_file = self.state.env_file
        if self.state.settings.sandbox and env_file is not None:
            # The sandbox account and its home go away with the app: say where the
            # command works, so nobody runs it against the real CodeCommit.
            text += (
                "\nSandbox: from any shell while onboard runs (Finish stops the sandbox "
                f"and removes its home):\n{shell_command(env_file, command)}"
            )
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy":
            return self.command() is not None
        return super().check_action(action, parameters)

    def action_copy(self) -> None:
        command = self.command()
        if command is None:
            return
        settings = self.state.settings
        self.app.copy_to_clipboard(command)  # OSC 52, for terminals that allow it
        self.run_task("copy", lambda: copy_text(command, settings.platform, settings.env()))

    def task_done(self, task: str, result: Any) -> None:
        if task == "copy":
            self.notify(
                "Clone command copied to the clipboard."
                if result
                else "Sent the command to the terminal's clipboard (if it allows it)."
            )

    @on(Button.Pressed, "#finish")
    def action_finish(self) -> None:
        self.app.exit(0)
