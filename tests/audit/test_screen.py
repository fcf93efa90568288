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


def test_onboard_audit_on_a_terminal_opens_the_screen(monkeypatch: Any) -> None:
    import argparse
    import sys

    from onboard.cli import main
    from screens import entry

    opened: list[argparse.Namespace] = []
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["audit", "--group", "devs"], launch_tui=lambda a: opened.append(a) or 7) == 7
    assert opened[0].tui == "audit" and opened[0].group == ["devs"]
    # The console script hands it to the audit screen (not the walkthrough).
    monkeypatch.setattr("screens.audit.run_audit_app", lambda args: 5)
    assert entry.launch_tui(argparse.Namespace(tui="audit")) == 5


def test_run_audit_app_wires_the_sandbox_and_options(monkeypatch: Any) -> None:
    import argparse

    from screens import audit as screen_module

    seen: list[AuditApp] = []
    monkeypatch.setattr(AuditApp, "run", lambda self: seen.append(self))
    args = argparse.Namespace(
        sandbox=True, scenario="fresh", profile=None, region=None, repo="my-repo", org=False,
        role_name=None, keys=False, max_concurrency=4, audit_profiles=[], user=["new-hire"],
        group=[],
    )  # fmt: skip
    assert screen_module.run_audit_app(args) == 0  # the screen never ran: no result, exit 0
    (app,) = seen
    assert app.audit_screen.options.users == ("new-hire",)
    assert app.audit_screen.settings.sandbox and app.sub_title == "SANDBOX (fresh)"
