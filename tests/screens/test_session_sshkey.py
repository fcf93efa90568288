"""Steps 3-4 against the sandbox: MFA session, SSH keys and their bad inputs."""

from __future__ import annotations

import stat
import subprocess
import time

from textual.widgets import OptionList, Static

from onboard.aws.gateway import Gateway
from onboard.walkthrough.steps import ssh_config_key_id
from screens.app import OnboardApp
from screens.widgets.code_input import CodeInput

from .conftest import StartSandbox, codes_for, make_app, settle
from .flow import enroll, session, to_mfa, to_ssh_step, type_codes


def text_of(app: OnboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_session_saved_as_profile_with_private_permissions(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        serial = await enroll(app, pilot)
        await session(app, pilot, sandbox, serial, save=True)
        credentials = sandbox.home.aws_credentials
        assert "[default-mfa]" in credentials.read_text()
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        info = text_of(app, "#session-info")
        assert "valid until" in info
        assert "Saved as profile “default-mfa” in ~/.aws/credentials" in info
        # The form is done with: no code field, checkbox or Skip left to confuse.
        assert app.screen.query_one("#session-form").has_class("hidden")
        assert app.screen.query_one("#skip").has_class("hidden")
        assert app.screen.check_action("skip", ()) is False
        assert "session" in app.state.done
        saved = [c.description for c in app.state.changes if "default-mfa" in c.description]
        assert saved and "(expires 20" in saved[0]  # the summary shows the expiry too
        # The session really carries MFA: the upload that needs it now works.
        assert app.state.mfa_gateway is not None
        assert app.state.mfa_gateway.list_ssh_public_keys("new-hire") == []


async def test_a_wrong_session_code_is_explained(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await enroll(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        code_input = app.screen.query_one("#code", CodeInput)
        # The form is laid out, not collapsed: the user can see where to type.
        assert code_input.region.height == 3
        assert app.screen.query_one("#save").region.height == 3
        assert app.focused is code_input
        code_input.value = "12x456"
        code_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "has letters" in text_of(app, "#code-problem")
        code_input.value = "000000"
        await pilot.press("enter")
        await settle(pilot)
        assert "did not accept this code" in text_of(app, "#code-problem")
        assert app.state.session is None


async def test_retyping_an_enable_code_is_caught_before_aws(start_sandbox: StartSandbox) -> None:
    """New hires type the code that just enabled the device again: AWS takes it once."""
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.seed is not None and screen.serial is not None
        first, second = codes_for(screen.seed, time.time())
        await type_codes(pilot, screen, first, second)
        assert screen.enabled
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "step-session"
        # Were either code sent, this fault would answer instead of the local check.
        sandbox.faults.inject("server-error", count=-1, service="sts")
        code_input = app.screen.query_one("#code", CodeInput)
        for typed, which in ((second, "second"), (f" {first[:3]} {first[3:]}", "first")):
            code_input.value = typed
            code_input.focus()
            await pilot.press("enter")
            await settle(pilot)
            assert text_of(app, "#code-problem") == (
                f"{typed.replace(' ', '')} was already used: it is the {which} code that "
                "enabled your device, and AWS takes each code only once. Wait for your app "
                "to show the next code (up to 30 s) and type that one."
            )
            assert app.state.session is None
            assert code_input.value == ""  # cleared for the retry
            assert app.focused is code_input
        sandbox.faults.clear()
        # The retry with the next code works.
        code_input.value = sandbox.totp_now(screen.serial, at=time.time() + 30)
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.session is not None
        assert "session" in app.state.done


async def test_aws_rejecting_the_codes_keeps_the_device_for_a_retry(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.seed is not None
        serial = screen.serial
        # AWS 7 minutes ahead: its window (10 steps) misses our codes; signatures still pass.
        sandbox.set_clock_offset(420)
        await type_codes(pilot, screen, *codes_for(screen.seed, time.time()))
        assert "AWS rejected the codes" in text_of(app, "#code-problem")
        assert not screen.enabled
        sandbox.set_clock_offset(0)
        await type_codes(pilot, screen, *codes_for(screen.seed, time.time() + 30))
        assert screen.enabled
        assert screen.serial == serial  # the same device, not a new one


async def test_upload_without_mfa_session_is_denied_and_explained(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await enroll(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("ctrl+s")  # skip the session
        await settle(pilot)
        assert app.screen.id == "step-sshkey"
        app.screen.query_one(OptionList).focus()
        await pilot.press("g")
        await settle(pilot)
        problem = text_of(app, "#key-problem")
        assert "only with an MFA session" in problem
        assert "step 3" in problem
        assert app.state.ssh_key_id is None
        gateway = Gateway.from_settings(sandbox.helpdesk_settings())
        assert gateway.list_ssh_public_keys("new-hire") == []


async def test_unusable_keys_are_listed_and_a_private_key_is_refused(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    ssh_dir = sandbox.home.ssh_dir
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh_dir / "id_ed25519")],
        check=True,
    )
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        options = app.screen.query_one("#keys", OptionList)
        assert options.option_count == 1
        option = options.get_option_at_index(0)
        assert option.disabled
        assert "IAM does not accept this type (ed25519)" in str(option.prompt)

        path_input = app.screen.query_one("#path")
        path_input.value = str(ssh_dir / "id_ed25519")  # type: ignore[attr-defined]
        path_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "PRIVATE" in text_of(app, "#key-problem").upper()

        path_input.value = str(ssh_dir / "id_ed25519.pub")  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert "IAM does not accept this type" in text_of(app, "#key-problem")
        assert app.state.ssh_key_id is None


async def test_generated_key_is_uploaded_and_written_to_ssh_config(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    sandbox.home.ssh_config.write_text("Host github.com\n  User git\n")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        app.screen.query_one("#keys", OptionList).focus()
        await pilot.press("g")
        await settle(pilot)
        key_id = app.state.ssh_key_id
        assert key_id is not None and key_id.startswith("APKA")
        assert ssh_config_key_id(sandbox.home) == key_id
        config = sandbox.home.ssh_config.read_text()
        assert "Host github.com\n  User git\n" in config  # the user's own lines stay
        assert "IdentitiesOnly yes" in config
        assert (sandbox.home.ssh_dir / "codecommit_rsa").is_file()
        uploaded = Gateway.from_settings(sandbox.helpdesk_settings()).list_ssh_public_keys(
            "new-hire"
        )
        assert [key.key_id for key in uploaded] == [key_id]
        assert "sshkey" in app.state.done
        # Done: "g" is gone from the footer and does nothing (no second key).
        assert app.screen.check_action("generate", ()) is False
        await pilot.press("g")
        await settle(pilot)
        again = Gateway.from_settings(sandbox.helpdesk_settings()).list_ssh_public_keys("new-hire")
        assert [key.key_id for key in again] == [key_id]


async def test_a_typed_tilde_path_is_read_from_the_sandbox_home(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    key = sandbox.home.ssh_dir / "work_rsa"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", str(key)], check=True
    )
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        path = app.screen.query_one("#path")
        path.value = "~/.ssh/work_rsa.pub"  # type: ignore[attr-defined]
        path.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.ssh_identity_file == key
        assert app.state.ssh_key_id is not None


async def test_five_key_limit_offers_to_remove_the_oldest(start_sandbox: StartSandbox) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from screens.modals import ConfirmModal

    sandbox = start_sandbox("fresh")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    for _ in range(5):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        body = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        helpdesk.upload_ssh_public_key("new-hire", body.decode())
    before = {k.key_id for k in helpdesk.list_ssh_public_keys("new-hire")}
    assert len(before) == 5
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        app.screen.query_one("#keys", OptionList).focus()
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "at most 5 SSH public keys" in app.screen.detail
        await pilot.click("#yes")
        await settle(pilot)
        assert app.state.ssh_key_id is not None
    after = {k.key_id for k in helpdesk.list_ssh_public_keys("new-hire")}
    assert len(after) == 5
    assert len(before - after) == 1  # exactly one old key made room
    assert app.state.ssh_key_id in after


async def test_ssh_choices_fit_inside_80x24(start_sandbox: StartSandbox) -> None:
    """No button or field runs past the right edge in the smallest supported terminal."""
    from textual.widgets import Button, Input

    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await to_ssh_step(app, pilot, sandbox)
        right_edge = app.screen.query_one("#body").content_region.right
        for widget in [*app.screen.query("#pick Button"), *app.screen.query("#pick Input")]:
            assert isinstance(widget, Button | Input)
            assert widget.region.right <= right_edge, widget.id


async def test_a_session_got_without_saving_can_be_saved_afterwards(
    start_sandbox: StartSandbox,
) -> None:
    """E.g. for git-remote-codecommit, which needs the session as a profile."""
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        serial = await enroll(app, pilot)
        await session(app, pilot, sandbox, serial)
        assert "not saved" in text_of(app, "#session-info")
        assert not sandbox.home.aws_credentials.exists()
        await pilot.click("#save-now")
        await settle(pilot)
        assert "[default-mfa]" in sandbox.home.aws_credentials.read_text()
        assert app.state.session_profile == "default-mfa"
        assert "Saved as profile “default-mfa”" in text_of(app, "#session-info")
        assert app.screen.query_one("#save-now").has_class("hidden")
