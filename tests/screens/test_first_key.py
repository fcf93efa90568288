"""Step 1 from nothing: the administrator's key (CSV of both formats, typed), checked and saved."""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import botocore.session
import pytest
from textual.widgets import Button, Input, Select, Static

from onboard.aws.gateway import Gateway
from onboard.platform import Platform
from onboard.sandbox.account import Sandbox
from onboard.secret import Secret
from onboard.settings import Settings
from screens.app import OnboardApp
from screens.credentials import KeyForm
from screens.modals import ConfirmModal

from .conftest import StartSandbox, settle

ACCESS_KEY_HEADER = "Access key ID,Secret access key"
USER_HEADER = "User name,Password,Access key ID,Secret access key,Console login link"


def bare_app(sandbox: Sandbox) -> OnboardApp:
    """The app on a fresh laptop: the sandbox endpoint, an empty home, no key anywhere."""
    environ = {
        "PATH": str(Path(sys.executable).parent) + os.pathsep + "/usr/bin:/bin",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    settings = Settings(
        endpoint_url=sandbox.endpoint_url,
        region=sandbox.region,
        home=sandbox.home,
        environ=sandbox.home.env(environ),
    )
    return OnboardApp(settings, banner="SANDBOX")


def console_csv(path: Path, rows: list[str], *, bom: bool = True, crlf: bool = True) -> Path:
    """A CSV as the IAM console writes it: UTF-8 with a BOM, Windows line endings."""
    newline = "\r\n" if crlf else "\n"
    text = newline.join(rows) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def access_key_csv(sandbox: Sandbox, path: Path, **kwargs: bool) -> Path:
    hire = sandbox.new_hire
    return console_csv(
        path, [ACCESS_KEY_HEADER, f"{hire.access_key_id},{hire.secret_access_key}"], **kwargs
    )


def form_text(app: OnboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def import_csv(app: OnboardApp, pilot: object, path: str) -> KeyForm:
    """Type the CSV path into step 1's form and check the key."""
    await settle(pilot)  # type: ignore[arg-type]
    form = app.screen.query_one(KeyForm)
    assert not form.has_class("hidden")  # no credentials: the form is offered at once
    field = form.query_one("#csv-path", Input)
    assert app.focused is field
    field.value = path
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    return form


def saved_key(home: Path, profile: str) -> tuple[str, str | None]:
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(home / ".aws" / "config"))
    session.set_config_variable("credentials_file", str(home / ".aws" / "credentials"))
    session.set_config_variable("profile", profile)
    found = session.get_credentials()
    assert found is not None
    return found.access_key, session.get_config_variable("region")


async def test_access_key_csv_to_step_2(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    sandbox = start_sandbox("fresh")
    downloads = sandbox.home.root / "Downloads"
    downloads.mkdir()
    csv = access_key_csv(sandbox, downloads / "new-hire_accessKeys.csv")
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        assert "No AWS credentials on this computer yet" in form_text(app, "#who")
        assert "aws configure" not in form_text(app, "#who")
        form = await import_csv(app, pilot, "~/Downloads/new-hire_accessKeys.csv")
        owner = form_text(app, "#key-owner")
        assert "User     new-hire" in owner and "Account  123456789012" in owner
        assert "the IAM console's access key file" in owner
        assert "CodeCommit repositories in us-east-1" in owner
        assert not sandbox.home.aws_credentials.exists()  # checked, nothing saved yet
        assert form.query_one("#profile-name", Input).value == "default"
        assert form.query_one("#region", Select).value == "us-east-1"
        await pilot.click("#save-key")
        await settle(pilot)
        # The CSV holds the secret in clear: offered for deletion, "Keep" focused.
        assert isinstance(app.screen, ConfirmModal)
        assert app.focused is not None and app.focused.id == "no"
        await pilot.press("y")
        await settle(pilot)
        assert not csv.exists()
        assert app.screen.id == "step-identity"
        assert "new-hire" in form_text(app, "#who")
        assert "identity" in app.state.done
        assert app.state.settings.profile == "default"
        assert stat.S_IMODE(sandbox.home.aws_credentials.stat().st_mode) == 0o600
        assert saved_key(sandbox.home.root, "default") == (
            sandbox.new_hire.access_key_id,
            "us-east-1",
        )
        assert not app.screen.query_one("#continue", Button).disabled
        await pilot.click("#continue")
        await settle(pilot)
        assert app.screen.id == "step-mfa"
        descriptions = [change.description for change in app.state.changes]
        assert any("profile default in ~/.aws/credentials" in d for d in descriptions)
        assert any("deleted ~/Downloads/new-hire_accessKeys.csv" in d for d in descriptions)


@pytest.mark.parametrize(("bom", "crlf"), [(True, True), (False, False), (True, False)])
async def test_user_creation_csv_shows_user_and_keeps_file_if_asked(
    start_sandbox: StartSandbox, tmp_path: Path, bom: bool, crlf: bool
) -> None:
    sandbox = start_sandbox("fresh")
    hire = sandbox.new_hire
    csv = console_csv(
        tmp_path / "credentials.csv",
        [
            USER_HEADER,
            f"new-hire,Initial-Pa55!,{hire.access_key_id},{hire.secret_access_key},"
            "https://123456789012.signin.aws.amazon.com/console?region=eu-west-1",
        ],
        bom=bom,
        crlf=crlf,
    )
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        form = await import_csv(app, pilot, str(csv))
        owner = form_text(app, "#key-owner")
        assert "the IAM console's new-user file" in owner and "User     new-hire" in owner
        # The console link names the region: it comes first, then the repositories' region.
        select = form.query_one("#region", Select)
        assert select.value == "eu-west-1"
        form.query_one("#region", Select).value = "us-east-1"
        await pilot.click("#save-key")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("enter")  # the reflex answer keeps the file
        await settle(pilot)
        assert csv.exists()
        assert "identity" in app.state.done
        credentials = sandbox.home.aws_credentials.read_text()
        assert "Initial-Pa55!" not in credentials  # the console password is never saved


async def test_typed_key_never_shows_the_secret(
    start_sandbox: StartSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = start_sandbox("fresh")
    secret = sandbox.new_hire.secret_access_key
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#src-typed")
        await pilot.pause()
        key_field = app.screen.query_one("#key-id", Input)
        assert app.focused is key_field
        await pilot.press(*sandbox.new_hire.access_key_id, "enter")
        secret_field = app.screen.query_one("#secret", Input)
        assert app.focused is secret_field and secret_field.password
        await pilot.press(*secret)
        drawn = app.export_screenshot()
        assert secret not in drawn and secret[:8] not in drawn
        await pilot.press("enter")
        await settle(pilot)
        assert "typed in" in form_text(app, "#key-owner")
        assert secret not in app.export_screenshot()
        await pilot.click("#save-key")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmModal)  # nothing to delete
        assert "identity" in app.state.done
        assert secret_field.value == ""  # forgotten once saved
        assert secret not in app.export_screenshot()
        assert secret not in repr(app.state)
        summary = app.exit_summary() if hasattr(app, "exit_summary") else ""
        assert secret not in summary
    assert secret not in caplog.text
    # On disk only in the 0600 credentials file.
    for path in sandbox.home.root.rglob("*"):
        if path.is_file() and path != sandbox.home.aws_credentials:
            assert secret.encode() not in path.read_bytes(), path


async def test_invalid_key_gets_aws_reason_and_saves_nothing(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.click("#src-typed")
        app.screen.query_one("#key-id", Input).value = "AKIAUNKNOWNKEY000000"
        app.screen.query_one("#secret", Input).value = sandbox.new_hire.secret_access_key
        await pilot.click("#check-key")
        await settle(pilot)
        problem = form_text(app, "#key-problem")
        assert "AWS does not accept the key AKIAUNKNOWNKEY000000" in problem
        assert "InvalidClientTokenId" in problem  # AWS's own reason
        assert "administrator" in problem
        assert app.screen.query_one("#save-form").has_class("hidden")
        assert not sandbox.home.aws_credentials.exists()
        # Malformed input never reaches AWS.
        app.screen.query_one("#key-id", Input).value = "not-a-key"
        await pilot.click("#check-key")
        await pilot.pause()
        assert "starting with AKIA" in form_text(app, "#key-problem")


async def test_inactive_key_says_what_to_ask_for(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    sandbox = start_sandbox("fresh")
    Gateway.from_settings(sandbox.helpdesk_settings()).client("iam").update_access_key(
        UserName="new-hire", AccessKeyId=sandbox.new_hire.access_key_id, Status="Inactive"
    )
    csv = access_key_csv(sandbox, tmp_path / "k.csv")
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await import_csv(app, pilot, str(csv))
        problem = form_text(app, "#key-problem")
        assert "inactive" in problem and "activate this key" in problem
        assert "identity" not in app.state.done
        assert csv.exists() and not sandbox.home.aws_credentials.exists()


async def test_profile_name_taken(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    sandbox = start_sandbox("fresh")
    other = "[default]\naws_access_key_id = AKIAOTHERJOBKEY00000\naws_secret_access_key = x\n"
    sandbox.home.aws_credentials.write_text(other)
    csv = access_key_csv(sandbox, tmp_path / "k.csv")
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        # [default] is another job's key: boto3 finds it and AWS refuses it.
        await settle(pilot)
        who = form_text(app, "#who")
        assert "No usable AWS credentials" in who and "InvalidClientTokenId" in who
        form = await import_csv(app, pilot, str(csv))
        profile = form.query_one("#profile-name", Input)
        assert profile.value == "new-hire"  # default is taken: the user name
        profile.value = "default"
        await pilot.click("#save-key")
        await settle(pilot)
        assert "already exists" in form_text(app, "#key-problem")
        assert sandbox.home.aws_credentials.read_text() == other
        profile.value = "new-hire"
        await pilot.click("#save-key")
        await settle(pilot)
        await pilot.press("escape")  # keep the CSV
        await settle(pilot)
        assert app.state.settings.profile == "new-hire"
        assert "identity" in app.state.done
        assert sandbox.home.aws_credentials.read_text().startswith(other)
        assert saved_key(sandbox.home.root, "new-hire")[0] == sandbox.new_hire.access_key_id


async def test_use_another_key_when_credentials_work(start_sandbox: StartSandbox) -> None:
    from .conftest import make_app

    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        form = app.screen.query_one(KeyForm)
        assert form.has_class("hidden")  # credentials found: no form in the way
        assert app.focused is not None and app.focused.id == "continue"
        await pilot.press("o")
        await settle(pilot)
        assert not form.has_class("hidden")
        assert app.focused is form.query_one("#csv-path", Input)
        # The walkthrough switches to the saved profile and asks AWS again.
        access_key_csv(sandbox, sandbox.home.root / "k.csv")
        await pilot.press(*"~/k.csv", "enter")
        await settle(pilot)
        form.query_one("#profile-name", Input).value = "work"
        await pilot.click("#save-key")
        await settle(pilot)
        await pilot.press("escape")  # keep the file
        await settle(pilot)
        assert app.state.settings.profile == "work"
        assert app.state.identity is not None
        assert app.state.identity.credential_source == "shared-credentials-file"
        assert form.has_class("hidden") and "identity" in app.state.done


async def test_git_step_without_the_aws_cli_shows_the_install_command(
    start_sandbox: StartSandbox,
) -> None:
    from .flow import to_git_step

    sandbox = start_sandbox("fresh")
    settings = sandbox.settings()
    environ = dict(settings.environ or {})
    environ["PATH"] = "/usr/bin:/bin"  # git and ssh, no AWS CLI (a fresh laptop)
    linux = Platform("linux", "x86_64")
    app = OnboardApp(settings.replace(environ=environ, platform=linux), banner="SANDBOX")
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)
        await settle(pilot)
        assert app.screen.id == "step-git"
        info = form_text(app, "#git-info")
        assert "The AWS CLI credential helper needs the AWS CLI" in info
        assert "awscli-exe-linux-x86_64.zip" in info and "sudo ./aws/install" in info
        assert "aws configure" not in app.export_screenshot()


async def test_keyboard_only_at_80x24(start_sandbox: StartSandbox, tmp_path: Path) -> None:
    sandbox = start_sandbox("fresh")
    csv = access_key_csv(sandbox, sandbox.home.root / "k.csv")
    app = bare_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"~/k.csv", "enter")  # the path field has focus
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "save-key"
        await pilot.press("enter")  # Save as default
        await settle(pilot)
        await pilot.press("enter")  # "Keep" has focus: the reflex keeps the file
        await settle(pilot)
        assert csv.exists()
        assert app.focused is not None and app.focused.id == "continue"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "step-mfa"


def test_a_check_request_never_shows_the_secret_in_a_repr() -> None:
    message = KeyForm.CheckRequested(None, "AKIAIOSFODNN7EXAMPLE", Secret("wJalrXUtnFEMI/K7MDENG"))
    assert "wJalrXUtnFEMI" not in repr(message) and "wJalrXUtnFEMI" not in str(vars(message))
    assert "AKIAIOSFODNN7EXAMPLE" in repr(message)


async def test_a_file_naming_another_user_is_pointed_out(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    sandbox = start_sandbox("fresh")
    hire = sandbox.new_hire
    csv = console_csv(
        tmp_path / "credentials.csv",
        [USER_HEADER, f"bob,pw,{hire.access_key_id},{hire.secret_access_key},"],
    )
    app = bare_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await import_csv(app, pilot, str(csv))
        owner = form_text(app, "#key-owner")
        assert "User     new-hire" in owner
        assert "the file names the user bob: is it yours?" in owner
