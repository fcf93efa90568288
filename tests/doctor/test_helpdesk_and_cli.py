"""Helpdesk actions against the sandbox, and `onboard doctor` end to end."""

from __future__ import annotations

import json

import pytest

from onboard.aws.gateway import Gateway
from onboard.cli import main
from onboard.doctor import helpdesk
from onboard.errors import InvalidInput
from onboard.runtime import helpdesk_settings
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings

from .conftest import helpdesk as helpdesk_of


def test_delete_stale_device_is_confirmed_and_printed_as_aws_cli() -> None:
    sandbox = Sandbox.start("stale-device")
    try:
        gateway = Gateway.from_settings(helpdesk_of(sandbox))
        actions = helpdesk.delete_stale_device(gateway, "new-hire")
        serial = "arn:aws:iam::123456789012:mfa/new-hire"
        assert [a.cli_command for a in actions] == [
            f"aws iam delete-virtual-mfa-device --serial-number {serial}"
        ]
        declined = helpdesk.apply(actions, gateway, lambda action: False)
        assert [r.done for r in declined] == [False]
        assert len(gateway.list_virtual_mfa_devices("Unassigned")) == 1
        done = helpdesk.apply(actions, gateway, lambda action: True)
        assert [r.done for r in done] == [True]
        assert gateway.list_virtual_mfa_devices("Unassigned") == []
        with pytest.raises(InvalidInput):
            helpdesk.delete_stale_device(gateway, "new-hire")
    finally:
        sandbox.stop()


def test_onboarded_user_actions() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        gateway = Gateway.from_settings(helpdesk_of(sandbox))
        key_id = sandbox.seeded.ssh_key_id
        assert key_id is not None
        with pytest.raises(InvalidInput, match="not an SSH key of new-hire"):
            helpdesk.deactivate_ssh_key(gateway, "new-hire", "APKANOTTHEKEY0000000")
        deactivate = helpdesk.deactivate_ssh_key(gateway, "new-hire", key_id)
        assert deactivate.cli_command.endswith(f"--ssh-public-key-id {key_id} --status Inactive")
        helpdesk.apply([deactivate], gateway, lambda a: True)
        assert gateway.get_ssh_public_key("new-hire", key_id).status == "Inactive"
        delete = helpdesk.delete_ssh_key(gateway, "new-hire", key_id)
        helpdesk.apply([delete], gateway, lambda a: True)
        assert gateway.list_ssh_public_keys("new-hire") == []

        old_password = sandbox.git_password
        reset = helpdesk.reset_git_credentials(gateway, "new-hire", None)
        assert "reset-service-specific-credential" in reset.cli_command
        (result,) = helpdesk.apply([reset], gateway, lambda a: True)
        assert result.secret and result.secret.password != old_password
        assert result.secret.username == sandbox.git_username
        assert result.secret.password not in repr(result)

        with pytest.raises(InvalidInput, match="not an MFA device of new-hire"):
            helpdesk.deactivate_mfa_device(gateway, "new-hire", "arn:aws:iam::1:mfa/x")
        lost = helpdesk.deactivate_mfa_device(gateway, "new-hire", sandbox.mfa_serial)
        helpdesk.apply([lost], gateway, lambda a: True)
        assert gateway.list_mfa_devices("new-hire") == []
    finally:
        sandbox.stop()


def test_helpdesk_settings_use_the_helpdesk_keys() -> None:
    base = Settings(
        profile="dev",
        environ={
            "AWS_ACCESS_KEY_ID": "AKIAUSER",
            "AWS_SESSION_TOKEN": "tok",
            "ONBOARD_HELPDESK_ACCESS_KEY_ID": "AKIAHELP",
            "ONBOARD_HELPDESK_SECRET_ACCESS_KEY": "secret",
        },
    )
    settings = helpdesk_settings(base)
    assert settings.profile is None
    assert settings.environ is not None
    assert settings.environ["AWS_ACCESS_KEY_ID"] == "AKIAHELP"
    assert "AWS_SESSION_TOKEN" not in settings.environ
    untouched = Settings(profile="helpdesk", environ={})
    assert helpdesk_settings(untouched) is untouched


