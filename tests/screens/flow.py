"""Drive the walkthrough through its steps in Pilot tests (shared by several test files)."""

from __future__ import annotations

import time

from textual.pilot import Pilot

from onboard.sandbox.account import Sandbox
from screens.app import OnboardApp
from screens.mfa import MfaScreen
from screens.widgets.code_input import CodeInput

from .conftest import codes_for, settle


async def to_mfa(app: OnboardApp, pilot: Pilot[object]) -> MfaScreen:
    """From start-up to the MFA screen (fresh account)."""
    await settle(pilot)
    assert app.screen.id == "step-identity"
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, MfaScreen)
    return app.screen


async def type_codes(pilot: Pilot[object], screen: MfaScreen, first: str, second: str) -> None:
    """Type two codes into the enrollment form and submit."""
    screen.query_one("#code1", CodeInput).value = first
    screen.query_one("#code2", CodeInput).value = second
    screen.query_one("#code2", CodeInput).focus()
    await pilot.press("enter")
    await settle(pilot)


async def enroll(app: OnboardApp, pilot: Pilot[object]) -> str:
    """Create and enable the device; returns its serial. Ends on the MFA screen."""
    screen = await to_mfa(app, pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert screen.seed is not None and screen.serial is not None
    await type_codes(pilot, screen, *codes_for(screen.seed, time.time()))
    assert screen.enabled
    return screen.serial


async def session(
    app: OnboardApp, pilot: Pilot[object], sandbox: Sandbox, serial: str, *, save: bool = False
) -> None:
    """From the MFA screen (device enabled): continue and get an MFA session."""
    from textual.widgets import Checkbox

    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.id == "step-session"
    if save:
        app.screen.query_one("#save", Checkbox).value = True
    code_input = app.screen.query_one("#code", CodeInput)
    # The next step's code: the enable used the current one, and each code works once.
    code_input.value = sandbox.totp_now(serial, at=time.time() + 30)
    code_input.focus()
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.session is not None


async def to_ssh_step(
    app: OnboardApp, pilot: Pilot[object], sandbox: Sandbox, *, save: bool = False
) -> str:
    """Enroll, get a session, and continue to the SSH key step; returns the serial."""
    serial = await enroll(app, pilot)
    await session(app, pilot, sandbox, serial, save=save)
    await pilot.press("enter")
    await settle(pilot)
    assert app.screen.id == "step-sshkey"
    return serial


async def to_git_step(
    app: OnboardApp, pilot: Pilot[object], sandbox: Sandbox, *, save: bool = False
) -> str:
    """As `to_ssh_step`, then skip the SSH key (HTTPS methods); returns the serial."""
    serial = await to_ssh_step(app, pilot, sandbox, save=save)
    await pilot.press("ctrl+s")
    await settle(pilot)
    return serial
