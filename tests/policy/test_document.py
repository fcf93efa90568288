"""Parsing: the document shapes AWS accepts, and clear errors naming the place."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.errors import InvalidInput
from onboard.policy import PolicyError, parse_policy


def test_statement_as_object_and_strings_as_lists() -> None:
    single = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        }
    )
    assert len(single.statements) == 1
    listed = parse_policy(
        '{"Statement": [{"Sid": "A", "Effect": "Deny", '
        '"NotAction": ["iam:*"], "NotResource": ["x"]}]}'
    )
    statement = listed.statements[0]
    assert (statement.sid, statement.effect, statement.not_action, statement.not_resource) == (
        "A",
        "Deny",
        True,
        True,
    )
    assert listed.version is None and not listed.variables
    assert listed.document["Statement"][0]["Sid"] == "A"


def test_bytes_with_bom_are_accepted() -> None:
    text = '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
    assert parse_policy(("\ufeff" + text).encode()).statements[0].effect == "Allow"


def test_policy_error_is_invalid_input_exit_3() -> None:
    assert issubclass(PolicyError, InvalidInput)
    assert PolicyError("x").exit_code == 3


def test_bad_json_names_file_line_and_column() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}'
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "mfa.json")
    assert caught.value.what.startswith("mfa.json:4:24: invalid JSON")


GOOD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "p: a policy must be a JSON object, got a list"),
        ({"Version": "2012-10-17"}, "p: missing Statement"),
        ({"Statement": []}, "Statement must be an object or a non-empty list"),
        ({"Statement": "x"}, "Statement must be an object or a non-empty list"),
        ({"Version": "2019-01-01", "Statement": [GOOD]}, "Version must be"),
        ({"Statment": [GOOD]}, "unknown top-level element 'Statment'"),
        ({"Statement": [GOOD, "x"]}, "Statement[1]: must be an object, got a string"),
        (
            {"Statement": [{**GOOD, "Effect": "Alow"}]},
            'Statement[0].Effect: must be "Allow" or "Deny", got \'Alow\'',
        ),
        (
            {"Statement": [{"Action": "s3:*", "Resource": "*"}]},
            'Statement[0].Effect: must be "Allow" or "Deny", got nothing',
        ),
        (
            {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
            "Statement[0]: missing Action (or NotAction)",
        ),
        (
            {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]},
            "Statement[0]: missing Resource (or NotResource)",
        ),
        ({"Statement": [{**GOOD, "NotAction": "x:y"}]}, "has both Action and NotAction"),
        (
            {"Statement": [{**GOOD, "Action": 3}]},
            "Statement[0].Action: must be a string or a list of strings, got a number",
        ),
        ({"Statement": [{**GOOD, "Action": []}]}, "Statement[0].Action: must not be an empty list"),
        ({"Statement": [{**GOOD, "Action": "GetObject"}]}, "'GetObject' is not service:Action"),
        ({"Statement": [{**GOOD, "Resource": [None]}]}, "Statement[0].Resource: must be a string"),
        ({"Statement": [{**GOOD, "Sid": 5}]}, "Statement[0].Sid: must be a string"),
        ({"Statement": [{**GOOD, "Effects": "Allow"}]}, "Statement[0]: unknown element 'Effects'"),
        ({"Statement": [{**GOOD, "Principal": "*"}]}, "only resource policies name a principal"),
        (
            {"Statement": [{**GOOD, "Sid": "A"}, {**GOOD, "Sid": "A"}]},
            "Sid 'A' is used by more than one",
        ),
        ({"Statement": [{**GOOD, "Condition": []}]}, "Statement[0].Condition: must be an object"),
    ],
)
def test_invalid_documents_name_the_place(document: Any, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(document, "p")
    assert message in caught.value.what
    assert caught.value.what.startswith("p")


def test_resource_policies_need_a_principal_and_may_omit_resource() -> None:
    trust = parse_policy(
        {
            "Statement": {
                "Effect": "Allow",
                "Principal": {"AWS": "123456789012"},
                "Action": "sts:AssumeRole",
            }
        },
        kind="resource",
    )
    assert trust.statements[0].resources is None
    with pytest.raises(PolicyError, match="needs Principal or NotPrincipal"):
        parse_policy({"Statement": GOOD}, kind="resource")
    with pytest.raises(PolicyError, match="unknown principal type 'Robot'"):
        parse_policy({"Statement": {**GOOD, "Principal": {"Robot": "x"}}}, kind="resource")
    with pytest.raises(PolicyError, match="unknown policy kind"):
        parse_policy({"Statement": GOOD}, kind="session")


def test_fixture_policies_parse(policies_dir: Any) -> None:
    for path in sorted(policies_dir.glob("*.json")):
        parsed = parse_policy(path.read_text(), path.name)
        assert parsed.statements and parsed.name == path.name


def test_equal_documents_parse_to_equal_policies() -> None:
    document = {"Version": "2012-10-17", "Statement": {**GOOD, "Sid": "S"}}
    assert parse_policy(document, "a") == parse_policy(dict(document), "a")
    assert hash(parse_policy(document, "a")) == hash(parse_policy(document, "a"))
    assert parse_policy(document, "a") != parse_policy(document, "b")
