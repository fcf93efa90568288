"""Step 1: who the credentials belong to, and what is already done for them.

With no credentials on the machine (or when asked: `o`), the step starts
from the access key the administrator handed over (screens/credentials.py):
the key is checked with AWS, saved as a profile, and the check runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard.aws.errors import ExpiredCredentials, NoCredentials
from onboard.errors import OnboardError
from onboard.walkthrough.steps import (
    Change,
    Facts,
    display_path,
    done_steps,
    first_pending,
    gather_facts,
    step,
)
from screens.credentials import KeyForm
from screens.modals import ConfirmModal
from screens.step import StepScreen

if TYPE_CHECKING:
    from pathlib import Path

    from onboard.aws.credentials import SavedKey
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import CallerIdentity
    from onboard.walkthrough.first_key import KeyCheck


@dataclass(frozen=True)
class Found:
    """What the identity check found."""

    gateway: Gateway
    identity: CallerIdentity
    facts: Facts


class IdentityScreen(StepScreen):
    """Resolves credentials the boto3 way and shows the user ARN and account."""

    STEP = "identity"
    HELP = (
        "onboard uses the same credentials the AWS CLI would: `--profile`, "
        "`AWS_PROFILE`, environment variables, SSO. It needs an IAM *user* "
        "(not a role or root) because MFA devices, SSH keys and Git credentials "
        "belong to IAM users. With no credentials yet, import the CSV file your "
        "administrator gave you (or type the key): onboard checks it with AWS, then "
        "saves it as a profile in ~/.aws (0600). Press o to use another key."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue"),
        Binding("r", "retry", "Check again"),
        Binding("o", "other_key", "Use another key"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.imported_csv: Path | None = None
        """The CSV the saved key came from: offered for deletion once saved."""

    def compose_body(self) -> ComposeResult:
        yield Static("", id="who", classes="panel facts", markup=False)
        form = KeyForm()
        form.add_class("hidden")
        yield form
        with Horizontal(classes="buttons", id="identity-buttons"):
            yield Button("Continue", id="continue", variant="primary", disabled=True)
            yield Button("Check again", id="retry")
            yield Button("Use another key", id="other-key")

    def on_mount(self) -> None:
        self.refresh_checklist()
        if self.state.identity is not None and self.state.gateway is not None:
            self.show_found(self.state.identity)
        else:
            # Paint first: importing boto3 in the worker would otherwise delay it.
            self.call_after_refresh(self.action_retry)

    def action_retry(self) -> None:
        settings = self.state.settings
        self.query_one("#who", Static).update("Looking for your AWS credentials…")

        def find() -> Found:
            from onboard.aws.gateway import Gateway

            gateway = Gateway.from_settings(settings)
            identity, facts = gather_facts(gateway, settings)
            return Found(gateway, identity, facts)

        self.run_task("whoami", find, busy="Asking AWS who these credentials belong to…")

    @on(Button.Pressed, "#retry")
    def retry_pressed(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#other-key")
    def action_other_key(self) -> None:
        """Show the form for the administrator's access key (CSV or typed)."""
        form = self.query_one(KeyForm)
        if form.check is not None:
            form.reset()  # a checked key not saved yet: start again with another
        elif not form.has_class("hidden"):
            return
        form.remove_class("hidden")
        # Nothing to continue with yet: the form's own buttons are the way on (fits 80x24).
        self.query_one("#identity-buttons").set_class(self.state.identity is None, "hidden")
        # Focus once the form is laid out: a widget that is not displayed yet cannot take it.
        self.call_after_refresh(form.query_one("#key-id" if form.typing else "#csv-path").focus)
        self.set_status("Import the CSV file or type the key, then Check key.")

    # -- the administrator's key -----------------------------------------------------

    @on(KeyForm.CheckRequested)
    def check_key(self, message: KeyForm.CheckRequested) -> None:
        message.stop()
        settings = self.state.settings
        csv_path, key_id, secret = message.csv_path, message.key_id, message.secret

        def check() -> KeyCheck:
            from onboard.walkthrough.first_key import check_access_key, load_key

            return check_access_key(settings, load_key(settings, csv_path, key_id, secret))

        self.run_task("check-key", check, busy="Asking AWS whose key this is…")

    @on(KeyForm.SaveRequested)
    def save_key(self, message: KeyForm.SaveRequested) -> None:
        message.stop()
        check = self.query_one(KeyForm).check
        if check is None:
            return
        from onboard.aws.credentials import profile_problem

        home = self.state.settings.home
        problem = profile_problem(home, message.profile, check.checked.key)
        if problem:
            self.query_one(KeyForm).show_problem(problem)
            self.set_status(f"✗ {problem}", "error")
            return
        profile, region = message.profile, message.region

        def save() -> SavedKey:
            from onboard.aws.credentials import save_key

            return save_key(home, check.checked, profile, region)

        self.run_task("save-key", save, busy=f"Saving the key as the profile {profile}…")

    def key_checked(self, check: KeyCheck) -> None:
        self.query_one(KeyForm).show_checked(check)
        self.imported_csv = check.checked.key.path
        self.set_status(
            f"✓ The key belongs to {check.checked.user_name}. Choose the profile name "
            "and region, then Save.",
            "ok",
        )

    def key_saved(self, saved: SavedKey) -> None:
        state = self.state
        home = state.settings.home
        where = display_path(home, saved.credentials.path)
        if saved.credentials.changed:
            what = f"saved your access key as the profile {saved.profile} in {where} (0600)"
            state.record(Change("machine", what))
        self.query_one(KeyForm).forget_secret()
        self.query_one(KeyForm).add_class("hidden")
        self.query_one("#identity-buttons").remove_class("hidden")
        # From now on the walkthrough (and every later step) uses the saved profile; what
        # was learned with other credentials (maybe another user's) is found again.
        state.settings = state.settings.replace(profile=saved.profile, region=saved.region)
        state.gateway = state.identity = state.mfa_gateway = state.facts = None
        state.mfa_serial = state.session = state.session_profile = state.ssh_key_id = None
        state.done.clear()
        state.failed.clear()
        state.skipped.clear()
        self.action_retry()
        if self.imported_csv is not None and self.imported_csv.exists():
            self.offer_delete(self.imported_csv)

    def offer_delete(self, path: Path) -> None:
        shown = display_path(self.state.settings.home, path)

        def answered(delete: bool | None) -> None:
            if not delete:
                return
            from onboard.aws.credentials import delete_key_file

            try:
                delete_key_file(path)
            except OnboardError as exc:
                self.notify(exc.render(), severity="error")
                return
            self.imported_csv = None
            self.state.record(Change("machine", f"deleted {shown} (it held the secret in clear)"))
            self.notify(f"Deleted {shown}.")

        self.app.push_screen(
            ConfirmModal(
                f"Delete {shown}?",
                "The key is saved in your AWS credentials file now. The CSV holds the "
                "secret in clear text: delete it, unless you keep it somewhere safe on "
                "purpose (a password manager is better).",
                yes="Delete",
                no="Keep",
            ),
            answered,
        )

    @on(Button.Pressed, "#continue")
    def action_continue(self) -> None:
        if self.query_one("#continue", Button).disabled:
            return
        super().action_continue()

    def task_done(self, task: str, result: Any) -> None:
        if task == "check-key":
            self.key_checked(result)
            return
        if task == "save-key":
            self.key_saved(result)
            return
        assert isinstance(result, Found)
        identity = result.identity
        if identity.principal_type != "user" or not identity.user_name:
            self.show_not_a_user(identity)
            return
        self.state.gateway = result.gateway
        self.state.identity = identity
        self.state.facts = result.facts
        self.state.done.update(done_steps(result.facts))
        if result.facts.mfa_serials and self.state.mfa_serial is None:
            self.state.mfa_serial = result.facts.mfa_serials[0]
        if result.facts.ssh_key_id:
            self.state.ssh_key_id = result.facts.ssh_key_id
        self.show_found(identity)
        resume = first_pending(result.facts)
        if resume not in ("identity", "mfa"):
            self.set_status(f"✓ Already done before: resuming at “{step(resume).title}”.", "ok")

    def show_found(self, identity: CallerIdentity) -> None:
        who = self.query_one("#who", Static)
        who.set_classes("panel facts panel-ok")
        who.update(
            f"User     {identity.user_name}\n"
            f"ARN      {identity.arn}\n"
            f"Account  {identity.account}\n"
            f"Source   {identity.credential_source}"
        )
        self.mark_done()
        self.set_status("✓ Credentials found.", "ok")
        button = self.query_one("#continue", Button)
        button.disabled = False
        button.focus()

    def show_not_a_user(self, identity: CallerIdentity) -> None:
        who = self.query_one("#who", Static)
        who.set_classes("panel facts panel-error")
        who.update(
            f"These credentials belong to {identity.arn} ({identity.principal_type}), "
            "not an IAM user.\n"
            "Why: MFA devices, SSH keys and Git credentials belong to IAM users.\n"
            "Next: press o to import the access key of your own IAM user, or run "
            "onboard with its profile (`onboard --profile NAME`)."
        )
        self.mark_failed()
        self.set_status("✗ Not an IAM user.", "error")

    def task_failed(self, task: str, error: BaseException) -> bool:
        if task in ("check-key", "save-key"):
            if not isinstance(error, OnboardError):
                return False
            # AWS's reason and what to ask for, under the fields (never quoting the secret).
            self.query_one(KeyForm).show_problem(error.render())
            self.set_status(f"✗ {error.what}", "error")
            return True
        if not isinstance(error, NoCredentials | ExpiredCredentials):
            return False
        who = self.query_one("#who", Static)
        who.set_classes("panel facts panel-error")
        if isinstance(error, NoCredentials):
            # Nothing found, or a key AWS refuses: start from the administrator's key.
            if not error.code:
                lines = ["No AWS credentials on this computer yet."]
            else:
                lines = [f"No usable AWS credentials: {error.what}"]
                lines += [f"Why: {error.why}"] if error.why else []
            lines.append("Next: import the access key your administrator gave you (below).")
            who.update("\n".join(lines))
            self.action_other_key()
            self.mark_failed()
            return True
        title = "No AWS credentials" if isinstance(error, NoCredentials) else "Expired credentials"
        lines = [f"{title}: {error.what}"]
        if error.why:
            lines.append(f"Why: {error.why}")
        if error.next_step:
            lines.append(f"Next: {error.next_step}, then press r to check again.")
        lines.append("Or press o to use the access key your administrator gave you.")
        who.update("\n".join(lines))
        self.mark_failed()
        self.set_status(f"✗ {title}. Fix it and press r, or o for another key.", "error")
        return True

    def action_back(self) -> None:
        """The first step has nothing before it."""
