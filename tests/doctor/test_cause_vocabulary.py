"""One vocabulary: every cause id a doctor finding can name is known to explain.

The ids are collected from the source of `onboard/doctor/*.py` (there is no
registry): string constants given as `causes=`/`cause=`/`rules_out=`,
assigned to a name with "cause" in it, appended to such a list, or passed as
the cause of `_fail(summary, cause, ...)`. A new check that names an id
explain does not know fails here, before `explain.rerank` silently drops it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from onboard.doctor.agreement import decide
from onboard.doctor.explain import explain, load_knowledge, parse_knowledge, rerank
from onboard.doctor.findings import Finding, Fix
from onboard.errors import InvalidInput

DOCTOR = Path(__file__).resolve().parents[2] / "onboard" / "doctor"
OUTPUTS = Path(__file__).parent / "outputs"
_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def _constants(node: ast.AST) -> set[str]:
    """Id-shaped strings under `node`, leaving out comparisons, dict keys and getattr names."""
    skip: set[int] = set()
    for sub in ast.walk(node):
        parts: list[ast.AST] = []
        if isinstance(sub, ast.Compare):
            parts = [sub]
        elif isinstance(sub, ast.Dict):
            parts = [key for key in sub.keys if key is not None]
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id == "getattr"
        ):
            parts = list(sub.args[1:2])
        skip.update(id(n) for part in parts for n in ast.walk(part))
    return {
        sub.value
        for sub in ast.walk(node)
        if id(sub) not in skip
        and isinstance(sub, ast.Constant)
        and isinstance(sub.value, str)
        and _ID.match(sub.value)
    }


def _named(target: ast.AST) -> bool:
    return isinstance(target, ast.Name) and "cause" in target.id.lower()


def _cause_part(node: ast.AST) -> ast.AST | None:
    """The part of `node` that holds cause ids, if it is one of the ways a check names them."""
    if isinstance(node, ast.keyword) and node.arg in ("cause", "causes", "rules_out"):
        return node.value
    if isinstance(node, ast.Assign) and any(_named(t) for t in node.targets):
        return node.value
    if isinstance(node, ast.AnnAssign) and _named(node.target):
        return node.value
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "append" and _named(func.value):
        return node
    if isinstance(func, ast.Name) and func.id == "_fail" and len(node.args) > 1:
        return node.args[1]
    return None


def doctor_cause_ids() -> dict[str, set[str]]:
    """{cause id: files naming it} over onboard/doctor/*.py (explain's own files aside)."""
    found: dict[str, set[str]] = {}
    for path in sorted(DOCTOR.glob("*.py")):
        if path.name.startswith("explain"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            part = _cause_part(node)
            for value in _constants(part) if part is not None else ():
                found.setdefault(value, set()).add(path.name)
    return found


def test_the_scan_finds_the_ids_the_checks_name() -> None:
    # The scan must see each way a check names a cause, or the next test proves nothing.
    ids = doctor_cause_ids()
    assert {
        "access-key-inactive",  # causes=(...) in credential_checks
        "aws-profile-not-found",  # _fail(summary, "id", ...)
        "aws-endpoint-invalid",  # cause= of context.Unusable
        "keychain-cached-stale-password",  # cause = X.get(..., "id")
        "credential-manager-conflict",  # _STORE_HELPER_CAUSE's values
        "kms-denied",  # causes.append(...)
        "ssh-user-not-key-id",  # rules_out=
    } <= set(ids)
    assert "manager" not in ids and "explained" not in ids  # dict keys, comparisons
    assert len(ids) >= 35


def test_every_cause_id_the_doctor_names_is_known_to_explain() -> None:
    knowledge = load_knowledge()
    unknown = {}
    for cause_id, files in doctor_cause_ids().items():
        try:
            knowledge.by_id(cause_id)
        except KeyError:
            unknown[cause_id] = sorted(files)
    assert unknown == {}, "add these to causes.toml (a cause, or an alias of one)"


@pytest.mark.parametrize(
    ("alias", "cause"),
    [
        ("access-key-inactive", "invalid-access-key"),
        ("access-key-deleted", "invalid-access-key"),
        ("access-key-secret-wrong", "invalid-access-key"),
        ("invalid-session-token", "invalid-access-key"),
        ("aws-profile-not-found", "wrong-account-or-profile"),
        ("credential-process-failed", "grc-credential-process-failed"),
        ("ssh-key-inactive", "ssh-key-not-uploaded"),
    ],
)
def test_a_confirmed_alias_confirms_its_cause(alias: str, cause: str) -> None:
    knowledge = load_knowledge()
    assert knowledge.canonical(alias) == cause
    reranked = rerank(explain("fatal: something failed"), confirmed=[alias])
    assert reranked.top is not None
    assert reranked.top.cause.id == cause and reranked.top.confirmed


def test_a_ruled_out_alias_does_not_rule_out_its_cause() -> None:
    text = (
        "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
        "The security token included in the request is invalid."
    )
    reranked = rerank(explain(text, "https-helper"), ruled_out=["access-key-inactive"])
    assert reranked.top is not None and reranked.top.cause.id == "invalid-access-key"


def test_an_alias_may_not_repeat_an_id() -> None:
    cause = {"title": "t", "cause": "c", "fix": "f", "sources": []}
    document = {
        "cause": [{**cause, "id": "a"}, {**cause, "id": "b", "aliases": ["a"]}],
    }
    with pytest.raises(InvalidInput, match="cause id a is defined twice"):
        parse_knowledge(document)


def test_a_live_failure_is_explained_by_the_check_that_refines_its_cause() -> None:
    # git's helper prints IAM's words; the identity check knows which key state it is.
    output = (
        "An error occurred (InvalidClientTokenId) when calling the GetCallerIdentity operation: "
        "The security token included in the request is invalid.\n"
        "fatal: could not read Username for 'https://git-codecommit.us-east-1.amazonaws.com'"
    )
    findings = (
        Finding(
            "credentials.identity",
            "fail",
            "access key AKIAEXAMPLE of git's AWS CLI helper was deleted",
            fix=Fix("Create a new access key"),
            causes=("access-key-deleted",),
        ),
        Finding(
            "live.https-helper",
            "fail",
            "git ls-remote failed over https-helper (origin)",
            data={"method": "https-helper", "output": output},
        ),
    )
    live = {f.id: f for f in decide(findings)}["live.https-helper"]
    assert live.data["explained_by_checks"] is True
    assert live.data["candidates"][0] == "invalid-access-key"
    assert live.causes == ("access-key-deleted",)
    assert "was deleted" in live.summary and live.fix == Fix("Create a new access key")


def test_endpoint_invalid_is_named_from_the_aws_cli_output() -> None:
    # Reproduced with the AWS CLI (see outputs/cases.toml): AWS_ENDPOINT_URL=not-a-url.
    text = (OUTPUTS / "aws-sts-endpoint-invalid.txt").read_text()
    explanation = explain(text)
    assert explanation.verdict == "explained"
    assert explanation.top is not None and explanation.top.cause.id == "aws-endpoint-invalid"
