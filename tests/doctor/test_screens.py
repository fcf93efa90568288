"""Pilot tests of the doctor and resync screens against the sandbox."""

from __future__ import annotations

import contextlib
import time

from textual.app import App
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerFailed

from onboard.sandbox.account import Sandbox
from onboard.settings import Settings
from screens.doctor import DoctorScreen
from screens.resync import ResyncScreen

from .conftest import self_settings, set_up_https_helper


class Host(App[None]):
    """A bare app that opens one screen (the real app adds navigation)."""

    def __init__(self, screen_factory: type[DoctorScreen] | type[ResyncScreen], settings: Settings):
        super().__init__()
        self._factory = screen_factory
        self._settings = settings

    def on_mount(self) -> None:
        self.push_screen(self._factory(self._settings))


async def _wait_workers(app: App[None], pilot: object) -> None:
    # A failed worker is part of what these tests look at: the screen's
    # Worker.StateChanged handler reports it; waiting must not raise it here.
    with contextlib.suppress(WorkerFailed):
        await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_doctor_screen_helpdesk_mode_shows_the_policy_failure() -> None:
    sandbox = Sandbox.start("breaks-git")
    try:
        app = Host(DoctorScreen, self_settings(sandbox))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait_workers(app, pilot)
            screen = app.screen
            assert isinstance(screen, DoctorScreen)
            assert "credentials.identity" in screen.findings
            screen.query_one("#doctor-user", Input).value = "new-hire"
            await pilot.click("#doctor-run")
            await _wait_workers(app, pilot)
            assert screen.findings["policy.verdict"].status == "fail"
            assert "env.git" not in screen.findings  # helpdesk mode: account checks only
            table = screen.query_one(DataTable)
            table.move_cursor(row=table.get_row_index("policy.verdict"))
            await pilot.pause()
            detail = str(screen.query_one("#doctor-detail", Static).render())
            assert "DenyAllExceptListedIfNoMFA" in detail
            status = str(screen.query_one("#doctor-status", Static).render())
            assert "1 failed" in status
            await pilot.press("m")
            assert "onboard doctor report" in str(
                screen.query_one("#doctor-detail", Static).render()
            )
    finally:
        sandbox.stop()


async def test_resync_screen_resyncs_with_consecutive_codes() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        app = Host(ResyncScreen, self_settings(sandbox))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            step = int(time.time()) // 30
            serial = sandbox.mfa_serial
            screen.query_one("#code1", Input).value = "123456"
            screen.query_one("#code2", Input).value = "123456"
            await pilot.click("#resync-go")
            result = screen.query_one("#resync-result", Static)
            assert "same" in str(result.render())
            screen.query_one("#code1", Input).value = sandbox.totp_now(serial, at=(step - 1) * 30)
            screen.query_one("#code2", Input).value = sandbox.totp_now(serial, at=step * 30)
            screen.query_one("#code2", Input).focus()
            await pilot.press("enter")
            await _wait_workers(app, pilot)
            assert "back in sync" in str(result.render())
            await pilot.click("#resync-lost")
            await _wait_workers(app, pilot)
            assert "deactivate-mfa-device" in str(result.render())
    finally:
        sandbox.stop()


async def test_resync_screen_reports_refused_codes() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        app = Host(ResyncScreen, self_settings(sandbox))
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            screen.query_one("#code1", Input).value = "000001"
            screen.query_one("#code2", Input).value = "000002"
            await pilot.click("#resync-go")
            await _wait_workers(app, pilot)
            assert "AWS did not accept the codes" in str(
                screen.query_one("#resync-result", Static).render()
            )
    finally:
        sandbox.stop()


async def _still(pilot: object) -> None:
    app = pilot.app  # type: ignore[attr-defined]
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()  # type: ignore[attr-defined]


def test_resync_screen_snapshot(snap_compare: object) -> None:
    """The resync screen as it opens (no AWS call happens before a button is pressed)."""
    app = Host(ResyncScreen, Settings())
    assert snap_compare(app, terminal_size=(100, 30), run_before=_still)  # type: ignore[operator]


async def test_walkthrough_doctor_reads_the_account_with_the_walkthroughs_session() -> None:
    """ctrl+d in the walkthrough: the doctor uses the MFA session the app holds."""
    from onboard.aws.gateway import Gateway

    sandbox = Sandbox.start("breaks-git")
    try:
        settings = self_settings(sandbox)
        set_up_https_helper(settings)
        gateway = Gateway.from_settings(settings)
        device = gateway.create_virtual_mfa_device("new-hire")
        now = time.time()
        code = lambda offset: sandbox.totp_now(device.serial, now + offset)  # noqa: E731
        gateway.enable_mfa_device("new-hire", device.serial, code(-30), code(0))
        session = gateway.get_session_token(device.serial, code(30))

        class Walkthrough(App[None]):
            def on_mount(self) -> None:
                self.push_screen(DoctorScreen(settings, session=session, repo="my-repo"))

        app = Walkthrough()
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait_workers(app, pilot)
            screen = app.screen
            assert isinstance(screen, DoctorScreen)
            verdict = screen.findings["policy.verdict"]
            assert verdict.status == "fail", verdict  # read with the session, not skipped
            assert "mfa-policy-denies-git" in verdict.causes
            assert screen.findings["live.https-helper"].status == "fail"
            assert screen.last_run is not None and screen.last_run.repo == "my-repo"
    finally:
        sandbox.stop()
