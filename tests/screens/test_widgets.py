"""The reusable widgets on their own: QR panel sizing, code validation, checklist marks."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Size

from onboard.mfa import codes as mfa
from screens.widgets.checklist import Checklist
from screens.widgets.code_input import CodeInput
from screens.widgets.qr import QrPanel

# A fixed, well-known test seed (RFC 6238 examples use this style): not a real secret.
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
URI = mfa.otpauth_uri(SEED, "new-hire@123456789012")


class QrApp(App[None]):
    def compose(self) -> ComposeResult:
        yield QrPanel(mfa.qr_lines(URI), reserve=(0, 0))


class CodeApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CodeInput(mfa.validate_code, id="code")


class ChecklistApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Checklist()


async def test_qr_panel_draws_the_code_when_it_fits() -> None:
    lines = mfa.qr_lines(URI)
    app = QrApp()
    async with app.run_test(size=(100, 40)) as pilot:
        panel = app.query_one(QrPanel)
        assert panel.fits(Size(100, 40))
        await pilot.pause()
        assert panel.size == Size(len(lines[0]), len(lines))
        assert not panel.has_class("-too-small")


async def test_qr_panel_says_when_the_terminal_is_too_small() -> None:
    app = QrApp()
    async with app.run_test(size=(30, 12)) as pilot:
        await pilot.pause()
        panel = app.query_one(QrPanel)
        assert panel.has_class("-too-small")
        text = str(panel.render())
        assert "30x12" in text
        assert "press ctrl+s" in text
        # It names what is short, so the user knows which way to enlarge the window.
        assert "columns and" in text and "rows" in text


async def test_code_input_reports_letters_with_the_core_message() -> None:
    app = CodeApp()
    async with app.run_test() as pilot:
        code = app.query_one(CodeInput)
        code.focus()
        await pilot.press("1", "2", "a", "b", "c", "4", "enter")
        await pilot.pause()
        result = code.validate(code.value)
        assert result is not None and not result.is_valid
        assert result.failure_descriptions == [mfa.validate_code("12abc4")]
        assert code.has_class("-invalid")


async def test_code_input_accepts_a_spaced_code() -> None:
    app = CodeApp()
    async with app.run_test() as pilot:
        code = app.query_one(CodeInput)
        code.focus()
        await pilot.press(*"123 456")
        assert code.code == "123456"
        result = code.validate(code.value)
        assert result is not None and result.is_valid


async def test_checklist_marks_each_state() -> None:
    app = ChecklistApp()
    async with app.run_test():
        checklist = app.query_one(Checklist)
        checklist.show("sshkey", done={"identity", "mfa"}, failed={"session"})
        assert checklist.mark("identity") == "done"
        assert checklist.mark("session") == "failed"
        assert checklist.mark("sshkey") == "current"
        assert checklist.mark("done") == "pending"
        assert "▶ 4. SSH key" in checklist.render_steps()
