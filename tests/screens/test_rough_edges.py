"""The rough edges found in tmux: code inputs, help, checkbox, labels, SSH focus, fold."""

from __future__ import annotations

from textual.widgets import Button, RadioButton, Static

from screens.modals import HelpModal
from screens.widgets.code_input import CodeInput
from screens.widgets.tick_box import TickBox

from .conftest import StartSandbox, make_app, settle
from .flow import to_git_step, to_mfa


async def test_code_inputs_drop_blanks_and_move_on_after_six_digits(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = screen.query_one("#code1", CodeInput)
        second = screen.query_one("#code2", CodeInput)
        first.focus()
        await pilot.press("space", "1", "2", "3", "space", "4", "5", "6")
        await pilot.pause()
        assert first.value == "123456"
        assert second.has_focus  # a 7th key goes to the second code
        await pilot.press("7")
        assert first.value == "123456" and second.value == "7"
        # A paste with blanks around it keeps its digits.
        second.value = ""
        second.insert_text_at_cursor(" 654 321 \n".strip("\n"))
        await pilot.pause()
        assert second.value == "654321" and second.code == "654321"


async def test_help_scrolls_to_its_close_button_at_80x24(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpModal)
        close = app.screen.query_one("#close", Button)
        region = close.region
        assert region.height > 0 and region.bottom <= 24  # visible, not cut off
        assert "sandbox.env" in str(app.screen.query_one("Markdown").source)  # type: ignore[attr-defined]
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.max_scroll_y > 0  # the text is longer than the dialog: it scrolls
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y


def test_unticked_box_is_empty() -> None:
    from screens.widgets.tick_box import Choice

    box = TickBox("Save it", value=False)
    assert box.BUTTON_INNER == " "
    box.value = True
    assert box.BUTTON_INNER == "✓"
    choice = Choice("SSH key")
    assert choice.BUTTON_INNER == " "
    choice.value = True
    assert choice.BUTTON_INNER == "●"


async def test_method_notes_do_not_repeat_the_title(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)
        for method in ("ssh", "grc", "https-helper", "https-git-credentials"):
            app.screen.query_one(f"#m-{method}", RadioButton).value = True
            await pilot.pause()
            about = str(app.screen.query_one("#method-about", Static).content)
            title, _, note = about.partition(": ")
            words = [w for w in title.replace("(", " ").replace(")", " ").split() if len(w) > 4]
            first_line = note.splitlines()[0]
            assert not any(w in first_line for w in words if w not in ("HTTPS",)), about


async def test_private_key_without_pub_is_derived_with_d(start_sandbox: StartSandbox) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from .flow import to_ssh_step

    sandbox = start_sandbox("fresh")
    ssh_dir = sandbox.home.ssh_dir
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    private = ssh_dir / "codecommit_rsa"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        info = str(app.screen.query_one("#ssh-info", Static).content)
        assert "codecommit_rsa has no codecommit_rsa.pub beside it: press d" in info
        assert "generate a new key named codecommit_rsa_2" in info
        assert app.screen.query_one("#path").has_focus  # no usable key: typing a path works
        await pilot.press("g")  # typed into the field, not a key generated
        assert app.screen.query_one("#path").value == "g"  # type: ignore[attr-defined]
        app.screen.query_one("#path").value = ""  # type: ignore[attr-defined]
        app.screen.query_one("#upload").focus()
        await pilot.press("d")
        await settle(pilot)
        public = private.with_name("codecommit_rsa.pub")
        assert public.read_text().startswith("ssh-rsa ")
        assert app.state.ssh_key_id is not None
        assert app.state.ssh_identity_file == private


async def test_ssh_step_says_ssh_is_denied_before_upload(start_sandbox: StartSandbox) -> None:
    from .flow import to_ssh_step

    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        denied = app.screen.query_one("#ssh-denied", Static)
        assert denied.display
        text = str(denied.content)
        assert text.startswith("Your policy denies git over SSH: denied: codecommit:GitPull")
        assert "ForceMFA Statement[3]" in text
        assert app.state.ssh_key_id is None  # nothing uploaded yet


async def test_both_git_credential_slots_used_offers_a_reset(start_sandbox: StartSandbox) -> None:
    from onboard.aws.gateway import Gateway
    from screens.modals import ConfirmModal, SecretModal

    sandbox = start_sandbox("onboarded")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    helpdesk.create_service_specific_credential("new-hire")  # the second and last slot
    assert len(helpdesk.list_service_specific_credentials("new-hire")) == 2
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.goto("session")
        await settle(pilot)
        code_input = app.screen.query_one("#code", CodeInput)
        code_input.value = sandbox.totp_now(sandbox.mfa_serial)
        code_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.session is not None
        app.goto("git")
        await settle(pilot)
        app.screen.query_one("#m-https-git-credentials", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmModal)
        assert question.question == "Both Git-credential slots are used"
        assert "It gets a new password, shown once and given to git" in question.detail
        await pilot.press("y")
        await settle(pilot)
        secret = app.screen
        assert isinstance(secret, SecretModal)
        assert secret.copyable is not None
        assert "(c copies it)" in secret.note
        assert secret.query_one("#copy", Button)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.state.git_method == "https-git-credentials"
        assert any(
            "reset the password of HTTPS Git credentials" in c.description
            for c in app.state.changes
        )
    assert len(helpdesk.list_service_specific_credentials("new-hire")) == 2  # no third


def visible_in_body(app: object, selector: str) -> bool:
    screen = app.screen  # type: ignore[attr-defined]
    body = screen.query_one("#body").content_region
    region = screen.query_one(selector).region
    return bool(region.height) and region.y >= body.y and region.bottom <= body.bottom


async def test_qr_code_is_drawn_only_when_every_row_is_on_screen(
    start_sandbox: StartSandbox,
) -> None:
    from screens.widgets.qr import QrPanel

    sandbox = start_sandbox("fresh")
    for size, drawn in (((100, 32), False), ((100, 40), True)):
        app = make_app(sandbox)
        async with app.run_test(size=size) as pilot:
            screen = await to_mfa(app, pilot)
            await pilot.press("enter")
            await settle(pilot)
            qr = screen.query_one(QrPanel)
            assert qr.has_class("-too-small") is not drawn, size
            if drawn:  # the last module row and the quiet zone below it are on screen
                assert qr.region.height == len(qr.lines)
                assert visible_in_body(app, "#qr")
            else:
                assert f"this terminal is {size[0]}x{size[1]}" in str(qr.render())
                assert "press ctrl+s for the secret" in str(qr.render())
            assert visible_in_body(app, "#status")
            await pilot.press("escape")
            await settle(pilot)
        # A fresh device per size: drop the one this run created.
        from onboard.aws.gateway import Gateway

        admin = Gateway.from_settings(sandbox.helpdesk_settings())
        admin.delete_virtual_mfa_device(sandbox.mfa_serial)


async def test_git_step_buttons_and_status_are_on_screen_at_32_rows(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("breaks-git")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 32)) as pilot:
        await to_git_step(app, pilot, sandbox, save=True)
        await pilot.pause(0.5)  # the scroll follows the layout of the verdict's height
        assert visible_in_body(app, "#apply")
        assert visible_in_body(app, "#status")
        assert app.screen.query_one("#method").has_focus


