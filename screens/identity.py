"""Step 1: who the credentials belong to, and what is already done for them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard.aws.errors import ExpiredCredentials, NoCredentials
from onboard.walkthrough.steps import Facts, done_steps, first_pending, gather_facts, step
from screens.step import StepScreen

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import CallerIdentity


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
        "belong to IAM users."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "continue", "Continue"),
        Binding("r", "retry", "Check again"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="who", classes="panel facts", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary", disabled=True)
            yield Button("Check again", id="retry")

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

    @on(Button.Pressed, "#continue")
    def action_continue(self) -> None:
        if self.query_one("#continue", Button).disabled:
            return
        super().action_continue()

    def task_done(self, task: str, result: Any) -> None:
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
            "Next: run onboard with the access key of your own IAM user "
            "(`onboard --profile NAME`)."
        )
        self.mark_failed()
        self.set_status("✗ Not an IAM user.", "error")

    def task_failed(self, task: str, error: BaseException) -> bool:
        if not isinstance(error, NoCredentials | ExpiredCredentials):
            return False
        who = self.query_one("#who", Static)
        who.set_classes("panel facts panel-error")
        title = "No AWS credentials" if isinstance(error, NoCredentials) else "Expired credentials"
        lines = [f"{title}: {error.what}"]
        if error.why:
            lines.append(f"Why: {error.why}")
        if error.next_step:
            lines.append(f"Next: {error.next_step}")
        who.update("\n".join(lines))
        self.mark_failed()
        self.set_status(f"✗ {title}. Fix it, then press r to check again.", "error")
        return True

    def action_back(self) -> None:
        """The first step has nothing before it."""
