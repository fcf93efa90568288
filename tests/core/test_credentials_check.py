"""check_key and repository_regions on the sandbox: accepted, unknown, inactive, wrong secret."""

from __future__ import annotations

from typing import Any

import pytest

from onboard.aws import credentials as creds
from onboard.aws.gateway import Gateway
from onboard.aws.keyfile import AccessKey
from onboard.home import Home
from onboard.secret import Secret
from onboard.settings import Settings


def bare_settings(sandbox: Any, home: Home) -> Settings:
    """The sandbox endpoint and nothing else: no keys in the environment."""
    return Settings(
        endpoint_url=sandbox.endpoint_url,
        region=sandbox.region,
        home=home,
        environ={"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true"},
    )


def new_hire_key(sandbox: Any) -> AccessKey:
    hire = sandbox.new_hire
    return AccessKey(hire.access_key_id, Secret(hire.secret_access_key), "access-key", "new-hire")


def test_the_new_hire_key_names_user_and_account(sandbox: Any, home: Home) -> None:
    checked = creds.check_key(bare_settings(sandbox, home), new_hire_key(sandbox))
    assert checked.user_name == "new-hire"
    assert checked.identity.account == sandbox.account_id
    assert checked.identity.credential_source == "CSV file"
    assert not home.aws_credentials.exists()  # checking writes nothing


def test_an_unknown_key_gets_aws_reason_and_what_to_ask(sandbox: Any, home: Home) -> None:
    key = AccessKey("AKIAUNKNOWNKEY000000", Secret(sandbox.new_hire.secret_access_key), "typed")
    with pytest.raises(creds.KeyRejected) as caught:
        creds.check_key(bare_settings(sandbox, home), key)
    error = caught.value
    assert error.exit_code == 1 and error.code == "InvalidClientTokenId"
    assert "InvalidClientTokenId" in error.why  # AWS's own reason
    assert "administrator" in error.next_step and "aws configure" not in error.render()
    assert key.secret_access_key.reveal() not in error.render()


def test_an_inactive_key_is_refused(sandbox: Any, home: Home) -> None:
    admin = Gateway.from_settings(sandbox.helpdesk_settings())
    admin.client("iam").update_access_key(
        UserName="new-hire", AccessKeyId=sandbox.new_hire.access_key_id, Status="Inactive"
    )
    with pytest.raises(creds.KeyRejected) as caught:
        creds.check_key(bare_settings(sandbox, home), new_hire_key(sandbox))
    assert "inactive" in caught.value.next_step
    assert "activate this key" in caught.value.next_step


def test_a_wrong_secret_says_so(sandbox: Any, home: Home) -> None:
    secret = sandbox.new_hire.secret_access_key
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    key = AccessKey(sandbox.new_hire.access_key_id, Secret(wrong), "typed")
    with pytest.raises(creds.KeyRejected) as caught:
        creds.check_key(bare_settings(sandbox, home), key)
    assert caught.value.code == "SignatureDoesNotMatch"
    assert "secret does not match" in caught.value.what
    assert wrong not in caught.value.render() and secret not in caught.value.render()


def test_repository_regions_finds_the_sandbox_repository(sandbox: Any, home: Home) -> None:
    settings = bare_settings(sandbox, home)
    regions = creds.repository_regions(settings, new_hire_key(sandbox), [sandbox.region])
    assert regions == [sandbox.region]
    bad = AccessKey("AKIAUNKNOWNKEY000000", Secret("x" * 40), "typed")
    assert creds.repository_regions(settings, bad, [sandbox.region]) == []