def test_doctor_cli_helpdesk_json_with_action(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--sandbox",
            "--scenario",
            "stale-device",
            "doctor",
            "--user",
            "new-hire",
            "--delete-stale-device",
            "--yes",
            "--json",
        ]
    )
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert document["mode"] == "helpdesk"
    assert document["actions"][0]["action"] == "delete-stale-device"
    assert document["actions"][0]["done"] is True
    assert document["actions"][0]["aws_cli"].startswith("aws iam delete-virtual-mfa-device")
    stale = next(f for f in document["findings"] if f["id"] == "mfa.stale_device")
    assert stale["status"] == "ok"  # checked after the action ran
    assert code == document["exit_code"]
    assert "aws iam delete-virtual-mfa-device" in captured.err


def test_doctor_cli_breaks_git_markdown_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["--sandbox", "--scenario", "breaks-git", "doctor", "--user", "new-hire", "--markdown"]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "| ❌ | `policy.verdict` |" in out
    assert "DenyAllExceptListedIfNoMFA" in out


def test_doctor_cli_refuses_actions_without_user_or_confirmation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["doctor", "--delete-ssh-key", "APKAX"]) == 3
    assert "need --user" in capsys.readouterr().err
    code = main(
        [
            "--sandbox",
            "--scenario",
            "stale-device",
            "doctor",
            "--user",
            "new-hire",
            "--delete-stale-device",
            "--json",
        ]
    )
    assert code == 3
    assert "--yes" in capsys.readouterr().err


def _recording_sandboxes(monkeypatch: pytest.MonkeyPatch) -> list[Sandbox]:
    started: list[Sandbox] = []
    original = Sandbox.start

    def recording_start(scenario: str = "fresh", **kwargs: object) -> Sandbox:
        sandbox = original(scenario, **kwargs)  # type: ignore[arg-type]
        started.append(sandbox)
        return sandbox

    monkeypatch.setattr(Sandbox, "start", recording_start)
    return started


RESET = ["--sandbox", "--scenario", "onboarded", "doctor", "--user", "new-hire"]


def test_reset_with_json_is_refused_before_anything_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _recording_sandboxes(monkeypatch)
    code = main([*RESET, "--reset-git-credentials", "--yes", "--json"])
    err = capsys.readouterr().err
    assert code == 3
    assert "--show-secret" in err and "Traceback" not in err
    assert started == []  # refused before the account was touched
    assert main([*RESET, "--show-secret"]) == 3
    assert "--show-secret goes with --json" in capsys.readouterr().err


def test_reset_with_json_and_show_secret_puts_it_in_the_action_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _recording_sandboxes(monkeypatch)
    main([*RESET, "--reset-git-credentials", "--yes", "--json", "--show-secret", "--only", "mfa."])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    (action,) = document["actions"]
    (sandbox,) = started
    assert action["done"] is True
    assert action["secret"]["username"] == sandbox.git_username
    password = action["secret"]["password"]
    assert password and password != sandbox.git_password
    assert captured.out.count(password) == 1  # in the action's secret, nowhere else
    assert "do not paste it" in captured.err and password not in captured.err


def test_reset_without_json_shows_the_password_on_the_terminal_not_the_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _recording_sandboxes(monkeypatch)
    main([*RESET, "--reset-git-credentials", "--yes", "--markdown", "--only", "account."])
    captured = capsys.readouterr()
    (sandbox,) = started
    line = next(x for x in captured.err.splitlines() if "shown once" in x)
    password = line.rsplit("password ", 1)[1].strip()
    assert password and password != sandbox.git_password
    assert password not in captured.out
    assert "reset-service-specific-credential" in captured.err


def test_doctor_json_never_contains_the_secret_keys(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Sandbox] = []
    original = Sandbox.start

    def recording_start(scenario: str = "fresh", **kwargs: object) -> Sandbox:
        sandbox = original(scenario, **kwargs)  # type: ignore[arg-type]
        started.append(sandbox)
        return sandbox

    monkeypatch.setattr(Sandbox, "start", recording_start)
    main(["--sandbox", "--scenario", "onboarded", "doctor", "--json", "--only", "credentials."])
    out = capsys.readouterr().out
    assert json.loads(out)["findings"]
    (sandbox,) = started
    for secret in (sandbox.new_hire.secret_access_key, sandbox.helpdesk.secret_access_key):
        assert secret not in out
