"""Pilot tests and a snapshot of the audit screen against the `org` sandbox."""

from __future__ import annotations

import contextlib
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static
from textual.worker import WorkerFailed

from onboard.audit.run import AuditOptions
from onboard.sandbox.account import Sandbox
from onboard.sandbox.seed_org import AUDIT_ROLE
from screens.audit import AuditApp, AuditScreen, UserDoctor

SIZE = (130, 40)


def _app(sandbox: Sandbox) -> AuditApp:
    return AuditApp(sandbox.settings(), AuditOptions(org=True, role_name=AUDIT_ROLE))


async def _settle(pilot: Pilot[Any]) -> None:
    with contextlib.suppress(WorkerFailed):
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _text(screen: AuditScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_summary_table_filter_sort_and_doctor(org_sandbox: Sandbox) -> None:
    app = _app(org_sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await _settle(pilot)
        screen = app.audit_screen
        assert app.screen is screen and screen.result is not None
        assert _text(screen, "#audit-status") == (
            "2007 users in 3 account(s): 65 cannot use git, 21 without MFA enforced "
            "(problems found)"
        )
        summary = _text(screen, "#audit-summary")
        assert "150 users cannot use git over HTTPS Git credentials or SSH" in summary
        assert "40 users have a stale MFA device" in summary
        table = screen.query_one(DataTable)
        assert table.row_count == 2007

        screen.query_one(Input).value = "stale-mfa-device"
        await pilot.pause()
        assert table.row_count == 40
        assert {table.get_row_at(i)[1] for i in range(40)} == {
            f"dev-{n:04d}" for n in range(1601, 1641)
        }

        screen.query_one(Input).value = "legacy"  # a group name filters too
        await pilot.pause()
        assert table.row_count == 150
        table.focus()
        await pilot.press("s")  # sort by the HTTPS helper verdict, then account and user
        await pilot.pause()
        column = [table.get_row_at(i)[2] for i in range(table.row_count)]
        assert column == sorted(column)

        # Enter on a user of another account: said, not opened.
        table.move_cursor(row=0)
        await pilot.pause()
        detail = _text(screen, "#audit-detail")
        assert (
            "ssh: denied — arn:aws:iam::222222222222:policy/ForceMFALegacy Statement[3]" in detail
        )
        assert "Fix git-denied: `onboard policy fix`" in detail
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen

        screen.query_one(Input).value = "helpdesk"
        await pilot.pause()
        assert table.row_count == 1
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await pilot.pause()
        doctor = app.screen
        assert isinstance(doctor, UserDoctor)
        assert doctor.query_one("#doctor-user", Input).value == "helpdesk"
        await _settle(pilot)
        assert "helpdesk" in str(doctor.query_one("#doctor-status", Static).render()) or (
            doctor.last_run is not None
        )
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


def test_audit_screen_snapshot(snap_compare: Any, org_sandbox: Sandbox) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        pilot.app.audit_screen.query_one(Input).value = "dev-18"
        await pilot.pause()
        pilot.app.audit_screen.query_one(DataTable).focus()
        await pilot.pause()

    assert snap_compare(_app(org_sandbox), terminal_size=SIZE, run_before=before)
