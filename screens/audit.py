"""The audit screen: who of the account (or organization) cannot use git, and why.

The audit is the same function `onboard audit` runs (`onboard.audit.run`). It
runs in one thread worker that only posts messages (progress, the result);
the handlers fill a summary of the grouped findings and a table of users that
can be filtered (the box) and sorted (`s`, or a click on a column header).
Enter on a user opens the helpdesk doctor for them.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from onboard.audit.model import UserAudit
from onboard.audit.report import AuditRun
from onboard.audit.run import AuditOptions, run_audit
from onboard.policy.git import METHODS
from onboard.settings import Settings
from screens.crash import RedactedCrash
from screens.doctor import DoctorScreen

COLUMNS = (
    "Account",
    "User",
    "HTTPS helper",
    "Git creds",
    "SSH",
    "grc",
    "MFA",
    "Device",
    "Findings",
)
SEVERITY_ICONS = {"error": "✗", "warning": "!", "info": "·"}


def _row(user: UserAudit, findings: str) -> tuple[str, ...]:
    return (
        user.account,
        user.user,
        *(user.git[m] for m in METHODS),
        "enforced" if user.mfa_enforced else "NOT enforced",
        user.mfa_device,
        findings,
    )


def describe(user: UserAudit, fixes: list[str], doctor: bool) -> str:
    """A user as the detail pane shows it: each method's verdict and why, then the fixes."""
    groups = f" (groups: {', '.join(user.groups)})" if user.groups else ""
    lines = [f"{user.user} in {user.account}{groups}, MFA device {user.mfa_device}"]
    lines += [f"  {m}: {user.git[m]} — {user.deciding[m]}" for m in METHODS]
    if not user.mfa_enforced:
        lines.append(f"  MFA not enforced: {', '.join(user.mfa_not_enforced_for)}")
    lines += [f"Fix {fix}" for fix in fixes]
    if doctor:
        lines.append("Enter: the helpdesk doctor for this user")
    return "\n".join(lines)


class UserDoctor(DoctorScreen):
    """The doctor in helpdesk mode for one user (its box filled in before the first run)."""

    def __init__(self, settings: Settings, user: str) -> None:
        super().__init__(settings)
        self.subject = user

    def on_mount(self) -> None:
        # Textual then runs DoctorScreen.on_mount, which starts the checks for this box.
        self.query_one("#doctor-user", Input).value = self.subject


