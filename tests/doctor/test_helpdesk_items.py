"""Helpdesk mode: unknown users, the lost-device flow, status levels and fixes, the report."""

from __future__ import annotations

import json

import pytest

from onboard.aws.gateway import Gateway
from onboard.cli import main
from onboard.doctor import helpdesk
from onboard.doctor.checks import DoctorContext, run_checks
from onboard.sandbox.account import Sandbox

from .conftest import helpdesk as helpdesk_of
from .conftest import self_settings

NOBODY = ["--sandbox", "doctor", "--user", "nobody"]


@pytest.mark.parametrize("output", ["", "--json", "--markdown"])
def test_unknown_user_is_exit_1_naming_nosuchentity(
    output: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*NOBODY, *([output] if output else [])])
    out = capsys.readouterr().out
    assert code == 1
    assert "NoSuchEntity" in out and "nobody" in out
    if output == "--json":
        document = json.loads(out)
        user = next(f for f in document["findings"] if f["id"] == "account.user")
        assert user["status"] == "fail" and document["exit_code"] == 1


def test_unknown_user_with_an_action_changes_nothing_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main([*NOBODY, "--delete-ssh-key", "APKAEXAMPLE000000000", "--yes"])
    captured = capsys.readouterr()
    assert code == 1
    assert "no action taken" in captured.err and "Traceback" not in captured.err


def test_lost_device_is_deactivated_and_deleted_in_one_confirmed_action() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        gateway = Gateway.from_settings(helpdesk_of(sandbox))
        serial = sandbox.mfa_serial
        lost = helpdesk.deactivate_mfa_device(gateway, "new-hire", serial)
        assert lost.cli_command == (
            f"aws iam deactivate-mfa-device --user-name new-hire --serial-number {serial} && "
            f"aws iam delete-virtual-mfa-device --serial-number {serial}"
        )
        asked: list[str] = []
        helpdesk.apply([lost], gateway, lambda a: asked.append(a.name) or True)
        assert asked == ["deactivate-mfa-device"]  # one confirmation
        assert gateway.list_mfa_devices("new-hire") == []
        assert serial not in [d.serial for d in gateway.list_virtual_mfa_devices("Any")]
        # the user can enroll again under the same name
        again = gateway.create_virtual_mfa_device("new-hire")
        assert again.serial == serial
    finally:
        sandbox.stop()


def test_status_levels_and_fixes_for_the_helpdesk() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        gateway = Gateway.from_settings(helpdesk_of(sandbox))
        key_id = sandbox.seeded.ssh_key_id
        assert key_id is not None
        gateway.update_ssh_public_key("new-hire", key_id, "Inactive")
        iam = gateway.client("iam")
        iam.update_access_key(
            UserName="new-hire", AccessKeyId=sandbox.new_hire.access_key_id, Status="Inactive"
        )
        for credential in gateway.list_service_specific_credentials("new-hire"):
            gateway.delete_service_specific_credential("new-hire", credential.id)
        ctx = DoctorContext(helpdesk_of(sandbox), subject_user="new-hire")
        found = {f.id: f for f in run_checks(ctx)[0]}
        ssh = found["account.ssh_keys"]
        assert ssh.status == "fail" and ssh.causes == ("ssh-key-inactive",)
        assert ssh.fix is not None and "--status Active" in str(ssh.fix.command)
        keys = found["credentials.access_keys"]
        assert keys.fix is not None
        assert keys.fix.command == "aws iam create-access-key --user-name new-hire"
        assert "--reset-git-credentials" in found["account.git_credentials"].summary
        # deleted Git credentials: the action creates new ones (a reset needs an ID)
        action = helpdesk.reset_git_credentials(gateway, "new-hire", None)
        assert action.name == "create-git-credentials"
        (result,) = helpdesk.apply([action], gateway, lambda a: True)
        assert result.secret is not None and result.secret.password
        assert len(gateway.list_service_specific_credentials("new-hire")) == 1
    finally:
        sandbox.stop()


def test_self_fix_commands_carry_the_mfa_profile() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        gateway = Gateway.from_settings(helpdesk_of(sandbox))
        iam = gateway.client("iam")
        for key in gateway.list_access_keys("new-hire"):
            iam.update_access_key(UserName="new-hire", AccessKeyId=key.access_key_id,
                                  Status="Inactive")  # fmt: skip
        ctx = DoctorContext(self_settings(sandbox), repo="my-repo")
        found = {f.id: f for f in run_checks(ctx)[0]}
        identity = found["credentials.identity"]
        assert identity.status == "fail"
        assert identity.fix is not None and "--profile default-mfa" in str(identity.fix.command)
    finally:
        sandbox.stop()


def test_markdown_report_lists_actions_fixes_and_repository(
    capsys: pytest.CaptureFixture[str],
) -> None:
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
            "--markdown",
        ]
    )
    out = capsys.readouterr().out
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert "### Actions performed" in out
    assert "done: delete the unassigned virtual MFA device" in out
    assert "- **Repository:** my-repo" in out
    assert code in (0, 1)
    heading = out.index("### What to fix")  # mfa.devices warns: no device yet
    assert "**Fix:**" in out[heading:] and "**Fix:**" not in out[:heading]


def test_throttled_aws_is_a_warning_with_the_reason() -> None:
    sandbox = Sandbox.start("onboarded")
    try:
        sandbox.faults.inject("throttle", count=-1, service="iam")
        ctx = DoctorContext(helpdesk_of(sandbox), subject_user="new-hire")
        found = {f.id: f for f in run_checks(ctx)[0]}
        devices = found["mfa.devices"]
        assert devices.status == "warn" and devices.causes == ("throttled",)
        assert "throttled" in devices.summary.lower()
        assert not all(f.status in ("ok", "skipped") for f in found.values())
    finally:
        sandbox.faults.clear()
        sandbox.stop()


def test_cli_url_names_the_target_in_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    typo = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-rpeo"
    code = main(["--sandbox", "doctor", "--url", typo, "--json", "--only", "git.remote"])
    document = json.loads(capsys.readouterr().out)
    assert code == 1 and document["exit_code"] == 1
    assert document["targets"][0]["url"] == typo and document["repo"] == "my-rpeo"
    (remote,) = document["findings"]
    assert "did you mean my-repo" in remote["summary"]
    code = main(["--sandbox", "doctor", "--url", typo, "--markdown", "--only", "git.remote"])
    out = capsys.readouterr().out
    assert code == 1 and f"- **Remote:** --url {typo} -> my-rpeo in us-east-1 (https)" in out
