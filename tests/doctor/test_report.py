"""Redaction and the JSON / Markdown / text renderings of a doctor run."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onboard.doctor.findings import Finding, Fix, exit_code
from onboard.doctor.report import (
    REDACTED,
    SCHEMA_VERSION,
    DoctorRun,
    redact,
    to_json,
    to_markdown,
    to_text,
)

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "x" * 60
SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SIGNED_PASSWORD = "20261128T112233Z" + "ab" * 32


@pytest.mark.parametrize(
    "text",
    [
        f"aws_secret_access_key = {SECRET_KEY}",
        f'"SecretAccessKey": "{SECRET_KEY}"',
        f"export AWS_SESSION_TOKEN={SESSION_TOKEN}",
        f"token {SESSION_TOKEN}",
        f"otpauth://totp/AWS:new-hire?secret={SEED}&issuer=AWS",
        f"seed {SEED}",
        f"https://new-hire-at-123456789012:{SECRET_KEY}@git-codecommit.us-east-1.amazonaws.com/v1",
        f"password={SIGNED_PASSWORD}",
        f"username=ASIAEXAMPLEEXAMPLE12%{SESSION_TOKEN}",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----",
    ],
)
def test_secrets_are_redacted(text: str) -> None:
    out = redact(text)
    for secret in (SECRET_KEY, SESSION_TOKEN, SEED, SIGNED_PASSWORD, "b3BlbnNzaC1rZXktdjEAAAAA"):
        assert secret not in out
    assert REDACTED in out


def test_identifiers_and_commit_ids_stay() -> None:
    text = (
        "AKIAIOSFODNN7EXAMPLE APKAEIBAERJR2EXAMPLE arn:aws:iam::123456789012:user/new-hire\n"
        "4b825dc642cb6eb9a060e54bf8d69288fbee4904\tHEAD\n"
        "fatal: unable to access 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r/'"
    )
    assert redact(text) == text


def test_known_secret_values_are_removed_verbatim() -> None:
    assert redact("the password is hunter2-long", ["hunter2-long"]) == f"the password is {REDACTED}"


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=32, max_size=80))
def test_any_long_base32_seed_is_redacted(seed: str) -> None:
    assert seed not in redact(f"seed: {seed} end")


@given(st.text(min_size=0, max_size=200))
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


def _run() -> DoctorRun:
    findings = (
        Finding("env.git", "ok", "git 2.39.5"),
        Finding(
            "git.helpers",
            "fail",
            "osxkeychain runs before the AWS helper",
            (f"aws_secret_access_key = {SECRET_KEY}",),
            Fix("Reset the helper list", "git config --global ..."),
            causes=("keychain-cached-stale-password",),
        ),
        Finding("mfa.devices", "warn", "no MFA device"),
        Finding("live.ls_remote", "skipped", "no repository"),
    )
    return DoctorRun(findings, "arn:aws:iam::123456789012:user/new-hire", "us-east-1", "my-repo")


def test_json_schema_is_stable_and_redacted() -> None:
    document = to_json(_run())
    assert json.loads(json.dumps(document)) == document
    assert document["schema"] == SCHEMA_VERSION
    assert set(document) == {
        "schema",
        "mode",
        "subject",
        "region",
        "repo",
        "targets",
        "exit_code",
        "counts",
        "elapsed_seconds",
        "findings",
    }
    assert document["exit_code"] == 1
    assert document["counts"] == {"ok": 1, "warn": 1, "fail": 1, "skipped": 1}
    finding = document["findings"][1]
    assert set(finding) == {
        "id",
        "category",
        "status",
        "summary",
        "details",
        "fix",
        "causes",
        "rules_out",
        "data",
        "seconds",  # added in schema 1 (new keys may be added; docs/doctor.md)
    }
    assert finding["category"] == "git"
    assert finding["fix"] == {
        "summary": "Reset the helper list",
        "command": "git config --global ...",
        "action": None,
    }
    assert SECRET_KEY not in json.dumps(document)


def test_markdown_is_ticket_ready() -> None:
    text = to_markdown(_run())
    assert text.startswith("## onboard doctor report")
    assert "| ❌ | `git.helpers` |" in text
    assert text.index("`git.helpers`") < text.index("`env.git`")  # failures first
    assert "### What to fix" in text and "```sh\ngit config --global ...\n```" in text
    assert SECRET_KEY not in text


def test_text_report_and_exit_codes() -> None:
    text = to_text(_run())
    assert "[FAIL] git.helpers" in text and "fix: Reset the helper list" in text
    assert "1 failed, 1 warnings, 1 passed, 1 skipped" in text
    assert SECRET_KEY not in text
    assert exit_code([Finding("a.b", "warn", "x"), Finding("a.c", "skipped", "y")]) == 0


def test_helpdesk_reports_show_the_account_inventory_even_when_fine() -> None:
    keys = Finding("account.ssh_keys", "ok", "1 SSH key(s), 1 active", ("APKAEXAMPLE Active",))
    for mode, shown in (("helpdesk", True), ("self", False)):
        run = DoctorRun((keys,), "user alice (helpdesk)", mode=mode)
        assert ("APKAEXAMPLE Active" in to_text(run)) is shown
        assert ("APKAEXAMPLE Active" in to_markdown(run)) is shown
