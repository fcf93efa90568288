"""`onboard explain` on the field corpus: real failure outputs from public threads and docs.

Each entry of tests/doctor/corpus/*.toml is an output someone published, its
source URL and the cause that thread or page established (see the corpus
README). The expected cause must rank first; for a bare error that the text
cannot decide (`bare = true`, e.g. HTTP 403) it must be among the first three.
About a fifth of the entries (chosen by hash) were held out while the patterns
were written; their hit rate is reported on its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from onboard.cli import main
from onboard.doctor.explain import (
    METHODS,
    Explanation,
    explain,
    infer_methods,
    load_knowledge,
    parse_knowledge,
)
from onboard.errors import InvalidInput

CORPUS_DIR = Path(__file__).parent / "corpus"
NOT_A_FAILURE = "not-a-failure"
ENTRY_KEYS = {"source", "expect", "method", "bare", "miss", "output"}


def _load() -> list[dict[str, Any]]:
    entries = []
    for path in sorted(CORPUS_DIR.glob("*.toml")):
        for index, entry in enumerate(tomllib.loads(path.read_text(encoding="utf-8"))["entry"]):
            entries.append({**entry, "id": f"{path.stem}-{index}"})
    return entries


CORPUS = _load()


def held_out(entry: dict[str, Any]) -> bool:
    """The entries not looked at while the patterns were written (sha256 % 5 == 0)."""
    digest = hashlib.sha256(f"{entry['source']}\n{entry['output']}".encode()).hexdigest()
    return int(digest, 16) % 5 == 0


def names_the_cause(entry: dict[str, Any], explanation: Explanation) -> bool:
    """True when explain says what the source established about this output."""
    if entry["expect"] == NOT_A_FAILURE:
        return explanation.verdict == NOT_A_FAILURE
    if explanation.verdict in (NOT_A_FAILURE, "unknown"):
        return False
    ranked = explanation.cause_ids[:3] if entry.get("bare") else explanation.cause_ids[:1]
    return entry["expect"] in ranked


def hit_rate(entries: list[dict[str, Any]]) -> float:
    """Share of `entries` whose cause explain names."""
    hits = sum(names_the_cause(e, explain(e["output"], e.get("method"))) for e in entries)
    return hits / len(entries)


def test_corpus_is_large_cited_and_well_formed() -> None:
    known = {cause.id for cause in load_knowledge().causes} | {NOT_A_FAILURE}
    assert len(CORPUS) >= 150
    seen = set()
    for entry in CORPUS:
        assert set(entry) - {"id"} <= ENTRY_KEYS, entry["id"]
        assert entry["source"].startswith("https://"), entry["id"]
        assert entry["expect"] in known, entry["id"]
        assert entry["output"].strip(), entry["id"]
        assert entry.get("method") in (None, *METHODS), entry["id"]
        key = (entry["source"], entry["output"])
        assert key not in seen, f"duplicate entry {entry['id']}"
        seen.add(key)


def test_corpus_covers_the_areas_the_issue_names() -> None:
    expected = {e["expect"] for e in CORPUS}
    areas = {
        "aws signing and tokens": {"clock-skew", "invalid-access-key", "expired-session-token"},
        "kms": {"kms-denied"},
        "windows": {"aws-cli-broken", "windows-git-ssh-putty"},
        "credential manager": {"credential-manager-conflict"},
        "gui clients": {"gui-git-ignores-helper"},
        "non-openssh clients": {"ssh-private-key-invalid", "host-key-unverified"},
        "git-remote-codecommit": {"grc-submodule-protocol-not-allowed", "grc-url-malformed"},
        "mfa": {"mfa-code-invalid", "mfa-serial-wrong", "mfa-session-required"},
        "success that looks like an error": {NOT_A_FAILURE},
        "other hosts": {"not-codecommit"},
    }
    for area, ids in areas.items():
        assert ids <= expected, area
    sources = " ".join(e["source"] for e in CORPUS)
    for origin in ("aws/git-remote-codecommit", "aws/aws-cli", "fluxcd", "jenkinsci", "desktop"):
        assert f"github.com/{origin}" in sources, origin


def test_about_a_fifth_is_held_out() -> None:
    share = sum(map(held_out, CORPUS)) / len(CORPUS)
    assert 0.15 <= share <= 0.25


def _case(entry: dict[str, Any]) -> Any:
    """An entry as a test case; a known miss (`miss = "why"`) must keep failing."""
    marks = [pytest.mark.xfail(reason=entry["miss"], strict=True)] if "miss" in entry else []
    return pytest.param(entry, id=entry["id"], marks=marks)


@pytest.mark.parametrize("entry", [_case(e) for e in CORPUS])
def test_explain_names_the_cause_of_each_real_output(entry: dict[str, Any]) -> None:
    explanation = explain(entry["output"], entry.get("method"))
    assert names_the_cause(entry, explanation), (
        f"{entry['source']}: expected {entry['expect']}, got {explanation.verdict} "
        f"{explanation.cause_ids[:3]}"
    )


def test_hit_rate_overall_and_on_the_held_out_part() -> None:
    held = [e for e in CORPUS if held_out(e)]
    assert hit_rate(CORPUS) >= 0.9
    assert hit_rate(held) >= 0.9


@pytest.mark.parametrize(
    ("line", "methods"),
    [
        ("git clone codecommit::eu-west-1://dev@my-repo", ("grc",)),
        (
            "fatal: unable to access 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/r/'",
            ("https-helper", "https-git-credentials"),
        ),
        (
            "git clone https://bob-at-123456789012@git-codecommit.eu-west-1.amazonaws.com/v1/repos/r",
            ("https-git-credentials",),
        ),
        ("ssh: connect to host git-codecommit.us-east-2.amazonaws.com port 22", ("ssh",)),
        ("git clone ssh://APKAEXAMPLE@git-codecommit.us-east-2.amazonaws.com/v1/repos/r", ("ssh",)),
        ("fatal: Could not read from remote repository.", ()),
    ],
)
def test_method_is_inferred_from_the_url_in_the_output(line: str, methods: tuple[str, ...]) -> None:
    assert infer_methods(line) == methods


def test_an_inferred_method_drops_the_causes_of_other_methods() -> None:
    text = (
        "ssh: connect to host git-codecommit.us-east-2.amazonaws.com port 22: Connection timed out"
    )
    explanation = explain(text)
    assert explanation.inferred_methods == ("ssh",)
    assert explanation.top is not None and explanation.top.cause.id == "ssh-port-blocked"
    # large-push-https-timeout and the HTTPS helper causes cannot happen over SSH
    assert all(c.cause.applies_to("ssh") for c in explanation.candidates)
    assert explain(text, "https-helper").top is not None  # an explicit method wins
    assert explain(text, "https-helper").inferred_methods == ()


def test_another_host_is_named_unless_the_output_shows_codecommit() -> None:
    github = "git@github.com: Permission denied (publickey).\n"
    assert explain(github).cause_ids[0] == "not-codecommit"
    both = github + "ssh://APKAEXAMPLE@git-codecommit.us-east-1.amazonaws.com/v1/repos/r\n"
    assert "not-codecommit" not in explain(both).cause_ids


def test_a_denied_own_credential_call_asks_for_an_mfa_session_not_a_weaker_policy() -> None:
    # the documented AccessDenied format (KNOWLEDGE.md) for the force-MFA deny
    for action in ("UploadSSHPublicKey", "CreateServiceSpecificCredential"):
        text = (
            f"An error occurred (AccessDenied) when calling the {action} operation: User: "
            f"arn:aws:iam::123456789012:user/new-hire is not authorized to perform: iam:{action} "
            "on resource: user new-hire with an explicit deny in an identity-based policy: "
            "arn:aws:iam::123456789012:policy/ForceMFA"
        )
        top = explain(text).top
        assert top is not None and top.cause.id == "mfa-session-required"
        assert "MFA session first" in top.cause.fix
        assert "Do not weaken the policy" in top.cause.fix


def test_an_invalid_mfa_code_points_to_resync() -> None:
    text = (
        "An error occurred (AccessDenied) when calling the GetSessionToken operation: "
        "MultiFactorAuthentication failed with invalid MFA one time pass code."
    )
    top = explain(text).top
    assert top is not None and top.cause.id == "mfa-code-invalid"
    assert "onboard mfa resync" in top.cause.fix


def test_knowledge_rejects_bad_unless_and_method_hints() -> None:
    base = {"id": "x", "title": "t", "cause": "c", "fix": "f", "sources": [], "patterns": []}
    with pytest.raises(InvalidInput):
        parse_knowledge({"cause": [{**base, "unless": ["("]}]})
    with pytest.raises(InvalidInput):
        parse_knowledge({"method_hint": [{"methods": ["ftp"], "re": "x"}]})
    with pytest.raises(InvalidInput):
        parse_knowledge({"method_hint": [{"methods": ["ssh"], "re": "("}]})


def test_cli_json_and_text_show_the_inferred_method(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "codecommit::us-east-1://dev@repo\nfatal: transport 'codecommit' not allowed\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["explain", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["method"] is None
    assert document["inferred_methods"] == ["grc"]
    assert document["candidates"][0]["id"] == "grc-submodule-protocol-not-allowed"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["explain"]) == 0
    assert "Method read from the URL in the output: grc" in capsys.readouterr().out


def test_a_push_that_worked_is_not_a_failure_even_wrapped_as_an_error() -> None:
    # git writes its progress to stderr; PowerShell and some IDEs show it as an error
    new_branch = (
        "git : To https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/my-repo\n"
        "    + FullyQualifiedErrorId : NativeCommandError\n"
        " * [new branch]      main -> main\n"
    )
    assert explain(new_branch).verdict == NOT_A_FAILURE
    rejected = "error: RPC failed; curl 56 Recv failure\nEverything up-to-date\n"
    assert explain(rejected).verdict == "explained"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        # a 403 during a push is a refusal, not a transfer cut off
        (
            "error: RPC failed; HTTP 403 curl 22 The requested URL returned error: 403\n"
            "fatal: The remote end hung up unexpectedly\n",
            "mfa-policy-denies-git",
        ),
        # the helper line lost its '!' in the shell: git looks for git-credential-aws
        (
            "git: 'credential-aws' is not a git command. See 'git --help'.\n",
            "credential-helper-misconfigured",
        ),
        ("FATAL ERROR: Network error: Connection timed out\n", "ssh-port-blocked"),
        (
            "An error occurred (UnrecognizedClientException) when calling the ListTables "
            "operation: The security token included in the request is invalid.\n",
            "invalid-access-key",
        ),
    ],
)
def test_wordings_of_the_same_failure_from_other_tools(text: str, first: str) -> None:
    assert explain(text).cause_ids[0] == first
