"""`onboard explain` on real outputs collected for this project (see outputs/cases.toml)."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from onboard.cli import main
from onboard.doctor.explain import (
    METHODS,
    explain,
    load_knowledge,
    parse_knowledge,
    rerank,
)
from onboard.errors import InvalidInput

OUTPUTS = Path(__file__).parent / "outputs"
CASES: list[dict[str, Any]] = tomllib.loads((OUTPUTS / "cases.toml").read_text())["case"]

REQUIRED_IDS = [
    "keychain-cached-stale-password",
    "credential-manager-conflict",
    "no-aws-cli",
    "aws-cli-broken",
    "aws-cli-auto-prompt",
    "credential-helper-misconfigured",
    "helper-not-configured",
    "no-credentials-configured",
    "git-credentials-rejected",
    "expired-sso-token",
    "expired-session-token",
    "mfa-policy-denies-git",
    "iam-permission-missing",
    "kms-denied",
    "clock-skew",
    "wrong-account-or-profile",
    "wrong-region",
    "repo-not-found",
    "repo-empty",
    "network-blocked",
    "ssh-port-blocked",
    "throttled",
    "large-push-https-timeout",
    "gnutls-tls-handshake",
    "too-many-ref-updates",
    "grc-not-installed",
    "grc-launcher-broken",
    "grc-url-malformed",
    "grc-profile-no-credentials",
    "grc-botocore-too-old",
    "grc-credential-process-failed",
    "grc-submodule-protocol-not-allowed",
    "grc-aws-login-unsupported",
    "ssh-key-not-uploaded",
    "ssh-user-not-key-id",
    "ssh-private-key-invalid",
    "ssh-rsa-sha1-disabled",
    "ssh-key-format-rejected",
    "windows-git-ssh-putty",
    "host-key-unverified",
]


def test_every_issue_cause_id_is_known_and_cited() -> None:
    knowledge = load_knowledge()
    ids = {cause.id for cause in knowledge.causes}
    assert set(REQUIRED_IDS) <= ids
    for cause in knowledge.causes:
        assert cause.sources, cause.id
        assert all(s.url.startswith("https://") for s in cause.sources), cause.id
        assert cause.patterns, cause.id
        assert cause.fix and cause.cause, cause.id


def test_every_fixture_has_a_case_with_its_provenance() -> None:
    files = {p.name for p in OUTPUTS.glob("*.txt")}
    assert files == {case["file"] for case in CASES}
    for case in CASES:
        assert case["how"].startswith(("ran:", "quoted:")), case["file"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_explain_on_real_output(case: dict[str, Any]) -> None:
    text = (OUTPUTS / case["file"]).read_text()
    explanation = explain(text, case.get("method"))
    assert explanation.verdict == case["verdict"]
    if "top" in case:
        assert explanation.top is not None
        assert explanation.top.cause.id == case["top"]
    else:
        assert explanation.candidates == ()
    assert set(case.get("among", [])) <= set(explanation.cause_ids)


def test_every_cause_is_named_by_some_real_output() -> None:
    """Each cause id is the answer (or a ranked candidate) for a collected or quoted output,
    or for a published one in the field corpus (test_explain_corpus.py)."""
    named: set[str] = set()
    for case in CASES:
        named.update(case.get("among", []))
        if "top" in case:
            named.add(case["top"])
    for corpus_file in (Path(__file__).parent / "corpus").glob("*.toml"):
        named.update(e["expect"] for e in tomllib.loads(corpus_file.read_text())["entry"])
    # A bare 403 (git-http-403.txt) names several; the doctor's checks then decide
    # (test_sandbox_checks: a stale stored password is pinned on the storing helper).
    assert {cause.id for cause in load_knowledge().causes} <= named


def test_bare_403_is_ambiguous_with_ranked_candidates() -> None:
    explanation = explain((OUTPUTS / "git-http-403.txt").read_text(), "https-helper")
    assert explanation.verdict == "ambiguous"
    ids = explanation.cause_ids
    for expected in ("mfa-policy-denies-git", "keychain-cached-stale-password", "kms-denied"):
        assert expected in ids
    # ties on the text are broken by the prior: the MFA deny is the usual suspect here
    assert ids[0] == "mfa-policy-denies-git"


def test_method_filters_out_causes_of_other_methods() -> None:
    text = (OUTPUTS / "git-http-403.txt").read_text()
    assert "keychain-cached-stale-password" in explain(text, "https-helper").cause_ids
    assert "keychain-cached-stale-password" not in explain(text, "ssh").cause_ids
    ssh_text = (OUTPUTS / "ssh-wrong-user.txt").read_text()
    assert explain(ssh_text, "grc").candidates == ()


def test_unknown_method_is_an_input_error() -> None:
    with pytest.raises(InvalidInput):
        explain("x", "ftp")


def test_rerank_lets_checks_decide_between_candidates() -> None:
    text = (OUTPUTS / "git-http-403.txt").read_text()
    first = explain(text, "https-helper")
    decided = rerank(
        first,
        confirmed=["keychain-cached-stale-password"],
        ruled_out=["mfa-policy-denies-git"],
    )
    assert decided.verdict == "explained"
    assert decided.top is not None and decided.top.cause.id == "keychain-cached-stale-password"
    assert decided.top.confirmed
    assert "mfa-policy-denies-git" not in decided.cause_ids


def test_rerank_adds_a_confirmed_cause_the_text_did_not_name() -> None:
    first = explain("fatal: something nobody has seen before", "https-helper")
    assert first.verdict == "unknown"
    decided = rerank(first, confirmed=["aws-cli-auto-prompt"])
    assert decided.cause_ids == ("aws-cli-auto-prompt",)
    assert decided.verdict == "explained"


def test_success_banner_with_a_decisive_failure_is_still_a_failure() -> None:
    banner = (OUTPUTS / "ssh-success-banner.txt").read_text()
    refused = (OUTPUTS / "ssh-connect-refused.txt").read_text()
    assert explain(banner).verdict == "not-a-failure"
    assert explain(banner + refused).verdict == "explained"


def test_ls_remote_refs_are_not_a_failure() -> None:
    text = "4b825dc642cb6eb9a060e54bf8d69288fbee4904\tHEAD\n"
    assert explain(text).verdict == "not-a-failure"


def test_knowledge_rejects_bad_data() -> None:
    base = {"id": "x", "title": "t", "cause": "c", "fix": "f", "sources": []}
    with pytest.raises(InvalidInput):
        parse_knowledge({"cause": [{**base, "patterns": [{"re": "(", "weight": 1}]}]})
    with pytest.raises(InvalidInput):
        parse_knowledge({"cause": [{**base, "methods": ["ftp"], "patterns": []}]})
    with pytest.raises(InvalidInput):
        parse_knowledge({"cause": [{**base, "patterns": []}, {**base, "patterns": []}]})


def test_knowledge_patterns_compile_and_methods_are_known() -> None:
    for cause in load_knowledge().causes:
        assert set(cause.methods) <= set(METHODS)
        for pattern in cause.patterns:
            assert isinstance(pattern.regex, re.Pattern)
            assert 1 <= pattern.weight <= 10


def test_cli_text_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(OUTPUTS / "ssh-no-ssh-rsa.txt")]) == 0
    out = capsys.readouterr().out
    assert "ssh-rsa-sha1-disabled" in out and "HostKeyAlgorithms" in out
    assert main(["explain", str(OUTPUTS / "ssh-success-banner.txt")]) == 0
    assert "Not a failure" in capsys.readouterr().out


def test_cli_unknown_output_exits_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("all good, nothing to see\n"))
    assert main(["explain", "-"]) == 1
    assert "No known cause" in capsys.readouterr().out


def test_cli_json_is_stable_and_redacted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    text = f"aws_secret_access_key = {secret}\nUnable to locate credentials\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["explain", "--json", "--method", "https-helper"]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    document = json.loads(out)
    assert document["verdict"] == "explained"
    assert document["method"] == "https-helper"
    top = document["candidates"][0]
    assert top["id"] == "no-credentials-configured"
    assert set(top) == {
        "id",
        "title",
        "score",
        "decisive",
        "confirmed",
        "evidence",
        "cause",
        "fix",
        "sources",
    }


def test_cli_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "/nonexistent/output.txt"]) == 3
    assert "/nonexistent/output.txt does not exist" in capsys.readouterr().err


def test_live_check_timeout_points_at_the_network() -> None:
    explanation = explain("git ls-remote gave no answer within 20 seconds", "ssh")
    assert explanation.top is not None
    assert explanation.top.cause.id == "network-blocked"
    assert explanation.verdict == "ambiguous"  # a hang alone does not prove it


def test_cli_text_quotes_a_shared_matched_line_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "fatal: unable to access 'x': The requested URL returned error: 403"
    monkeypatch.setattr("sys.stdin", io.StringIO(line + "\n"))
    assert main(["explain", "-"]) == 0
    out = capsys.readouterr().out
    assert out.count("returned error: 403") == 1
    assert out.count("\n1. ") == 1 and "\n3. " in out  # still the ranked candidates