async def test_missing_tool_is_said_before_configuring_and_clears_once_installed(
    start_sandbox: StartSandbox,
) -> None:
    import os
    import sys
    from pathlib import Path

    from onboard.walkthrough.steps import https_helper_configured

    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    settings = app.state.settings
    environ = dict(settings.environ or {})
    with_tools = environ["PATH"]
    environ["PATH"] = os.pathsep.join(("/usr/bin", "/bin"))  # git and ssh, no aws
    app.state.settings = settings.replace(environ=environ)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)
        helper = app.screen.query_one("#m-https-helper", RadioButton)
        assert "no aws CLI" in str(helper.label)
        helper.value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        result = str(app.screen.query_one("#git-result", Static).content)
        assert "`aws` is not installed (not on the PATH git uses)" in result
        assert "install it: pip install awscli" in result
        assert app.state.git_method is None
        assert not https_helper_configured(sandbox.home)  # nothing was written
        # Installed meanwhile: the hint goes and the method is configured.
        assert Path(sys.executable).parent.joinpath("aws").exists()
        environ["PATH"] = with_tools
        app.state.settings = settings.replace(environ=environ)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.state.git_method == "https-helper"
        assert "no aws CLI" not in str(helper.label)


async def test_a_quick_enter_keeps_the_recommended_method(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_git_step(app, pilot, sandbox)
        screen = app.screen
        recommended = screen.recommended  # type: ignore[attr-defined]
        assert recommended == "https-helper"
        assert screen.query_one("#method").has_focus
        await pilot.press("enter")  # the highlighted button is the pre-selected one
        await pilot.pause()
        assert screen.chosen_method() == recommended  # type: ignore[attr-defined]
        assert "recommended" in str(screen.query_one(f"#m-{recommended}", RadioButton).label)


def test_exit_summary_keeps_changes_clone_and_the_half_enrolled_warning() -> None:
    from onboard.walkthrough.exit_summary import exit_summary
    from onboard.walkthrough.steps import Change

    text = exit_summary(
        [Change("account", "created the virtual MFA device arn:aws:iam::1:mfa/new-hire")],
        clone="git clone https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r r",
        admin=None,
        warning="The MFA device arn:aws:iam::1:mfa/new-hire was created but is not enabled.",
    )
    assert text.startswith("onboard: what this run did\nOn your AWS account:\n  • created")
    assert "Get your code:\n  git clone https://git-codecommit" in text
    assert "Warning: The MFA device arn:aws:iam::1:mfa/new-hire was created but is not" in text
    assert "If git stops working: onboard doctor" in text
