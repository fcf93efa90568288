"""The doctor screen: every check, live as it finishes; details and fix of the selected one.

The checks are the same functions `onboard doctor` runs (`onboard.doctor.checks`).
They run in one thread worker that only posts messages; the handlers update
the table. A user name in the box switches to helpdesk mode (the account
checks for that user, with the helpdesk's credentials).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from onboard.doctor.checks import DoctorContext, all_checks, run_checks, select
from onboard.doctor.findings import Finding
from onboard.doctor.report import DoctorRun, redact, to_markdown
from onboard.runtime import helpdesk_settings
from onboard.settings import Settings

if TYPE_CHECKING:
    from onboard.aws.models import SessionCredentials

ICONS = {"ok": "✓", "warn": "!", "fail": "✗", "skipped": "–"}


class DoctorScreen(Screen[None]):
    """Runs the doctor's checks and shows each finding with its fix."""

    TITLE = "Doctor"
    SUB_TITLE = "why git does not work with CodeCommit"
    DEFAULT_CSS = """
    DoctorScreen { layout: vertical; }
    DoctorScreen #doctor-bar { height: auto; padding: 0 1; }
    DoctorScreen #doctor-user { width: 32; }
    DoctorScreen #doctor-status { height: 1; padding: 0 1; color: $text-muted; }
    DoctorScreen #doctor-body { height: 1fr; }
    DoctorScreen DataTable { height: 1fr; }
    DoctorScreen #doctor-detail { height: auto; max-height: 14; padding: 0 1;
        border-top: solid $panel; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", "Run again"),
        Binding("m", "markdown", "Report as Markdown"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    @dataclass
    class FindingArrived(Message):
        """One finding is ready (posted from the worker thread)."""

        finding: Finding
        generation: int

    @dataclass
    class RunFinished(Message):
        """All checks are done; live findings were re-ranked with the others' evidence."""

        findings: tuple[Finding, ...]
        elapsed: float
        generation: int
        repo: str | None = None
        region: str | None = None
        targets: tuple[dict[str, Any], ...] = ()
        """The remotes (or repository) judged, for the report."""

    def __init__(
        self,
        settings: Settings,
        *,
        session: SessionCredentials | None = None,
        repo: str | None = None,
    ) -> None:
        """`session`: the MFA session the walkthrough holds (the doctor reads the account
        with it, as the walkthrough does); `repo`: the repository the walkthrough chose."""
        super().__init__()
        self.settings = settings
        self.session = session
        self.repo = repo
        self.findings: dict[str, Finding] = {}
        self.last_run: DoctorRun | None = None
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield Header()  # the screen's own title: it opens over the walkthrough (ctrl+d)
        with Horizontal(id="doctor-bar"):
            yield Input(placeholder="helpdesk: IAM user name (empty: me)", id="doctor-user")
            yield Button("Run checks", id="doctor-run", variant="primary")
        yield Static("", id="doctor-status", markup=False)
        with Vertical(id="doctor-body"):
            yield DataTable(id="doctor-table", cursor_type="row", zebra_stripes=True)
            yield Static("Select a finding to see its details and fix.", id="doctor-detail",
                         markup=False)  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(" ", "Check", "Summary")
        table.focus()  # keys r/m act on the screen; the user box is one click/tab away
        self.action_run()

    # -- running -----------------------------------------------------------------

    def action_run(self) -> None:
        """Start (or restart) the checks; results of an older run are dropped."""
        self._generation += 1
        self.findings.clear()
        self.query_one(DataTable).clear()
        user = self.query_one("#doctor-user", Input).value.strip() or None
        who = f"user {user} (helpdesk)" if user else "your setup"
        self.query_one("#doctor-status", Static).update(f"Checking {who}…")
        self.run_doctor(user, self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor")
    def run_doctor(self, user: str | None, generation: int) -> None:
        """The checks, in a thread: only `post_message` from here."""
        settings = helpdesk_settings(self.settings) if user else self.settings
        ctx = DoctorContext(
            settings,
            repo=self.repo or settings.repo,
            subject_user=user,
            session=None if user else self.session,
            cwd=Path.cwd(),
        )
        worker = get_current_worker()

        def arrived(finding: Finding) -> None:
            if not worker.is_cancelled:
                self.post_message(self.FindingArrived(finding, generation))

        findings, elapsed = run_checks(ctx, select(all_checks(), ctx), on_finding=arrived)
        if not worker.is_cancelled:
            targets = tuple(dict(t.to_json()) for t in ctx.targets())
            self.post_message(
                self.RunFinished(findings, elapsed, generation, ctx.repo_name, ctx.region, targets)
            )

    @on(FindingArrived)
    def finding_arrived(self, message: FindingArrived) -> None:
        if message.generation != self._generation:
            return
        self._show(message.finding)

    @on(RunFinished)
    def run_finished(self, message: RunFinished) -> None:
        if message.generation != self._generation:
            return
        table = self.query_one(DataTable)
        table.clear()
        self.findings.clear()
        for finding in message.findings:
            self._show(finding)
        user = self.query_one("#doctor-user", Input).value.strip() or None
        self.last_run = DoctorRun(
            message.findings,
            f"user {user} (helpdesk)" if user else "me",
            region=message.region,
            repo=message.repo,
            mode="helpdesk" if user else "self",
            elapsed_seconds=message.elapsed,
            targets=message.targets,
        )
        counts = self.last_run.counts()
        self.query_one("#doctor-status", Static).update(
            f"{counts['fail']} failed, {counts['warn']} warnings, {counts['ok']} passed, "
            f"{counts['skipped']} skipped ({message.elapsed:.1f} s)"
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error path of the doctor's worker."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self.log.error(f"doctor failed: {type(error).__name__}")
        text = redact(str(getattr(error, "what", error)))
        self.query_one("#doctor-status", Static).update(f"✗ {text}")
        self.notify(text, severity="error")

    # -- showing -----------------------------------------------------------------

    def _show(self, finding: Finding) -> None:
        table = self.query_one(DataTable)
        if finding.id in self.findings:
            table.remove_row(finding.id)
        self.findings[finding.id] = finding
        table.add_row(ICONS[finding.status], finding.id, redact(finding.summary), key=finding.id)

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        finding = self.findings.get(str(key)) if key is not None else None
        if finding is not None:
            self.query_one("#doctor-detail", Static).update(describe(finding))

    @on(Button.Pressed, "#doctor-run")
    def run_pressed(self) -> None:
        self.action_run()

    @on(Input.Submitted, "#doctor-user")
    def user_submitted(self) -> None:
        self.action_run()

    def action_markdown(self) -> None:
        """Show the ticket-ready report in the detail pane."""
        if self.last_run is not None:
            self.query_one("#doctor-detail", Static).update(to_markdown(self.last_run))


def describe(finding: Finding) -> str:
    """A finding as the detail pane shows it (redacted)."""
    lines = [f"{ICONS[finding.status]} {finding.id}: {finding.summary}"]
    lines += [f"  {detail}" for detail in finding.details]
    if finding.fix is not None:
        lines.append(f"Fix: {finding.fix.summary}")
        if finding.fix.command:
            lines.append(f"  $ {finding.fix.command}")
    if finding.causes:
        lines.append(f"Cause: {', '.join(finding.causes)} (onboard explain knows more)")
    return redact("\n".join(lines))
