"""App-wide behaviour: help, doctor/resync navigation, the one error modal, quitting."""

from __future__ import annotations

import argparse

from textual.widgets import Static

from screens.app import OnboardApp, run_app
from screens.doctor import DoctorScreen
from screens.modals import ConfirmModal, ErrorModal, HelpModal
from screens.resync import ResyncScreen

from .conftest import StartSandbox, make_app, settle
from .flow import to_mfa


async def test_help_shows_keys_and_the_step_help(start_sandbox: StartSandbox) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        assert "IAM *user*" in app.screen.step_help
        await pilot.press("f1")  # a second press does not stack another dialog
        await pilot.pause()
        assert sum(isinstance(s, HelpModal) for s in app.screen_stack) == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "step-identity"


async def test_doctor_and_resync_open_once_and_escape_returns(
    start_sandbox: StartSandbox,
) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+d")
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(app.screen, DoctorScreen)
        assert sum(isinstance(s, DoctorScreen) for s in app.screen_stack) == 1
        # It says what it is: a title bar of its own over the walkthrough.
        from textual.widgets import Header

        assert app.screen.query_one(Header)
        assert app.screen.title == "Doctor"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "step-identity"
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(app.screen, ResyncScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "step-identity"


async def test_command_palette_lists_tools_and_steps(start_sandbox: StartSandbox) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {"Doctor", "Resync MFA", "Help", "Step 2: MFA device"} <= set(commands)
        commands["Step 2: MFA device"].callback()  # type: ignore[call-arg]
        await settle(pilot)
        assert app.screen.id == "step-mfa"


async def test_every_worker_failure_reaches_the_error_modal(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        sandbox.faults.inject("server-error", count=-1, service="iam")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.next_step  # what / why / next
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "step-mfa"
        status = str(app.screen.query_one("#status", Static).render())
        assert status.startswith("✗")


async def test_double_enter_does_not_create_two_devices(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter", "enter", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorModal)  # no EntityAlreadyExists
        assert screen.serial is not None


async def test_quit_mid_enrollment_asks_first(start_sandbox: StartSandbox) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "name stays taken" in app.screen.detail
        await pilot.click("#yes")
        await pilot.pause()
    assert app.return_code == 0


async def test_quit_from_another_step_still_warns_about_the_half_enrolled_device(
    start_sandbox: StartSandbox,
) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#yes")  # back to step 1; the device is kept for this run
        await settle(pilot)
        assert app.screen.id == "step-identity"
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "name stays taken" in app.screen.detail
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "step-identity"
        assert app.is_running
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code is None
        await pilot.press("ctrl+c")  # pressed again at the question: quit, as terminals do
        await pilot.pause()
        assert app.return_code == 0


async def test_ctrl_c_quits_cleanly_when_nothing_is_half_done(
    start_sandbox: StartSandbox,
) -> None:
    app = make_app(start_sandbox("fresh"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0


def test_run_app_stops_the_sandbox_it_started(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: dict[str, object] = {}

    def fake_run(self: OnboardApp) -> int:
        seen["banner"] = self.sub_title
        seen["endpoint"] = self.settings.endpoint_url
        return 0

    monkeypatch.setattr(OnboardApp, "run", fake_run)
    args = argparse.Namespace(profile=None, region=None, sandbox=True, scenario="fresh")
    assert run_app(args) == 0
    assert str(seen["banner"]).startswith("SANDBOX (fresh) · home ")
    assert str(seen["endpoint"]).startswith("http://127.0.0.1:")
    # The sandbox was stopped: another one can start in this process.
    from onboard.sandbox.account import Sandbox

    Sandbox.start("fresh", git=False).stop()
