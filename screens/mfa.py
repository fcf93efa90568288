"""Step 2: create and enable a virtual MFA device, with the QR code on screen.

The seed lives only in this screen's memory: it is drawn as a QR code,
shown on request, checked locally against the typed codes, and forgotten
once the device is enabled.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.widgets import Button, Label, Static

from onboard.aws.errors import InvalidAuthenticationCode
from onboard.clipboard import copy_text
from onboard.mfa import codes as mfa
from onboard.secret import Secret
from onboard.walkthrough.facts import (
    MfaFindings,
    enable_codes,
    group_secret,
    inspect_mfa,
    stale_device_help,
)
from onboard.walkthrough.steps import Change
from screens.modals import ConfirmModal
from screens.step import StepScreen
from screens.widgets.code_input import CodeInput
from screens.widgets.qr import QrPanel


class MfaScreen(StepScreen):
    """Creates the device, shows its QR code, checks two codes, enables it."""

    STEP = "mfa"
    HELP = (
        "Open an authenticator app (Google Authenticator, Authy, 1Password, ...), "
        "add an account by scanning the QR code, then type two codes in a row: "
        "wait for the first to change before typing the second. The codes are "
        "checked here first, so a typo or a phone clock that is off is explained "
        "before AWS is asked. Press ctrl+s to show the secret for manual entry\n(ctrl+y copies it)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "primary", "Continue", show=True),
        # Priority: the code inputs would otherwise swallow these keys.
        Binding("ctrl+s", "reveal", "Show secret", priority=True),
        Binding("ctrl+y", "copy", "Copy secret", priority=True),
        Binding("r", "inspect", "Check again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.findings: MfaFindings | None = None
        self.serial: str | None = None
        self.seed: Secret | None = None  # in memory only; never logged, never written
        self.sent: tuple[str, str] | None = None  # the codes of the enable request
        self.enabled = False
        self.revealed = False

    def compose_body(self) -> ComposeResult:
        yield Static("", id="mfa-info", classes="panel", markup=False)
        with Horizontal(id="enroll", classes="hidden"):
            yield QrPanel(id="qr", reserve=(34, 10))
            with Vertical(id="enroll-form"):
                yield Label("First code")
                yield CodeInput(mfa.validate_code, id="code1", next_field="code2")
                yield Label("Next code")
                yield CodeInput(mfa.validate_code, id="code2")
                yield Static("Wait for the code to change, then type the new one.", classes="hint")
                yield Static("", id="code-problem", classes="field-error", markup=False)
                yield Static("", id="secret", classes="hidden", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Create device", id="create", variant="primary", classes="hidden")
            yield Button("Enable", id="enable", variant="primary", classes="hidden")
            yield Button("Continue", id="continue", variant="primary", classes="hidden")

    def on_mount(self) -> None:
        self.refresh_checklist()
        if self.state.enrollment is not None:
            self.show_enrollment(*self.state.enrollment)  # back to a device made earlier
            return
        self.action_inspect()

    def on_resize(self, event: Resize) -> None:
        self.query_one(QrPanel).refresh(layout=True)

    # -- state ---------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The secret keys exist only while there is a secret (enrollment in progress)."""
        if action in ("reveal", "copy"):
            return self.seed is not None
        if action == "primary":  # enter: only while there is a button for it
            return any(not b.has_class("hidden") for b in self.query(".buttons Button"))
        if action == "inspect":  # check again: not while a device is being enrolled
            return self.serial is None
        return super().check_action(action, parameters)

    def show_buttons(self, *visible: str) -> None:
        for name in ("create", "enable", "continue"):
            self.query_one(f"#{name}", Button).set_class(name not in visible, "hidden")
        self.refresh_bindings()
        if visible:
            self.query_one(f"#{visible[0]}", Button).focus()

    def info(self, text: str, kind: str = "") -> None:
        panel = self.query_one("#mfa-info", Static)
        panel.update(text)
        panel.set_classes(f"panel {kind}".strip())

    def leave_warning(self) -> str:
        """What leaving this step now means (empty when nothing is half done)."""
        if self.serial is None or self.enabled:
            return ""
        return (
            f"The MFA device {self.serial} was created but is not enabled yet. Going "
            "back keeps it while onboard runs: come back to step 2 to finish. If you "
            "quit before enabling it, it stays in the account unassigned, its secret is "
            "lost, and its name stays taken: the helpdesk has to delete it first."
        )

    # -- actions -------------------------------------------------------------

    def action_inspect(self) -> None:
        gateway, user = self.state.gateway, self.state.user_name
        if gateway is None or not user:
            self.info("Step 1 has not found your IAM user yet: press escape.", "panel-warn")
            return
        if self.serial is not None:
            return  # enrollment in progress: keep the device we made
        self.run_task(
            "inspect", lambda: inspect_mfa(gateway, user), busy="Looking at your MFA devices…"
        )

    def action_primary(self) -> None:
        for name, action in (
            ("create", self.create_device),
            ("enable", self.enable_device),
            ("continue", self.action_continue),
        ):
            if not self.query_one(f"#{name}", Button).has_class("hidden"):
                action()
                return

    @on(Button.Pressed, "#create")
    def create_device(self) -> None:
        gateway, findings = self.state.gateway, self.findings
        if gateway is None or findings is None or self.serial is not None:
            return
        self.run_task(
            "create",
            lambda: gateway.create_virtual_mfa_device(findings.device_name),
            busy=f"Creating the virtual MFA device “{findings.device_name}”…",
        )

    @on(Button.Pressed, "#enable")
    def enable_device(self) -> None:
        gateway, serial, seed = self.state.gateway, self.serial, self.seed
        if gateway is None or serial is None or seed is None:
            return
        first = self.query_one("#code1", CodeInput)
        second = self.query_one("#code2", CodeInput)
        problem = self.query_one("#code-problem", Static)
        diagnosis = mfa.check_codes(
            seed.reveal(), first.code, second.code, now=self.onboard_app.clock()
        )
        if not diagnosis.ok:
            problem.update(diagnosis.message)
            self.set_status("✗ The codes were not sent to AWS: fix them first.", "error")
            at_fault = second if diagnosis.problem == "same-code" else first
            if diagnosis.problem == "format" and mfa.validate_code(first.code) is None:
                at_fault = second
            at_fault.focus()
            return
        problem.update("")
        user = self.state.user_name
        codes = (first.code, second.code)
        self.sent = codes
        self.run_task(
            "enable",
            lambda: gateway.enable_mfa_device(user, serial, *codes),
            busy="Enabling the device with your two codes…",
        )

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    @on(CodeInput.Submitted, "#code1")
    def first_submitted(self, event: CodeInput.Submitted) -> None:
        problem = mfa.validate_code(event.value, "The first code")
        if problem is not None:
            # Say it now, where the user is typing, not after the second code.
            self.query_one("#code-problem", Static).update(problem)
            return
        self.query_one("#code-problem", Static).update("")
        self.query_one("#code2", CodeInput).focus()

    @on(CodeInput.Submitted, "#code2")
    def second_submitted(self) -> None:
        self.enable_device()

    def action_reveal(self) -> None:
        if self.seed is None:
            return
        self.revealed = not self.revealed
        secret = self.query_one("#secret", Static)
        shown = group_secret(self.seed.reveal())  # the user asked to see it
        secret.update(f"Secret key: {shown}\n(time-based, 6 digits, 30 s)")
        secret.set_class(not self.revealed, "hidden")
        if self.revealed:
            # In a small terminal the form is taller than the screen: bring it into view.
            self.call_after_refresh(secret.scroll_visible, animate=False)

    def action_copy(self) -> None:
        if self.seed is None:
            return
        seed, settings = self.seed.reveal(), self.state.settings
        self.app.copy_to_clipboard(seed)  # OSC 52, for terminals that allow it
        self.run_task("copy", lambda: copy_text(seed, settings.platform, settings.env()))

    def action_back(self) -> None:
        warning = self.leave_warning()
        if not warning:
            super().action_back()
            return

        def answered(leave: bool | None) -> None:
            if leave:
                super(MfaScreen, self).action_back()

        self.app.push_screen(
            ConfirmModal("Leave enrollment?", warning, yes="Leave", no="Stay"), answered
        )

    # -- results ---------------------------------------------------------------

    def task_done(self, task: str, result: Any) -> None:
        if task == "inspect":
            self.show_findings(result)
        elif task == "create":
            self.show_enrollment(result.serial, result.seed_base32)
        elif task == "enable":
            self.enabled_ok()
        elif task == "copy":
            self.notify(
                "Secret copied to the clipboard."
                if result
                else "Sent the secret to the terminal's clipboard (if it allows it); "
                "press ctrl+s to show it instead."
            )

    def show_findings(self, findings: MfaFindings) -> None:
        self.findings = findings
        if findings.assigned:
            serials = "\n".join(f"  {device.serial}" for device in findings.assigned)
            self.info(f"You already have MFA:\n{serials}", "panel-ok")
            self.state.mfa_serial = self.state.mfa_serial or findings.assigned[0].serial
            self.mark_done()
            self.set_status("✓ MFA is enabled.", "ok")
            self.show_buttons("continue")
            return
        if findings.stale is not None:
            self.info(stale_device_help(self.state.user_name, findings.stale.serial), "panel-warn")
            self.mark_failed()
            self.set_status("✗ A stale device blocks the name your policy requires.", "error")
            self.show_buttons()
            return
        self.state.failed.discard(self.STEP)  # e.g. the stale device is gone now
        self.refresh_checklist()
        self.info(
            f"You have no MFA device. onboard will create a virtual one named "
            f"“{findings.device_name}” (the name your account's policy requires), show "
            "its QR code for your authenticator app, and enable it with two codes."
        )
        self.set_status("Press enter to create the device.")
        self.show_buttons("create")

    def show_enrollment(self, serial: str, seed: Secret) -> None:
        self.serial = serial
        self.seed = seed
        self.state.enrollment = (serial, seed)  # memory only, for coming back to this step
        self.state.record(Change("account", f"created the virtual MFA device {serial}"))
        identity = self.state.identity
        label = f"{self.state.user_name}@{identity.account}" if identity else self.state.user_name
        self.query_one(QrPanel).set_lines(mfa.qr_lines(mfa.otpauth_uri(seed.reveal(), label)))
        self.query_one("#enroll").remove_class("hidden")
        self.info(
            f"Scan the code with your authenticator app (or press ctrl+s for the secret), "
            f"then type two codes in a row. Device: {serial}"
        )
        self.set_status("Waiting for two codes.")
        self.show_buttons("enable")
        self.refresh_bindings()
        self.query_one("#code1", CodeInput).focus()

    def enabled_ok(self) -> None:
        self.enabled = True
        self.state.mfa_serial = self.serial
        if self.serial is not None and self.sent is not None:
            # Still on the phone's screen: step 3 says so if it is typed again.
            self.state.sent_codes.extend(enable_codes(self.serial, *self.sent))
        self.state.record(Change("account", f"enabled MFA device {self.serial} for you"))
        self.seed = None  # the phone has it now; drop our copy
        self.state.enrollment = None
        self.refresh_bindings()
        self.query_one("#enroll").add_class("hidden")
        self.query_one("#secret", Static).update("")
        self.info(f"MFA is on. Device: {self.serial}", "panel-ok")
        self.mark_done()
        self.set_status("✓ Device enabled.", "ok")
        self.show_buttons("continue")

    def task_failed(self, task: str, error: BaseException) -> bool:
        if task == "enable" and isinstance(error, InvalidAuthenticationCode):
            self.query_one("#code-problem", Static).update(
                "AWS rejected the codes. The device is kept: wait for two new codes in a "
                "row, type them, and press enter again."
            )
            for name in ("#code1", "#code2"):
                self.query_one(name, CodeInput).value = ""
            self.query_one("#code1", CodeInput).focus()
            self.set_status(f"✗ {error.what}", "error")
            return True
        return False
