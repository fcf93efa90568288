"""`onboard audit` from the command line: env credentials, filters, --keys, exit codes."""

from __future__ import annotations

import json

import pytest

from onboard.cli import main
from onboard.sandbox.account import Sandbox


def _env_of(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in sandbox.env().items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "--org"], "--org needs --role-name"),
        (["audit", "--role-name", "R"], "--role-name goes with --org"),
        (["audit", "--max-concurrency", "0"], "--max-concurrency 0 is out of range"),
        (["audit", "--user", "no spaces please"], "is not an IAM user name"),
        (["audit", "--repo", "bad/repo"], "is not a CodeCommit repository name"),
        (["audit", "--org", "--role-name", "arn:aws:iam::1:role/x"], "is not an IAM role name"),
        (["audit", "--json", "--csv"], None),
    ],
)
def test_bad_input_exits_3(
    args: list[str], message: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    if message is None:  # argparse's own refusal
        with pytest.raises(SystemExit) as exc:
            main(args)
        assert exc.value.code == 3
    else:
        assert main(args) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if message is not None:
        assert message in err


def test_env_credentials_audit_the_account(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("breaks-git")
    _env_of(sandbox, monkeypatch)
    code = main(["audit", "--json"])
    out = capsys.readouterr().out
    data = json.loads(out)
    assert code == 1
    users = {u["user"]: u for u in data["users"]}
    assert set(users) == {"new-hire", "helpdesk"}
    new_hire = users["new-hire"]
    assert new_hire["git"]["ssh"] == "denied"
    assert new_hire["git"]["https-helper"] == "mfa-only"
    assert "ForceMFA Statement[3] (DenyAllExceptListedIfNoMFA)" in new_hire["deciding"]["ssh"]
    assert new_hire["blocked"] is True  # MFA-only, and no device yet
    assert users["helpdesk"]["mfa_enforced"] is False
    assert {f["id"] for f in data["findings"]} >= {"git-denied", "git-needs-missing-mfa-device"}
    # Secrets never reach a report.
    assert sandbox.new_hire.secret_access_key not in out
    assert sandbox.helpdesk.secret_access_key not in out


def test_keys_and_filters(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    _env_of(sandbox, monkeypatch)
    from onboard.aws.gateway import Gateway

    gateway = Gateway.from_settings(sandbox.helpdesk_settings())
    (key,) = gateway.list_ssh_public_keys("new-hire")
    gateway.update_ssh_public_key("new-hire", key.key_id, "Inactive")
    code = main(["audit", "--json", "--keys", "--user", "new-hire"])
    data = json.loads(capsys.readouterr().out)
    (user,) = data["users"]
    assert user["ssh_keys"] == {"active": 0, "inactive": 1}
    assert user["git_credentials"] == {"active": 1, "inactive": 0}
    assert user["mfa_device"] == "assigned"
    assert [f["id"] for f in data["findings"]] == ["inactive-ssh-keys"]
    assert code == 0  # usable and enforced: an inactive SSH key alone is a warning
    main(["audit", "--csv", "--group", "developers"])
    rows = capsys.readouterr().out.splitlines()
    assert len(rows) == 2 and rows[1].startswith("123456789012,new-hire,developers,allowed")
    assert main(["audit", "--text", "--group", "nobody"]) == 0
    assert "0 users in 1 account(s)" in capsys.readouterr().out


def test_all_is_well_exits_0(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    _env_of(sandbox, monkeypatch)
    assert main(["audit", "--markdown", "--user", "new-hire"]) == 0
    markdown = capsys.readouterr().out
    assert "No findings: every user can use git and MFA is enforced." in markdown


def test_keys_survive_throttling(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    _env_of(sandbox, monkeypatch)
    # IAM throttles bursts; botocore's adaptive retries wait and try again.
    sandbox.faults.inject("throttle", count=3, service="iam")
    code = main(["audit", "--json", "--keys", "--max-concurrency", "2"])
    data = json.loads(capsys.readouterr().out)
    users = {u["user"]: u for u in data["users"]}
    assert users["new-hire"]["ssh_keys"] == {"active": 1, "inactive": 0}
    assert users["helpdesk"]["ssh_keys"] == {"active": 0, "inactive": 0}
    assert code == 1  # the helpdesk's MFA is not enforced


def test_sandbox_flag_audits_the_embedded_account(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--sandbox", "--scenario", "stale-device", "audit", "--csv"])
    rows = capsys.readouterr().out.splitlines()
    assert code == 1
    new_hire = next(r for r in rows if ",new-hire," in r)
    assert ",stale," in new_hire and "stale-mfa-device" in new_hire


def test_repeated_profiles_audit_each_account(
    sandbox_factory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("fresh")
    _env_of(sandbox, monkeypatch)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    for name in ("ONBOARD_HELPDESK_ACCESS_KEY_ID", "ONBOARD_HELPDESK_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    credentials = sandbox.home.aws_credentials
    credentials.parent.mkdir(parents=True, exist_ok=True)
    helpdesk = sandbox.helpdesk
    credentials.write_text(
        "".join(
            f"[{profile}]\naws_access_key_id = {helpdesk.access_key_id}\n"
            f"aws_secret_access_key = {helpdesk.secret_access_key}\n"
            for profile in ("prod", "staging")
        )
    )
    code = main(["audit", "--json", "--profile", "prod", "--profile", "staging"])
    data = json.loads(capsys.readouterr().out)
    # Both profiles reach the one sandbox account here: it is audited once per profile.
    assert [a["account"] for a in data["accounts"]] == ["123456789012", "123456789012"]
    assert len(data["users"]) == 4 and code == 1
    assert main(["audit", "--json", "--profile", "nope"]) == 4
    assert "profile 'nope' does not exist" in capsys.readouterr().err
