"""MFA resync screen: two consecutive codes, checked locally, then ResyncMFADevice."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.validation import Function
from textual.widgets import Button, Footer, Input, Static
from textual.worker import Worker, WorkerState

from onboard.mfa import resync
from onboard.mfa.codes import validate_code
from onboard.settings import Settings

INTRO = (
    "Your MFA codes are refused although you type them right? The device has drifted. "
    "Type the code your app shows now, wait for the next one, and type it too."
)


class ResyncScreen(Screen[None]):
    """Resynchronise the caller's MFA device; explains what to do when it is lost."""

    DEFAULT_CSS = """
    ResyncScreen { align: center top; }
    ResyncScreen #resync-box { width: 80; height: auto; padding: 1 2; }
    ResyncScreen Input { width: 20; }
    ResyncScreen .resync-row { height: auto; }
    ResyncScreen #resync-result { height: auto; padding: 1 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("l", "lost", "Device lost?"),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    @dataclass
    class Resynced(Message):
        """ResyncMFADevice succeeded (posted from the worker thread)."""

        result: resync.ResyncResult

    @dataclass
    class LostHelp(Message):
        """Who can help with a lost device (posted from the worker thread)."""

        lines: list[str]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        code_rule = Function(lambda text: validate_code(text) is None, "6 digits")
        with Vertical(id="resync-box"):
            yield Static(INTRO, markup=False)
            with Horizontal(classes="resync-row"):
                yield Input(placeholder="first code", id="code1", max_length=7,
                            validators=[code_rule])  # fmt: skip
                yield Input(placeholder="next code", id="code2", max_length=7,
                            validators=[code_rule])  # fmt: skip
                yield Button("Resync", id="resync-go", variant="primary")
            yield Static("", id="resync-result", markup=False)
            yield Button("My device is lost", id="resync-lost")
        yield Footer()

    def _say(self, text: str) -> None:
        self.query_one("#resync-result", Static).update(text)

    @on(Button.Pressed, "#resync-go")
    @on(Input.Submitted, "#code2")
    def go(self) -> None:
        first = self.query_one("#code1", Input).value
        second = self.query_one("#code2", Input).value
        for label, code in (("first", first), ("next", second)):
            problem = validate_code(code, f"The {label} code")
            if problem is not None:
                self._say(problem)
                return
        if first.strip() == second.strip():
            self._say("Both codes are the same: wait for the next code, then type that one.")
            return
        self._say("Resyncing…")
        self.run_resync(first, second)

    @work(thread=True, exclusive=True, exit_on_error=False, group="resync")
    def run_resync(self, first: str, second: str) -> None:
        """whoami, pick the device, ResyncMFADevice: in a thread, posting the result."""
        from onboard.aws.gateway import Gateway

        gateway = Gateway.from_settings(self.settings)
        identity = gateway.whoami()
        user = identity.user_name or ""
        serial = resync.device_serial(gateway, user)
        diagnosis = resync.precheck(first, second)
        self.post_message(self.Resynced(resync.resync(gateway, user, serial, first, second,
                                                      diagnosis)))  # fmt: skip

    @on(Resynced)
    def resynced(self, message: Resynced) -> None:
        self._say(f"✓ {message.result.message}")
        self.notify("MFA device resynchronised")

    @on(Button.Pressed, "#resync-lost")
    def lost_pressed(self) -> None:
        self.action_lost()

    def action_lost(self) -> None:
        """Show who can remove a lost device and the commands they run."""
        self.lost_help()

    @work(thread=True, exclusive=True, exit_on_error=False, group="resync-lost")
    def lost_help(self) -> None:
        """Find the user and device (if AWS answers), then post the advice."""
        user, account, serial = "YOUR-USER-NAME", None, None
        try:
            from onboard.aws.gateway import Gateway

            gateway = Gateway.from_settings(self.settings)
            identity = gateway.whoami()
            user, account = identity.user_name or user, identity.account
            devices = gateway.list_mfa_devices(identity.user_name)
            serial = devices[0].serial if len(devices) == 1 else None
        except Exception:  # offline or no credentials: the advice still holds
            pass
        self.post_message(self.LostHelp(resync.lost_device_help(user, serial, account)))

    @on(LostHelp)
    def show_lost_help(self, message: LostHelp) -> None:
        self._say("\n".join(message.lines))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error path of this screen's workers: say it, notify, log."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        error = event.worker.error
        self.log.error(f"resync failed: {type(error).__name__}")
        render = getattr(error, "render", None)
        self._say("✗ " + (render() if callable(render) else str(error)))
        self.notify(str(getattr(error, "what", error)), severity="error")
