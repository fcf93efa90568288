"""Steps 1-2 against the sandbox: who you are, MFA enrollment and every bad code."""

from __future__ import annotations

import time

from textual.widgets import Button, Static

from onboard.aws.gateway import Gateway
from onboard.settings import Settings
from screens.app import OnboardApp
from screens.mfa import MfaScreen
from screens.modals import ConfirmModal
from screens.widgets.checklist import Checklist
from screens.widgets.code_input import CodeInput
from screens.widgets.qr import QrPanel

from .conftest import StartSandbox, codes_for, make_app, settle
from .flow import to_mfa, type_codes


def text_of(app: OnboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_identity_shows_user_account_and_source(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        who = text_of(app, "#who")
        assert sandbox.new_hire.arn in who
        assert "123456789012" in who
        assert app.screen.query_one(Checklist).mark("identity") == "done"
        assert app.screen.query_one(Checklist).mark("mfa") == "pending"
        assert "identity" in app.state.done
        assert not app.screen.query_one("#continue", Button).disabled


async def test_no_credentials_gets_a_clear_screen(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    bare = Settings(
        endpoint_url=sandbox.endpoint_url,
        region=sandbox.region,
        home=sandbox.settings().home,
        environ={"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"},
    )
    app = OnboardApp(bare, banner="SANDBOX")
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        who = text_of(app, "#who")
        assert who.startswith("No AWS credentials")
        assert "Next:" in who
        assert "identity" in app.state.failed
        assert app.screen.query_one("#continue", Button).disabled
        await pilot.press("enter")  # nothing to continue to
        assert app.screen.id == "step-identity"


async def test_enrollment_with_two_good_codes_enables_the_device(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        assert "“new-hire”" in text_of(app, "#mfa-info")
        await pilot.press("enter")  # create
        await settle(pilot)
        assert screen.seed is not None and screen.serial is not None
        assert screen.serial.endswith(":mfa/new-hire")
        qr = screen.query_one(QrPanel)
        assert qr.lines and not qr.has_class("-too-small")
        await type_codes(pilot, screen, *codes_for(screen.seed, time.time()))
        assert screen.enabled
        assert screen.seed is None  # forgotten once the phone has it
        assert app.state.mfa_serial == screen.serial
        assert "mfa" in app.state.done
        devices = Gateway.from_settings(sandbox.settings()).list_mfa_devices("new-hire")
        assert [d.serial for d in devices] == [screen.serial]


async def test_bad_codes_are_explained_before_aws_is_asked(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    # The local checks read this clock: frozen while the codes below are judged, so a
    # 30-second step ending mid-test cannot turn "150 seconds fast" into 120.
    frozen: list[float] = []
    app = make_app(sandbox, clock=lambda: frozen[0] if frozen else time.time())
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.seed is not None
        now = time.time()
        frozen.append(now)
        good1, good2 = codes_for(screen.seed, now)

        await type_codes(pilot, screen, "12ab56", good2)
        assert "has letters" in text_of(app, "#code-problem")

        await type_codes(pilot, screen, good2, good2)
        assert "Both codes are the same" in text_of(app, "#code-problem")

        await type_codes(pilot, screen, good2, good1)
        assert "wrong order" in text_of(app, "#code-problem")

        fast1, fast2 = codes_for(screen.seed, now, offset_steps=5)
        await type_codes(pilot, screen, fast1, fast2)
        assert "about 150 seconds fast" in text_of(app, "#code-problem")

        await type_codes(pilot, screen, "000000", "111111")
        assert "match" in text_of(app, "#code-problem")

        # None of these reached AWS: the device is still unassigned.
        assert not screen.enabled
        gateway = Gateway.from_settings(sandbox.settings())
        assert gateway.list_mfa_devices("new-hire") == []

        # ...and the same device can still be enabled afterwards.
        frozen.clear()
        await type_codes(pilot, screen, *codes_for(screen.seed, time.time()))
        assert screen.enabled


async def test_letters_in_the_first_code_are_flagged_at_once_and_focus_stays(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        first = screen.query_one("#code1", CodeInput)
        assert app.focused is first
        await pilot.press(*"12ab56", "enter")
        await pilot.pause()
        assert "The first code '12ab56' has letters: codes are 6 digits." in text_of(
            app, "#code-problem"
        )
        assert app.focused is first  # the user fixes it where they typed it
        # A bad *second* code puts the cursor in the second field.
        assert screen.seed is not None
        good1, _ = codes_for(screen.seed, time.time())
        await type_codes(pilot, screen, good1, "12345")
        assert text_of(app, "#code-problem") == (
            "The second code '12345' has 5 digits: codes are 6 digits."
        )
        assert app.focused is screen.query_one("#code2", CodeInput)


async def test_leaving_mid_enrollment_asks_and_says_what_stays(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        serial, seed = screen.serial, screen.seed
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert "unassigned" in app.screen.detail
        await pilot.press("escape")  # "Stay"
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("enter")  # a reflex enter answers the safe way: stay
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        await pilot.click("#yes")
        await settle(pilot)
        assert app.screen.id == "step-identity"
        # Coming back in the same run resumes the same device: no stale device, no new one.
        await pilot.press("enter")
        await settle(pilot)
        back = app.screen
        assert isinstance(back, MfaScreen) and back is not screen
        assert (back.serial, back.seed) == (serial, seed)
        assert not back.query_one("#enroll").has_class("hidden")
        assert seed is not None
        await type_codes(pilot, back, *codes_for(seed, time.time()))
        assert back.enabled
        assert app.state.quit_warning() == ""


async def test_stale_device_is_explained_with_the_helpdesk_command(
    start_sandbox: StartSandbox,
) -> None:
    sandbox = start_sandbox("stale-device")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await to_mfa(app, pilot)
        info = text_of(app, "#mfa-info")
        assert "never enabled" in info
        command = "onboard doctor --user new-hire \\\n      --delete-stale-device arn:aws:iam::"
        assert command in info
        assert "aws iam delete-virtual-mfa-device \\\n      --serial-number arn:aws:iam::" in info
        assert screen.query_one("#create", Button).has_class("hidden")
        assert "mfa" in app.state.failed
        # The helpdesk deletes it; r checks again and enrollment can start.
        helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
        helpdesk.delete_virtual_mfa_device(sandbox.mfa_serial)
        await pilot.press("r")
        await settle(pilot)
        assert not screen.query_one("#create", Button).has_class("hidden")


async def test_small_terminal_says_the_qr_code_does_not_fit(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await to_mfa(app, pilot)
        await pilot.press("enter")
        await settle(pilot)
        qr = screen.query_one(QrPanel)
        assert qr.has_class("-too-small")
        message = str(qr.render())
        assert "80x24" in message
        assert "needs at least 31 rows;" in message  # wide enough: only the height is short
        await pilot.press("ctrl+s")
        await pilot.pause()
        secret = screen.query_one("#secret", Static)
        assert not secret.has_class("hidden")
        # The secret is scrolled into view, not revealed below the bottom edge.
        await pilot.pause()
        body = screen.query_one("#body")
        assert secret.region.y + secret.region.height <= body.region.y + body.region.height
        assert secret.region.y >= body.region.y


async def test_a_role_or_expired_credentials_get_their_own_screen(
    start_sandbox: StartSandbox,
) -> None:
    from onboard.aws.errors import ExpiredCredentials
    from onboard.aws.models import CallerIdentity
    from onboard.walkthrough.steps import Facts
    from screens.identity import Found, IdentityScreen

    sandbox = start_sandbox("fresh")
    app = make_app(sandbox)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, IdentityScreen)
        role = CallerIdentity(
            account="123456789012",
            arn="arn:aws:sts::123456789012:assumed-role/Admin/alice",
            user_id="AROAEXAMPLE:alice",
            user_name=None,
            principal_type="assumed-role",
            credential_source="sso",
        )
        gateway = Gateway.from_settings(sandbox.settings())
        screen.task_done("whoami", Found(gateway, role, Facts(identity_ok=True)))
        await pilot.pause()
        who = text_of(app, "#who")
        assert "not an IAM user" in who
        assert "--profile" in who
        assert "identity" in app.state.failed

        expired = ExpiredCredentials(
            "your session has expired", "the SSO token ran out", "run `aws sso login`"
        )
        assert screen.task_failed("whoami", expired)
        await pilot.pause()
        who = text_of(app, "#who")
        assert who.startswith("Expired credentials")
        assert "aws sso login" in who
