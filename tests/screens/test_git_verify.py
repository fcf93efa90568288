"""Steps 5-7 against the sandbox, and the whole walkthrough end to end with real git."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import RadioButton, Static

from onboard.aws.gateway import Gateway
from onboard.git.config import configure_credential_helper
from onboard.walkthrough.steps import https_helper_configured
from screens.app import OnboardApp
from screens.done import DoneScreen
from screens.git import GitScreen
from screens.modals import ConfirmModal, SecretModal
from screens.verify import VerifyScreen
from screens.widgets.checklist import Checklist

from .conftest import StartSandbox, make_app, settle
from .flow import to_git_step, to_ssh_step


def text_of(app: OnboardApp, selector: str) -> str:
    """A Static's text; rich renderables (the summary's grid) are printed wide, unwrapped."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return content
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def through_git(app: OnboardApp, pilot, sandbox, method: str) -> None:  # type: ignore[no-untyped-def]
    """Enroll, get a session, skip the key (unless ssh), configure `method`; ends on Verify."""
    await to_ssh_step(app, pilot, sandbox)
    if method == "ssh":
        app.screen.query_one("#keys").focus()
        await pilot.press("g")
        await settle(pilot)
        assert app.state.ssh_key_id is not None
        await pilot.press("enter")
    else:
        await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, GitScreen)
    if method == "ssh":  # a key set up in step 4 makes SSH the recommendation
        ssh = app.screen.query_one("#m-ssh", RadioButton)
        assert ssh.value and "recommended" in str(ssh.label)
    app.screen.query_one(f"#m-{method}", RadioButton).value = True
    await pilot.press("ctrl+s")
    await settle(pilot)
    if isinstance(app.screen, ConfirmModal):  # a method the policy denies: asked first
        await pilot.press("y")
        await settle(pilot)
    assert app.state.git_method == method
    if isinstance(app.screen, SecretModal):  # HTTPS Git credentials: shown once
        await pilot.click("#close")
        await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, VerifyScreen)


