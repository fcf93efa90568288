"""How `onboard audit` reaches its screen: the launcher, and the app's wiring."""

from __future__ import annotations

from typing import Any

from screens.audit import AuditApp


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
