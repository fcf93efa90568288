"""An unexpected error in the TUI: no Textual traceback with locals, a redacted report, exit 70."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from onboard.crash import EXIT_INTERNAL

from .conftest import StartSandbox, make_app, settle


async def test_unexpected_error_writes_a_redacted_report_and_exits_70(
    start_sandbox: StartSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ONBOARD_CRASH_DIR", str(tmp_path / "crashes"))
    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    app = make_app(start_sandbox("fresh"))

    def boom() -> None:
        mfa_seed = seed  # a local a traceback with locals would print
        raise RuntimeError(f"bug while holding the seed {mfa_seed}")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            app.call_later(boom)
            await pilot.pause()
    assert app.return_code == EXIT_INTERNAL
    shown = capsys.readouterr().err.replace("\n", "")  # Textual wraps the line
    assert "internal error (RuntimeError)" in shown and seed not in shown
    assert "Traceback" not in shown and "mfa_seed" not in shown
    (report,) = (tmp_path / "crashes").iterdir()
    assert str(report) in shown
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    text = report.read_text()
    assert "RuntimeError" in text and seed not in text


def test_every_app_reports_crashes_without_locals() -> None:
    from textual.app import App

    from screens.app import OnboardApp
    from screens.audit import AuditApp
    from screens.crash import RedactedCrash

    for app_class in (OnboardApp, AuditApp):
        assert issubclass(app_class, RedactedCrash)
        # The mixin's `_fatal_error` wins over Textual's traceback printer.
        assert app_class._fatal_error is RedactedCrash._fatal_error
        assert App._fatal_error is not RedactedCrash._fatal_error
