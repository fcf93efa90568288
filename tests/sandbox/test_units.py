"""Pure pieces of the sandbox: key rules, TOTP windows, request context, fault admin."""

from __future__ import annotations

import json
import urllib.request

import pytest

from onboard.errors import InvalidInput
from onboard.sandbox import totp
from onboard.sandbox.authorize import request_context
from onboard.sandbox.faults import ADMIN_PATH, FaultInjector
from onboard.sandbox.identity import Caller
from onboard.sandbox.ssh_keys import KeyRejected, parse_public_key, same_key
from onboard.sandbox.state import SandboxState, SessionRecord

from .helpers import other_public, rsa_pem_public, rsa_public

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_pem_and_openssh_forms_give_one_fingerprint() -> None:
    from cryptography.hazmat.primitives import serialization

    pem = rsa_pem_public()
    key = serialization.load_pem_public_key(pem.encode())
    line = key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()
    assert parse_public_key(pem).fingerprint == parse_public_key(line).fingerprint
    assert parse_public_key(line + " me@host").openssh.endswith(" me@host")


def test_key_rules() -> None:
    assert parse_public_key(rsa_public(3072)).bits == 3072
    for body, code in [
        (other_public("ed25519"), "UnrecognizedPublicKeyEncoding"),
        ("", "UnrecognizedPublicKeyEncoding"),
        (rsa_public(1024), "InvalidPublicKey"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "InvalidPublicKey"),
        ("ssh-rsa " + "A" * 20000, "ValidationError"),
    ]:
        with pytest.raises(KeyRejected) as exc:
            parse_public_key(body)
        assert exc.value.code == code
    line = rsa_public()
    assert same_key(line, " ".join(line.split()[:2]))
    assert not same_key(line, rsa_public(2048, "x").replace("A", "B", 1))


def test_totp_consecutive_and_single() -> None:
    step = totp.step_of(1_700_000_000)
    code = totp.code_at
    assert totp.find_consecutive(SEED, code(SEED, step), code(SEED, step + 1), step) == step
    assert totp.find_consecutive(SEED, code(SEED, step + 1), code(SEED, step), step) is None
    assert totp.find_consecutive(SEED, code(SEED, step - 20), code(SEED, step - 19), step) is None
    assert totp.find_consecutive(SEED, "12345", "123456", step) is None
    assert totp.find_single(SEED, code(SEED, step - 1), step) == step - 1
    assert totp.find_single(SEED, code(SEED, step - 3), step) is None


def _caller(session: SessionRecord | None) -> Caller:
    return Caller(
        "new-hire",
        "arn:aws:iam::123456789012:user/new-hire",
        "AIDAEXAMPLE",
        "123456789012",
        "AKIAEXAMPLE",
        session,
    )


def test_request_context_carries_mfa_only_for_mfa_sessions() -> None:
    state = SandboxState("123456789012", "us-east-1", clock=lambda: 1_700_000_100.0)
    plain = request_context(state, _caller(None), "iam")
    assert plain["aws:username"] == "new-hire"
    assert plain["aws:SourceIp"] == "127.0.0.1" and plain["aws:SecureTransport"] == "true"
    assert plain["aws:CurrentTime"] == "2023-11-14T22:15:00Z"
    assert "aws:MultiFactorAuthPresent" not in plain
    assert "aws:MultiFactorAuthAge" not in plain
    session = SessionRecord(
        "ASIA", "s", "t", "new-hire", 1_700_000_000.0, 1_700_043_200.0, 1_700_000_000.0
    )
    mfa = request_context(state, _caller(session), "codecommit")
    assert mfa["aws:MultiFactorAuthPresent"] == "true"
    assert mfa["aws:MultiFactorAuthAge"] == "100"
    assert mfa["aws:RequestedRegion"] == "us-east-1"


def test_fault_admin_endpoint(sandbox) -> None:  # type: ignore[no-untyped-def]
    url = sandbox.endpoint_url + ADMIN_PATH
    token = {"X-Onboard-Sandbox-Token": sandbox.admin_token}
    request = urllib.request.Request(
        url,
        data=json.dumps({"kind": "throttle", "count": 2}).encode(),
        method="POST",
        headers=token,
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200
    for body in (b'{"kind": "meteor"}', b"[1, 2]", b'{"kind": "throttle", "count": {}}'):
        bad = urllib.request.Request(url, data=body, method="POST", headers=token)
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(bad, timeout=10)
        assert exc.value.code == 400
    delete = urllib.request.Request(url, method="DELETE", headers=token)
    with urllib.request.urlopen(delete, timeout=10):
        pass
    from .helpers import client

    assert client(sandbox, "sts").get_caller_identity()  # cleared: served normally


def test_unknown_fault_kind() -> None:
    with pytest.raises(InvalidInput):
        FaultInjector().inject("meteor")


def test_the_sandbox_prints_nothing(sandbox_factory, capfd) -> None:  # type: ignore[no-untyped-def]
    from botocore.exceptions import ClientError
    from botocore.parsers import ResponseParserError

    from .helpers import client

    sandbox = sandbox_factory("fresh", git=True)
    sts = client(sandbox, "sts")
    sts.get_caller_identity()
    sandbox.faults.inject("server-error")
    with pytest.raises(ClientError):
        sts.get_caller_identity()
    with pytest.raises(ResponseParserError):  # an operation moto lacks: a server traceback
        client(sandbox, "iam", who="helpdesk").enable_organizations_root_sessions()
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_secrets_stay_out_of_reprs(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("onboarded")
    secrets = [
        sandbox.new_hire.secret_access_key,
        sandbox.helpdesk.secret_access_key,
        sandbox.git_password,
        sandbox.seeded.ssh_private_key_pem,
    ]
    shown = repr(sandbox.seeded) + repr(sandbox.new_hire) + repr(sandbox.state.git_credentials)
    record = SessionRecord("ASIAX", "secret-value", "token-value", "new-hire")
    shown += repr(record)
    assert all(secret and secret not in shown for secret in secrets)
    assert "secret-value" not in shown and "token-value" not in shown
