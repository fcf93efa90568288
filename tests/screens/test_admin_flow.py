"""breaks-git in the app: the admin request from Git, Verify and Done; honest choices."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import RadioButton, Static

from onboard.git.config import HELPER_KEY
from screens.done import DoneScreen
from screens.git import GitScreen
from screens.modals import ConfirmModal
from screens.verify import VerifyScreen
from screens.widgets.admin_request import AdminRequestModal

from .conftest import StartSandbox, make_app, settle
from .flow import to_git_step


def panel(screen: object, selector: str) -> str:
    widget = screen.query_one(selector, Static)  # type: ignore[attr-defined]
    return str(widget.content)


def global_helpers(env: dict[str, str]) -> list[str]:
    result = subprocess.run(
        ["git", "config", "--global", "--get-all", HELPER_KEY],
        env=env,
        capture_output=True,
        text=True,
    )
    return result.stdout.splitlines()


async def test_breaks_git_admin_request_from_git_verify_and_done(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    app.state.save_dir = tmp_path
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox, save=True)
        screen = app.screen
        assert isinstance(screen, GitScreen)
        info = panel(screen, "#git-info")
        assert (
            "Your policy blocks HTTPS with the AWS CLI helper, HTTPS Git credentials, SSH" in info
        )
        assert "ForceMFA Statement[3] (DenyAllExceptListedIfNoMFA)" in info
        assert "git-remote-codecommit works now with your MFA session, until" in info
        # The only allowed method is the one pre-selected.
        assert screen.query_one("#m-grc", RadioButton).value
        # a opens the request; c copies, s saves (path shown), escape closes.
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AdminRequestModal)
        text = panel(modal, "#admin-text")
        assert "arn:aws:iam::123456789012:user/new-hire" in text
        assert "```diff" in text and "Least-privilege variant" in text
        assert "onboard policy check ForceMFA-fixed.json" in text
        await pilot.press("s")
        await pilot.pause()
        saved = tmp_path / "onboard-admin-request-new-hire.md"
        assert saved.read_text() == modal.request.markdown()
        assert f"Saved as {saved}" in panel(modal, "#admin-saved")
        await pilot.press("escape")
        await settle(pilot)
        assert app.state.admin_saved == saved
        # Configuring a denied method asks first, saying why, and the safe answer is focused.
        screen.query_one("#m-https-helper", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert "Your policy denies AWS CLI helper (HTTPS)" in question.detail
        assert "explicitly denied by ForceMFA Statement[3]" in question.detail
        await pilot.press("enter")  # "Choose another" has the focus
        await settle(pilot)
        assert app.screen is screen and app.state.git_method is None
        assert global_helpers(sandbox.settings().env()) == []
        # git-remote-codecommit works: configure it and verify.
        screen.query_one("#m-grc", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.git_method == "grc"
        await pilot.press("enter")
        await settle(pilot)
        verify = app.screen
        assert isinstance(verify, VerifyScreen)
        assert "Your policy blocks" in panel(verify, "#policy")
        assert "✓ git ls-remote" in panel(verify, "#live"), panel(verify, "#live")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AdminRequestModal)
        await pilot.press("escape")
        await pilot.press("enter")
        await settle(pilot)
        done = app.screen
        assert isinstance(done, DoneScreen)
        assert "Ask your administrator" in panel(done, "#admin")
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AdminRequestModal)
        await pilot.press("escape")
        await pilot.pause()
    summary = app.exit_summary()
    assert "Your policy blocks" in summary and "(press a)" not in summary
    assert f"The request is saved in {saved}" in summary
    assert "onboard policy check ForceMFA-fixed.json" in summary
    assert "git clone codecommit::us-east-1://default-mfa@my-repo my-repo" in summary


async def test_switching_method_removes_the_previous_helper(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    env = sandbox.settings().env()
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox, save=True)
        screen = app.screen
        assert isinstance(screen, GitScreen)
        screen.query_one("#m-https-helper", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.git_method == "https-helper"
        assert any("credential-helper" in h for h in global_helpers(env))
        screen.query_one("#m-grc", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.git_method == "grc"
        assert global_helpers(env) == []  # the AWS CLI helper is gone
        backup = sandbox.home.gitconfig.with_name(".gitconfig.onboard-backup")
        assert backup.exists()  # the backup rule: <file>.onboard-backup beside it
        assert any(
            "removed the AWS CLI helper (HTTPS) settings" in c.description
            for c in app.state.changes
        )