def git(env: dict[str, str], *args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(
        ["git", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.e2e
async def test_whole_walkthrough_then_clone_commit_push(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await through_git(app, pilot, sandbox, "https-helper")
        assert "✓ git ls-remote" in text_of(app, "#live")
        assert "refs/heads/main" in text_of(app, "#live")
        assert "verify" in app.state.done
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        # Step 4 was skipped for HTTPS: the checklist says so, not "still to do" (·).
        checklist = app.screen.query_one(Checklist)
        assert checklist.mark("sshkey") == "skipped"
        assert [checklist.mark(step) for step in ("identity", "mfa", "session", "git")] == [
            "done"
        ] * 4
        assert "– 4. " in text_of(app, "Checklist") and "· 4. " not in text_of(app, "Checklist")
        summary = text_of(app, "#summary")
        assert "created the virtual MFA device arn:aws:iam::123456789012:mfa/new-hire" in summary
        assert "credential helper" in summary
        assert "  • created the virtual MFA device" in summary  # a bullet per change
        clone = text_of(app, "#clone")
        assert "git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo" in clone
        # In a sandbox, say how a shell runs it (the env file) and that Finish removes it.
        env_file = app.state.env_file
        assert env_file is not None and env_file.stat().st_mode & 0o777 == 0o600
        assert "ONBOARD_HELPDESK" not in env_file.read_text()  # the admin's keys stay out
        assert f"env $(cat {env_file}) git clone https://git-codecommit" in clone
        assert "Finish stops the sandbox" in clone
        shell_clone = subprocess.run(
            [
                "sh",
                "-c",
                f"cd {tmp_path} && env $(cat {env_file}) GIT_TERMINAL_PROMPT=0 "
                f"git clone {app.state.clone_url} from-shell",
            ],
            env={"PATH": os.environ["PATH"]},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shell_clone.returncode == 0, shell_clone.stderr
        assert (tmp_path / "from-shell" / ".git").is_dir()
        assert "onboard doctor --user new-hire" in text_of(app, "#help")
        assert set(app.state.done) >= {"identity", "mfa", "session", "git", "verify", "done"}
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 0
    assert https_helper_configured(sandbox.home)

    # What the summary promised works from a plain shell in that home.
    env = sandbox.settings().env()
    env.update(
        GIT_AUTHOR_NAME="New Hire",
        GIT_AUTHOR_EMAIL="new-hire@example.com",
        GIT_COMMITTER_NAME="New Hire",
        GIT_COMMITTER_EMAIL="new-hire@example.com",
        GIT_TERMINAL_PROMPT="0",
    )
    url = app.state.clone_url
    assert url is not None
    work = tmp_path / "my-repo"
    git(env, "clone", url, str(work))
    (work / "hello.txt").write_text("first change\n")
    git(env, "add", "hello.txt", cwd=work)
    git(env, "commit", "-m", "first change", cwd=work)
    git(env, "push", "origin", "HEAD:main", cwd=work)
    remote = git(env, "ls-remote", url, "refs/heads/main").split()[0]
    assert remote == git(env, "rev-parse", "HEAD", cwd=work).strip()


@pytest.mark.e2e
async def test_ssh_method_verifies_with_a_live_ls_remote(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await through_git(app, pilot, sandbox, "ssh")
        live = text_of(app, "#live")
        assert "✓ git ls-remote ssh://git-codecommit.us-east-1.amazonaws.com" in live, live
        assert "verify" in app.state.done


@pytest.mark.e2e
async def test_breaks_git_policy_fails_verify_with_the_next_step(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await through_git(app, pilot, sandbox, "https-helper")
        live = text_of(app, "#live")
        assert "✗ git ls-remote" in live
        assert "403" in live
        assert "ctrl+d for the doctor" in live
        assert "verify" in app.state.failed
        # What to ask the administrator is on the screen, one key away.
        assert "Ask your administrator to apply the patch to ForceMFA (press a)" in text_of(
            app, "#policy"
        )


async def test_rerun_resumes_after_what_is_done(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("onboarded")
    # An earlier run configured the helper (the sandbox's own git redirect stays).
    configure_credential_helper(sandbox.settings().env())
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert "Already done before" in text_of(app, "#status")
        assert {"identity", "mfa", "session", "sshkey", "git"} <= app.state.done
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "step-verify"
        assert app.state.git_method == "https-helper"
        assert "✓ git ls-remote https://git-codecommit" in text_of(app, "#live")
        # Without this run's MFA session the policy is unreadable: say how to get one.
        policy = text_of(app, "#policy")
        assert "onboard doctor --user new-hire" in policy
        assert "Step 3: MFA session" in policy


@pytest.mark.e2e
async def test_https_git_credentials_are_shown_once_and_work(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)
        app.screen.query_one("#m-https-git-credentials", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SecretModal)
        labels = [label for label, _ in app.screen.lines]
        assert labels == ["User name", "Password"]
        assert app.screen.lines[0][1] == "new-hire-at-123456789012"
        password = app.screen.lines[1][1]
        await pilot.click("#close")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "✓ git ls-remote https://" in text_of(app, "#live")
        # The password is in git's store only, never in onboard's summary.
        assert all(password not in change.description for change in app.state.changes)


@pytest.mark.e2e
async def test_breaks_git_works_with_git_remote_codecommit_and_the_saved_session(
    start_sandbox: StartSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed article's broken policy: only requests carrying MFA get through."""
    import os
    import sys

    venv_bin = str(Path(sys.executable).parent)  # git-remote-codecommit and aws live here
    monkeypatch.setenv("PATH", venv_bin + os.pathsep + os.environ.get("PATH", ""))
    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox, save=True)  # no SSH key
        assert isinstance(app.screen, GitScreen)
        app.screen.query_one("#m-grc", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.clone_url == "codecommit::us-east-1://default-mfa@my-repo"
        await pilot.press("enter")
        await settle(pilot)
        live = text_of(app, "#live")
        assert "✓ git ls-remote codecommit::" in live, live
        assert "verify" in app.state.done


@pytest.mark.e2e
async def test_the_whole_walkthrough_works_at_80x24(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await through_git(app, pilot, sandbox, "ssh")
        assert "verify" in app.state.done
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)


@pytest.mark.e2e
async def test_git_choices_fit_80x24_and_a_repeat_does_not_create_more_credentials(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_git_step(app, pilot, sandbox)  # no SSH key
        assert isinstance(app.screen, GitScreen)
        # Every label, "recommended" included, fits the width left at 80x24.
        for button in app.screen.query(RadioButton):
            label = str(button.label)
            assert len(label) + 4 <= button.content_region.width, label
        recommended = app.screen.query_one("#m-https-helper", RadioButton)
        assert "recommended" in str(recommended.label) and recommended.value
        assert "all four methods are allowed" in text_of(app, "#git-info")
        assert "HTTPS with the AWS CLI credential helper" in text_of(app, "#method-about")

        app.screen.query_one("#m-https-git-credentials", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SecretModal)
        await pilot.click("#close")
        await pilot.pause()
        await pilot.press("ctrl+s")  # again, same method and repository
        await settle(pilot)
        assert not isinstance(app.screen, SecretModal)
        assert "Already set up" in text_of(app, "#status")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    assert len(helpdesk.list_service_specific_credentials("new-hire")) == 1


@pytest.mark.e2e
async def test_grc_without_a_saved_session_says_to_save_it_and_then_works(
    start_sandbox: StartSandbox,
) -> None:
    """breaks-git: the engine allows grc *with* the MFA session; an unsaved one is not used."""
    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)  # session not saved, no SSH key
        assert isinstance(app.screen, GitScreen)
        grc = app.screen.query_one("#m-grc", RadioButton)
        assert grc.value  # the only method the policy allows: recommended
        assert "save it as a profile in step 3" in text_of(app, "#method-about")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        live = text_of(app, "#live")
        assert "✗ git ls-remote codecommit::us-east-1://my-repo" in live
        assert "signed with your access key, without MFA" in live
        # Do what it says: save the session, configure git again, verify.
        app.goto("session")
        await settle(pilot)
        await pilot.click("#save-now")
        await settle(pilot)
        app.goto("git")
        await settle(pilot)
        app.screen.query_one("#m-grc", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.clone_url == "codecommit::us-east-1://default-mfa@my-repo"
        await pilot.press("enter")
        await settle(pilot)
        assert "✓ git ls-remote codecommit::" in text_of(app, "#live")
