"""The frame every walkthrough step shares: checklist, title, status line, workers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from onboard.walkthrough.steps import STEP_IDS, StepId, step
from screens.widgets.checklist import Checklist

if TYPE_CHECKING:
    from onboard.walkthrough.admin import AdminRequest
    from screens.app import OnboardApp
    from screens.state import RunState


class StepScreen(Screen[None]):
    """Base of the seven step screens.

    Blocking work goes through `run_task(name, fn)`: `fn` runs in a thread
    worker, its result comes back as a `TaskDone` message handled by
    `task_done`, and every failure goes through `task_failed` (the one error
    path: by default the error modal).
    """

    STEP: ClassVar[StepId] = "identity"
    HELP: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("a", "admin_request", "Ask admin"),
    ]
    ADMIN_STEPS: ClassVar[tuple[StepId, ...]] = ("git", "verify", "done")
    """The steps that show the verdict, where `a` opens the administrator request."""

    @dataclass
    class TaskDone(Message):
        """A task's thread finished; `result` is what its function returned."""

        task: str
        result: Any

    def __init__(self) -> None:
        super().__init__(id=f"step-{self.STEP}")
        self.busy_tasks: set[str] = set()

    @property
    def onboard_app(self) -> OnboardApp:
        from screens.app import OnboardApp

        assert isinstance(self.app, OnboardApp)
        return self.app

    @property
    def state(self) -> RunState:
        return self.onboard_app.state

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield Checklist(id="checklist")
            with VerticalScroll(id="body"):
                number = STEP_IDS.index(self.STEP) + 1
                yield Static(
                    f"Step {number} of {len(STEP_IDS)} · {step(self.STEP).title}",
                    classes="step-title",
                )
                yield Static(step(self.STEP).purpose, classes="step-purpose")
                yield from self.compose_body()
                yield Static("", id="status")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        """The step's own widgets (between the title and the status line)."""
        yield from ()

    def on_screen_resume(self) -> None:
        self.refresh_checklist()

    def refresh_checklist(self) -> None:
        state = self.state
        self.query_one(Checklist).show(self.STEP, state.done, state.failed, state.skipped)

    def set_status(self, text: str, kind: str = "info") -> None:
        """The one-line progress or result under the step (kind: info, busy, ok, error)."""
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(f"status-{kind}")
        if kind in ("ok", "error"):
            # A result below the fold (32 rows) is a result nobody sees.
            self.call_after_refresh(self.call_after_refresh, self.show_actions)

    def show_actions(self) -> None:
        """Scroll the body so the status line (and the buttons above it) are on screen."""
        self.query_one("#status", Static).scroll_visible(animate=False)

    def mark_done(self) -> None:
        """Tick this step in the checklist."""
        self.state.done.add(self.STEP)
        self.state.failed.discard(self.STEP)
        self.state.skipped.discard(self.STEP)
        self.refresh_checklist()

    def mark_skipped(self) -> None:
        """Show this step as skipped (on purpose) rather than still to do."""
        if self.STEP not in self.state.done:
            self.state.skipped.add(self.STEP)
            self.state.failed.discard(self.STEP)  # e.g. an upload failed, then HTTPS chosen
        self.refresh_checklist()

    def mark_failed(self) -> None:
        self.state.failed.add(self.STEP)
        self.refresh_checklist()

    # -- workers ---------------------------------------------------------

    def run_task(self, task: str, fn: Callable[[], object], busy: str = "") -> bool:
        """Run `fn` in a thread; False (and nothing started) while the same task runs."""
        if task in self.busy_tasks:
            return False  # a double key press: the first run is still going
        self.busy_tasks.add(task)
        if busy:
            self.set_status(f"⏳ {busy}", "busy")

        def work() -> None:
            result = fn()
            if not get_current_worker().is_cancelled:
                self.post_message(self.TaskDone(task, result))

        self.run_worker(
            work,
            name=task,
            group=f"{self.STEP}:{task}",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return True

    @on(TaskDone)
    def _task_done(self, message: TaskDone) -> None:
        self.busy_tasks.discard(message.task)
        self.task_done(message.task, message.result)

    def task_done(self, task: str, result: Any) -> None:
        """Show a finished task's result; each step overrides this."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error path of every worker this screen starts."""
        worker = event.worker
        if event.state == WorkerState.CANCELLED:
            self.busy_tasks.discard(worker.name)
        if event.state != WorkerState.ERROR or worker.error is None:
            return
        self.busy_tasks.discard(worker.name)
        self.log.error(f"task {worker.name} failed: {type(worker.error).__name__}")
        if not self.task_failed(worker.name, worker.error):
            self.set_status(f"✗ {getattr(worker.error, 'what', worker.error)}", "error")
            self.onboard_app.show_error(worker.error)

    def task_failed(self, task: str, error: BaseException) -> bool:
        """Handle an expected failure inline; return False to show the error modal."""
        return False

    # -- keys --------------------------------------------------------------

    def typing(self) -> bool:
        """Whether a text field has focus (letter keys then type, never act)."""
        return isinstance(self.focused, Input)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`a` only where a verdict blocked a method, and never while typing."""
        if action == "admin_request":
            return (
                self.STEP in self.ADMIN_STEPS
                and self.state.admin_request is not None
                and not self.typing()
            )
        return True

    def action_admin_request(self) -> None:
        """Open what to ask the administrator (the patch, its check, copy and save)."""
        from screens.widgets.admin_request import AdminRequestModal

        request = self.state.admin_request
        if request is None or isinstance(self.app.screen, AdminRequestModal):
            return

        def closed(saved: Path | None) -> None:
            if saved is not None:
                self.state.admin_saved = saved

        modal = AdminRequestModal(request, self.state.settings, self.state.save_dir)
        self.app.push_screen(modal, closed)

    def show_admin_request(self, request: AdminRequest | None) -> None:
        """Remember the request of the latest verdict and show the `a` key when there is one."""
        self.state.admin_request = request
        self.refresh_bindings()

    # -- navigation --------------------------------------------------------

    def action_back(self) -> None:
        self.onboard_app.go_back(self.STEP)

    def action_continue(self) -> None:
        self.onboard_app.go_next(self.STEP)
