"""Step 3: trade a fresh MFA code for a temporary session (STS GetSessionToken)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Label, Static

from onboard.aws.errors import AccessDenied, InvalidAuthenticationCode
from onboard.aws.files import read_session_profile, session_profile_name
from onboard.errors import OnboardError
from onboard.mfa import codes as mfa
from onboard.mfa.session import choose_duration
from onboard.walkthrough.facts import (
    SentCode,
    SessionResult,
    describe_expiry,
    expiry_utc,
    reused_code_problem,
    save_session,
    start_session,
)
from onboard.walkthrough.steps import Change
from onboard.walkthrough.verify import SessionNeed, session_need
from screens.step import StepScreen
from screens.widgets.code_input import CodeInput
from screens.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from onboard.aws.models import SessionCredentials


class SessionScreen(StepScreen):
    """Asks for one fresh code and gets MFA session credentials."""

    STEP = "session"
    HELP = (
        "Your account denies most actions unless the request was made with MFA. "
        "Uploading an SSH key and creating HTTPS Git credentials are among them, "
        "so onboard asks for one fresh code and gets a temporary session "
        "(12 hours). Saving it as a profile lets the AWS CLI use it too."
    )
    need: SessionNeed | None = None
    """What the policies say about the session (its need and MFA age limit), once read."""
    sending: str | None = None
    """The code of the GetSessionToken request in flight (remembered once AWS takes it)."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "primary", "Get session"),
        Binding("ctrl+s", "skip", "Skip"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Skipping only makes sense while there is no session."""
        if action == "skip":
            return self.state.session is None
        return super().check_action(action, parameters)

    def compose_body(self) -> ComposeResult:
        settings = self.state.settings
        yield Static(
            "Uploading an SSH key and creating Git credentials need an MFA session in "
            "accounts that enforce MFA. Type the code your authenticator app shows now.",
            id="session-info",
            classes="panel",
            markup=False,
        )
        with Vertical(id="session-form"):
            yield Label("MFA code")
            yield CodeInput(mfa.validate_code, id="code")
            yield Static("", id="code-problem", classes="field-error", markup=False)
            yield TickBox(
                f"Save it as profile “{session_profile_name(settings.profile)}”",
                id="save",
                value=self.state.saved_session_profile() is not None,  # renewing: keep it saved
            )
            yield Static(
                f"for the AWS CLI and git-remote-codecommit, in "
                f"{self.state.show(settings.home.aws_credentials)} (0600) until it expires",
                classes="hint",
                markup=False,
            )
        with Horizontal(classes="buttons"):
            yield Button("Get session", id="get", variant="primary")
            yield Button("Continue", id="continue", variant="primary", classes="hidden")
            yield Button("Save as profile", id="save-now", classes="hidden")
            yield Button("Skip", id="skip")

    def on_mount(self) -> None:
        self.refresh_checklist()
        if self.state.session is not None:
            self.show_session(self.state.session, self.state.session_profile)
        elif self.state.mfa_serial is None:
            self.set_status("No MFA device yet: go back to step 2 (escape).", "error")
        else:
            self.query_one("#code", CodeInput).focus()
            self.say_if_expired()
            self.check_need()

    def say_if_expired(self) -> None:
        """A saved session that ended is renewed here with one code (kept saved: box ticked)."""
        saved = read_session_profile(self.state.settings.home, self.state.settings.profile)
        now = datetime.fromtimestamp(self.onboard_app.clock(), UTC)
        if saved is None or not saved.expired(now):
            return
        when = f" at {expiry_utc(saved.expiration)}" if saved.expiration else ""
        self.set_status(
            f"Your saved MFA session “{saved.profile}” ended{when}: one code renews it "
            "(saved again, 0600).",
            "error",
        )

    def check_need(self) -> None:
        """Ask the policy engine whether the next steps need the session."""
        gateway, identity = self.state.gateway, self.state.identity
        if gateway is None or identity is None:
            return
        user, region = self.state.user_name, self.state.region
        self.run_task("need", lambda: session_need(gateway, identity.account, user, region))

    def action_primary(self) -> None:
        if self.state.session is not None:
            self.action_continue()
        else:
            self.get_session()

    @on(CodeInput.Submitted, "#code")
    @on(Button.Pressed, "#get")
    def get_session(self) -> None:
        gateway, serial = self.state.gateway, self.state.mfa_serial
        if gateway is None or serial is None or self.state.session is not None:
            return
        code_input = self.query_one("#code", CodeInput)
        problem = mfa.validate_code(code_input.code)
        self.query_one("#code-problem", Static).update(problem or "")
        if problem:
            code_input.focus()
            return
        code = code_input.code
        reused = reused_code_problem(code, serial, self.state.sent_codes)
        if reused:
            # AWS would answer "invalid code" without saying why: say it here, precisely.
            self.query_one("#code-problem", Static).update(reused)
            code_input.value = ""
            code_input.focus()
            self.set_status("✗ The code was not sent to AWS: it was already used.", "error")
            return
        self.sending = code
        save = self.query_one("#save", Checkbox).value
        settings = self.state.settings
        duration = choose_duration(self.need.age_limit if self.need else None)
        self.state.session_duration = duration.seconds
        self.run_task(
            "session",
            lambda: start_session(
                gateway, settings, serial, code, save=save, duration_seconds=duration.seconds
            ),
            busy=f"Getting an MFA session from AWS STS for {duration.reason}…",
        )

    @on(Button.Pressed, "#save-now")
    def save_now(self) -> None:
        """Save a session got without ticking the box (e.g. for git-remote-codecommit)."""
        creds, gateway = self.state.session, self.state.mfa_gateway
        if creds is None or gateway is None or self.state.session_profile is not None:
            return
        settings = self.state.settings
        self.run_task(
            "save",
            lambda: save_session(gateway, settings, creds),
            busy="Saving the session as a profile…",
        )

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.mark_skipped()
        self.action_continue()

    def task_done(self, task: str, result: Any) -> None:
        if isinstance(result, SessionNeed):
            self.need = result
            if self.state.session is None:
                self.query_one("#session-info", Static).update(
                    f"{result.reason}\nType the code your authenticator app shows now."
                )
            return
        assert isinstance(result, SessionResult)
        if self.sending is not None and self.state.mfa_serial is not None:
            use = "the code that opened your MFA session"
            self.state.sent_codes.append(SentCode(self.state.mfa_serial, self.sending, use))
        self.state.session = result.credentials
        self.state.mfa_gateway = result.gateway
        self.state.session_profile = result.profile
        if result.saved is not None:
            self.state.record(
                Change(
                    "machine",
                    f"saved the MFA session as profile “{result.profile}” in "
                    f"{self.state.show(result.saved.path)} (expires "
                    f"{expiry_utc(result.credentials.expiration)}; its region in "
                    f"{self.state.show(self.state.settings.home.aws_config)})",
                )
            )
        self.show_session(result.credentials, result.profile)

    def show_session(self, creds: SessionCredentials, profile: str | None) -> None:
        expiry = describe_expiry(creds.expiration, self.onboard_app.clock())
        text = f"MFA session ready, valid {expiry}."
        if profile:
            where = self.state.show(self.state.settings.home.aws_credentials)
            text += f"\nSaved as profile “{profile}” in {where}: aws --profile {profile} ..."
        else:
            text += "\nKept in memory for this run only (not saved)."
        info = self.query_one("#session-info", Static)
        info.update(text)
        info.set_classes("panel panel-ok")
        self.query_one("#get", Button).add_class("hidden")
        self.query_one("#skip", Button).add_class("hidden")
        self.query_one("#save-now", Button).set_class(profile is not None, "hidden")
        self.query_one("#session-form").add_class("hidden")
        self.refresh_bindings()
        continue_button = self.query_one("#continue", Button)
        continue_button.remove_class("hidden")
        continue_button.focus()
        self.mark_done()
        self.set_status("✓ MFA session ready.", "ok")

    def task_failed(self, task: str, error: BaseException) -> bool:
        bad_code = isinstance(error, InvalidAuthenticationCode) or (
            isinstance(error, AccessDenied) and "MultiFactorAuthentication" in str(error)
        )
        if bad_code and isinstance(error, OnboardError):
            self.query_one("#code-problem", Static).update(
                "AWS did not accept this code. Wait for the next code (each works once) "
                "and try again; if it keeps failing, your phone's clock may be off "
                "(ctrl+r resynchronises the device)."
            )
            self.query_one("#code", CodeInput).value = ""
            self.set_status(f"✗ {error.what}", "error")
            return True
        return False
