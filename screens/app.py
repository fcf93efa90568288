"""OnboardApp: the walkthrough's screens, navigation, bindings and the one error modal."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from onboard.settings import Settings
from onboard.walkthrough.steps import STEP_IDS, StepId, next_step, previous_step, step
from screens.crash import RedactedCrash
from screens.modals import ConfirmModal, ErrorModal, HelpModal
from screens.state import RunState
from screens.step import StepScreen

Clock = Callable[[], float]


# step -> (module, class): each screen is imported when first shown, so start-up
# does not pay for the SSH, git and policy modules of later steps.
STEP_SCREENS: dict[StepId, tuple[str, str]] = {
    "identity": ("screens.identity", "IdentityScreen"),
    "mfa": ("screens.mfa", "MfaScreen"),
    "session": ("screens.session", "SessionScreen"),
    "sshkey": ("screens.sshkey", "SshKeyScreen"),
    "git": ("screens.git", "GitScreen"),
    "verify": ("screens.verify", "VerifyScreen"),
    "done": ("screens.done", "DoneScreen"),
}


def step_screen(step_id: StepId) -> StepScreen:
    """A new screen for one step."""
    module_name, class_name = STEP_SCREENS[step_id]
    screen_class = getattr(importlib.import_module(module_name), class_name)
    screen = screen_class()
    assert isinstance(screen, StepScreen)
    return screen


class OnboardApp(RedactedCrash, App[int]):
    """The walkthrough: seven steps from an access key to working git."""

    CSS_PATH = "onboard.tcss"
    TITLE = "onboard"
    SUB_TITLE = "AWS CodeCommit with MFA"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "quit", "Quit", priority=True, show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False, priority=True),
        # Priority: a focused Input would take ctrl+d as "delete right".
        Binding("ctrl+d", "doctor", "Doctor", priority=True),
        Binding("ctrl+r", "resync", "Resync MFA", show=False, priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        banner: str | None = None,
        clock: Clock = time.time,
    ) -> None:
        super().__init__()
        self.state = RunState(settings)
        self.clock = clock
        if banner:
            self.sub_title = banner

    @property
    def settings(self) -> Settings:
        return self.state.settings

    def on_mount(self) -> None:
        if self.settings.sandbox:
            # A shell can use the sandbox while the app runs: `env $(cat FILE) git ...`.
            from onboard.walkthrough.sandbox_env import write_env_file

            self.state.env_file = write_env_file(self.settings)
        self.push_screen(step_screen("identity"))

    def exit_summary(self) -> str:
        """What the terminal keeps after the app exits (printed by `run_app`)."""
        from onboard.walkthrough.exit_summary import exit_summary
        from onboard.walkthrough.steps import clone_command

        state = self.state
        clone = (
            clone_command(state.clone_url, state.repo) if state.clone_url and state.repo else None
        )
        return exit_summary(
            state.changes,
            clone=clone,
            admin=state.admin_request,
            admin_saved=state.admin_saved,
            warning=state.quit_warning(),
            sandbox=self.settings.sandbox,
        )

    # -- navigation --------------------------------------------------------

    def goto(self, step_id: StepId) -> None:
        """Show a step; a second press while it is already shown does nothing."""
        current = self.screen
        if isinstance(current, StepScreen) and step_id == current.STEP:
            return
        if not isinstance(current, StepScreen):
            return  # a dialog is open: it decides first
        self.switch_screen(step_screen(step_id))

    def go_next(self, from_step: StepId) -> None:
        """Forward to the first step after `from_step` that is not done yet."""
        target = next_step(from_step)
        while target in self.state.done and target not in ("verify", "done"):
            target = next_step(target)
        self.goto(target)

    def go_back(self, from_step: StepId) -> None:
        if from_step != "identity":
            self.goto(previous_step(from_step))

    # -- errors --------------------------------------------------------------

    def show_error(self, error: BaseException) -> None:
        """The one place a failure becomes a dialog (what / why / next step)."""
        if isinstance(self.screen, ErrorModal):
            return
        self.push_screen(ErrorModal.from_error(error))

    # -- actions -------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpModal):
            return
        step_help = self.screen.HELP if isinstance(self.screen, StepScreen) else ""
        self.push_screen(HelpModal(step_help, env_file=self.state.env_file))

    async def action_quit(self) -> None:
        """Quit; mid-enrollment, first say what would be left behind."""
        warning = self.state.quit_warning()
        if not warning or getattr(self.screen, "quit_question", False):
            self.exit(0)  # nothing half done, or ctrl+c pressed again at the question
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.exit(0)

        question = ConfirmModal("Quit now?", warning, yes="Quit", no="Stay")
        question.quit_question = True
        self.push_screen(question, answered)

    def _push_tool(self, module_name: str, class_name: str, command: str, **extra: object) -> None:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            self.notify(f"Not available in this build: run `{command}` instead.")
            return
        screen_class = getattr(module, class_name)
        if isinstance(self.screen, screen_class):
            return
        self.push_screen(screen_class(self.settings, **extra))

    def action_doctor(self) -> None:
        """Open the doctor (the helpdesk's checks for 'git stopped working')."""
        # The doctor reads the account with the MFA session this walkthrough holds.
        self._push_tool("screens.doctor", "DoctorScreen", "onboard doctor",
                        session=self.state.session, repo=self.state.repo)  # fmt: skip

    def action_resync(self) -> None:
        """Open MFA resync (for a device whose codes drifted)."""
        self._push_tool("screens.resync", "ResyncScreen", "onboard mfa resync")

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Doctor", "Diagnose why git does not work", self.action_doctor)
        yield SystemCommand("Resync MFA", "Fix an MFA device whose codes drift", self.action_resync)
        yield SystemCommand("Help", "Keys and what onboard does", self.action_help)
        for number, step_id in enumerate(STEP_IDS, start=1):
            yield SystemCommand(
                f"Step {number}: {step(step_id).title}",
                step(step_id).purpose,
                lambda step_id=step_id: self.goto(step_id),
            )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings for a run against a real account (profile/region as given)."""
    return Settings(profile=args.profile, region=args.region)


def run_app(args: argparse.Namespace) -> int:
    """Start the walkthrough (against the embedded sandbox with `--sandbox`)."""
    if not getattr(args, "sandbox", False):
        app = OnboardApp(settings_from_args(args))
        code = app.run() or app.return_code or 0
        print_summary(app)
        return code
    from onboard.sandbox.account import Sandbox

    sandbox = Sandbox.start(args.scenario)
    try:
        settings = sandbox.settings()
        banner = f"SANDBOX ({args.scenario}) · home {settings.home.root}"
        app = OnboardApp(settings, banner=banner)
        code = app.run() or app.return_code or 0
    finally:
        sandbox.stop()
    print_summary(app)
    return code


def print_summary(app: OnboardApp) -> None:
    """Leave the run's summary in the terminal once the screen is gone."""
    if app.state.identity is None:
        return  # it never got past start-up: nothing happened worth keeping
    sys.stdout.write(app.exit_summary())
    sys.stdout.flush()