class AuditScreen(Screen[None]):
    """Runs the audit and shows the grouped findings and every user's verdicts."""

    DEFAULT_CSS = """
    AuditScreen { layout: vertical; }
    AuditScreen #audit-status { height: 1; padding: 0 1; color: $text-muted; }
    AuditScreen #audit-summary { height: auto; max-height: 12; padding: 0 1;
        border-bottom: solid $panel; overflow-y: auto; }
    AuditScreen #audit-filter { margin: 0 1; }
    AuditScreen #audit-body { height: 1fr; }
    AuditScreen DataTable { height: 1fr; }
    AuditScreen #audit-detail { height: auto; max-height: 8; padding: 0 1;
        border-top: solid $panel; overflow-y: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sort", "Sort by next column"),
        Binding("slash", "focus_filter", "Filter"),
        Binding("r", "run", "Run again"),
        Binding("escape", "back", "Back"),
    ]

    @dataclass
    class Progress(Message):
        """A download step finished (posted from the worker thread)."""

        text: str
        generation: int

    @dataclass
    class Finished(Message):
        """The audit is done."""

        run: AuditRun
        generation: int

    def __init__(self, settings: Settings, options: AuditOptions | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.options = options or AuditOptions()
        self.result: AuditRun | None = None
        self._generation = 0
        self._sort_column = 1
        self._findings_of: dict[tuple[str, str], str] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-status", markup=False)
        yield Static("", id="audit-summary", markup=False)
        yield Input(placeholder="filter: user, account, group, status, finding", id="audit-filter")
        with Vertical(id="audit-body"):
            yield DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        yield Static("Select a user to see what decides each method.", id="audit-detail",
                     markup=False)  # fmt: skip
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label)
        table.focus()
        self.action_run()

    # -- running -----------------------------------------------------------------

    def action_run(self) -> None:
        """Start (or restart) the audit; an older run's messages are dropped."""
        self._generation += 1
        self.query_one("#audit-status", Static).update("Reading the account…")
        self.run_audit_worker(self._generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="audit")
    def run_audit_worker(self, generation: int) -> None:
        """The audit, in a thread: only `post_message` from here."""
        worker = get_current_worker()

        def progress(text: str) -> None:
            if not worker.is_cancelled:
                self.post_message(self.Progress(text, generation))

        result = run_audit(self.options, self.settings, progress)
        if not worker.is_cancelled:
            self.post_message(self.Finished(result, generation))

    @on(Progress)
    def progress_arrived(self, message: Progress) -> None:
        if message.generation == self._generation:
            self.query_one("#audit-status", Static).update(message.text)

    @on(Finished)
    def audit_finished(self, message: Finished) -> None:
        if message.generation != self._generation:
            return
        run = self.result = message.run
        self._findings_of = {}
        for finding in run.findings:
            for user in finding.users:
                key = (finding.account, user)
                self._findings_of[key] = ", ".join(
                    filter(None, [self._findings_of.get(key, ""), finding.id])
                )
        verdict = "all is well" if run.exit_code == 0 else "problems found"
        self.query_one("#audit-status", Static).update(
            f"{len(run.users)} users in {len(run.accounts)} account(s): {len(run.blocked)} "
            f"cannot use git, {len(run.unenforced)} without MFA enforced ({verdict})"
        )
        lines = [
            f"{SEVERITY_ICONS.get(f.severity, '·')} {f.account}: {f.message}" for f in run.findings
        ]
        self.query_one("#audit-summary", Static).update(
            "\n".join(lines) or "No findings: every user can use git and MFA is enforced."
        )
        self._fill()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error path of the audit's worker."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self.log.error(f"audit failed: {type(error).__name__}")
        text = str(getattr(error, "what", error))
        self.query_one("#audit-status", Static).update(f"✗ {text}")
        self.notify(text, severity="error")

    # -- the table ---------------------------------------------------------------

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        if self.result is None:
            return
        wanted = self.query_one("#audit-filter", Input).value.strip().lower()
        for user in self.result.users:
            findings = self._findings_of.get((user.account, user.user), "")
            row = _row(user, findings)
            if wanted and wanted not in " ".join((*row, *user.groups)).lower():
                continue
            table.add_row(*row, key=f"{user.account}/{user.user}")
        table.sort(COLUMNS[self._sort_column], COLUMNS[0], COLUMNS[1])

    @on(Input.Changed, "#audit-filter")
    def filter_changed(self) -> None:
        self._fill()

    @on(Input.Submitted, "#audit-filter")
    def filter_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        """Leave the audit (the audit app then exits)."""
        self.dismiss(None)

    def action_focus_filter(self) -> None:
        """Put the cursor in the filter box."""
        self.query_one("#audit-filter", Input).focus()

    def action_sort(self) -> None:
        """Sort the table by the next column (user, then each verdict, ...)."""
        self._sort_column = (self._sort_column + 1) % len(COLUMNS)
        self.query_one(DataTable).sort(COLUMNS[self._sort_column], COLUMNS[0], COLUMNS[1])
        self.notify(f"Sorted by {COLUMNS[self._sort_column]}")

    @on(DataTable.HeaderSelected)
    def header_selected(self, event: DataTable.HeaderSelected) -> None:
        self._sort_column = event.column_index
        self.query_one(DataTable).sort(COLUMNS[self._sort_column], COLUMNS[0], COLUMNS[1])

    def _home_account(self) -> str | None:
        """The account the caller's own credentials act in (where the doctor can look)."""
        if self.result is None:
            return None
        return next((a.account for a in self.result.accounts if not a.scp_levels), None)

    @on(DataTable.RowHighlighted)
    def row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show what decides each method for the highlighted user, and their findings' fixes."""
        if event.row_key is None or event.row_key.value is None or self.result is None:
            return
        account, _, name = str(event.row_key.value).partition("/")
        user = next((u for u in self.result.users if u.account == account and u.user == name), None)
        if user is not None:
            fixes = [
                f"{f.id}: {f.fix}"
                for f in self.result.findings
                if f.account == account and name in f.users
            ]
            detail = describe(user, fixes, doctor=account == self._home_account())
            self.query_one("#audit-detail", Static).update(detail)

    @on(DataTable.RowSelected)
    def row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a user: the helpdesk doctor for them (in the account the caller is in)."""
        if event.row_key is None or event.row_key.value is None or self.result is None:
            return
        account, _, user = str(event.row_key.value).partition("/")
        if account != self._home_account():
            self.notify(
                f"{user} is in account {account}: run `onboard --profile PROFILE doctor --user "
                f"{user}` with credentials of that account",
                severity="warning",
            )
            return
        if not isinstance(self.app.screen, UserDoctor):  # a double Enter must not push twice
            self.app.push_screen(UserDoctor(self.settings, user))


class AuditApp(RedactedCrash, App[int]):
    """`onboard audit` on a terminal: the audit screen alone."""

    TITLE = "onboard audit"

    def __init__(self, settings: Settings, options: AuditOptions, banner: str = "") -> None:
        super().__init__()
        if banner:
            self.sub_title = banner
        self.audit_screen = AuditScreen(settings, options)

    def on_mount(self) -> None:
        self.push_screen(self.audit_screen, lambda _: self.exit(0))


def run_audit_app(args: argparse.Namespace) -> int:
    """Start the audit screen (against the embedded sandbox with `--sandbox`)."""
    from onboard.audit.cli import options_from
    from onboard.runtime import settings_for

    with settings_for(args) as settings:
        banner = f"SANDBOX ({args.scenario})" if getattr(args, "sandbox", False) else ""
        app = AuditApp(settings, options_from(args), banner)
        app.run()
    if app.return_code:  # an internal error (70), reported by RedactedCrash
        return app.return_code
    result = app.audit_screen.result
    return result.exit_code if result is not None else 0
