"""Every kind of AWS failure, produced for real by the sandbox, as a typed domain error."""

from __future__ import annotations

import socket

import pytest
from botocore.parsers import ResponseParserError

from onboard.aws import errors as e
from onboard.aws.gateway import Gateway
from onboard.aws.models import SessionCredentials
from onboard.aws.translate import translate
from onboard.errors import OnboardError
from onboard.home import Home
from onboard.sandbox.account import Sandbox
from onboard.secret import Secret
from onboard.settings import Settings

from .helpers import enable_new_hire_mfa, next_code, other_public


def _gateway(sandbox: Sandbox, who: str = "new-hire", **options: object) -> Gateway:
    settings = sandbox.helpdesk_settings() if who == "helpdesk" else sandbox.settings()
    return Gateway.from_settings(settings, **{"max_attempts": 1, **options})


def _assert_actionable(error: OnboardError) -> None:
    assert error.what and error.why and error.next_step
    assert "Traceback" not in error.render()


def test_access_denied_names_the_denying_policy(sandbox: Sandbox) -> None:
    with pytest.raises(e.AccessDenied) as exc:
        _gateway(sandbox).list_ssh_public_keys("new-hire")
    error = exc.value
    assert error.explicit
    assert error.action == "iam:ListSSHPublicKeys"
    assert error.resource == sandbox.new_hire.arn
    assert error.denying_policy_arn == "arn:aws:iam::123456789012:policy/ForceMFA"
    assert error.status == 403
    _assert_actionable(error)
    assert "MFA" in error.next_step


def test_implicit_access_denied(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    gateway = _gateway(sandbox)
    session = gateway.with_session(gateway.get_session_token(serial, next_code(sandbox, serial)))
    with pytest.raises(e.AccessDenied) as exc:  # with MFA, only the grants decide: no allow
        session.simulate_principal_policy(sandbox.helpdesk.arn, ["s3:GetObject"])
    assert not exc.value.explicit
    assert exc.value.denying_policy_arn is None
    assert "because no identity-based policy allows" in exc.value.why


def test_no_credentials(home: Home, sandbox: Sandbox) -> None:
    settings = Settings(home=home, endpoint_url=sandbox.endpoint_url, environ={})
    with pytest.raises(e.NoCredentials) as exc:
        Gateway.from_settings(settings).whoami()
    _assert_actionable(exc.value)


def test_unknown_key_and_wrong_secret(sandbox: Sandbox) -> None:
    settings = sandbox.settings()
    environ = dict(settings.environ or {})
    environ["AWS_SECRET_ACCESS_KEY"] = "wrong" * 8
    with pytest.raises(e.NoCredentials) as exc:
        Gateway.from_settings(settings.replace(environ=environ), max_attempts=1).whoami()
    assert exc.value.code == "SignatureDoesNotMatch"
    environ["AWS_ACCESS_KEY_ID"] = "AKIAUNKNOWNUNKNOWN00"
    with pytest.raises(e.NoCredentials) as exc:
        Gateway.from_settings(settings.replace(environ=environ), max_attempts=1).whoami()
    assert exc.value.code == "InvalidClientTokenId"


def test_expired_session(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    gateway = _gateway(sandbox)
    creds = gateway.get_session_token(serial, next_code(sandbox, serial), duration_seconds=900)
    session = gateway.with_session(creds)
    assert session.whoami().user_name == "new-hire"
    # Past the session's end but within the SigV4 window: botocore signs with
    # our clock, the sandbox judges expiry with its own.
    sandbox.set_clock_offset(901)
    with pytest.raises(e.ExpiredCredentials) as exc:
        session.list_repositories()
    _assert_actionable(exc.value)
    forged = SessionCredentials(
        creds.access_key_id, creds.secret_access_key, Secret("x"), creds.expiration
    )
    with pytest.raises(e.NoCredentials):
        gateway.with_session(forged).whoami()


def test_clock_skew(sandbox: Sandbox) -> None:
    sandbox.set_clock_offset(-3600)
    with pytest.raises(e.ClockSkew) as exc:
        _gateway(sandbox).whoami()
    assert "not yet current" in exc.value.why
    _assert_actionable(exc.value)


def test_throttling_after_adaptive_retries(sandbox: Sandbox) -> None:
    sandbox.faults.inject("throttle", count=-1, service="iam")
    gateway = _gateway(sandbox, max_attempts=3)
    with pytest.raises(e.Throttled) as exc:
        gateway.list_mfa_devices("new-hire")
    assert exc.value.code == "Throttling"
    assert sandbox.faults.hits["throttle"] == 3  # botocore retried, then gave up
    sandbox.faults.clear()
    assert gateway.list_mfa_devices("new-hire") == []


def test_throttling_that_clears_is_retried_away(sandbox: Sandbox) -> None:
    sandbox.faults.inject("throttle", count=2, service="codecommit")
    gateway = _gateway(sandbox, max_attempts=4)
    assert gateway.list_repositories() == ["my-repo"]
    assert sandbox.faults.hits["throttle"] == 2


def test_server_errors(sandbox: Sandbox) -> None:
    sandbox.faults.inject("server-error", count=-1)
    with pytest.raises(e.ServiceUnavailable) as exc:
        _gateway(sandbox, max_attempts=2).whoami()
    assert exc.value.code == "InternalFailure" and exc.value.status == 500
    _assert_actionable(exc.value)


def test_latency_past_the_read_timeout(sandbox: Sandbox) -> None:
    sandbox.faults.inject("latency", count=-1, seconds=1.0)
    with pytest.raises(e.ServiceUnavailable) as exc:
        _gateway(sandbox, read_timeout=0.2).whoami()
    assert exc.value.code == "ReadTimeoutError"


def test_latency_within_the_read_timeout_is_served(sandbox: Sandbox) -> None:
    sandbox.faults.inject("latency", count=1, seconds=0.2)
    assert _gateway(sandbox, read_timeout=5).whoami().user_name == "new-hire"


def test_dropped_connection(sandbox: Sandbox) -> None:
    sandbox.faults.inject("drop", count=-1)
    with pytest.raises(e.ServiceUnavailable) as exc:
        _gateway(sandbox).whoami()
    assert exc.value.code == "ConnectionClosedError"


def test_endpoint_unreachable(home: Home) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(
        home=home,
        endpoint_url=f"http://127.0.0.1:{port}",
        environ={"AWS_ACCESS_KEY_ID": "AKIAEXAMPLEEXAMPLE00", "AWS_SECRET_ACCESS_KEY": "x" * 40},
    )
    with pytest.raises(e.EndpointUnreachable) as exc:
        Gateway.from_settings(settings, max_attempts=1, connect_timeout=1).whoami()
    _assert_actionable(exc.value)


def test_invalid_authentication_code(sandbox: Sandbox) -> None:
    gateway = _gateway(sandbox)
    device = gateway.create_virtual_mfa_device("new-hire")
    with pytest.raises(e.InvalidAuthenticationCode) as exc:
        gateway.enable_mfa_device("new-hire", device.serial, "123456", "234567")
    assert exc.value.status == 403
    _assert_actionable(exc.value)


def test_wrong_session_code_is_an_authentication_code_error(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    with pytest.raises(e.InvalidAuthenticationCode) as exc:
        _gateway(sandbox).get_session_token(serial, "000000")
    assert exc.value.code == "AccessDenied"
    _assert_actionable(exc.value)
    # A serial that is not the user's device: the code is not the problem, the serial is.
    with pytest.raises(e.InvalidAuthenticationCode) as exc:
        _gateway(sandbox).get_session_token("arn:aws:iam::123456789012:mfa/other", "000000")
    assert "is not an MFA device of this user" in exc.value.what
    assert "ListMFADevices" in exc.value.next_step
    _assert_actionable(exc.value)


def test_reused_session_code_says_to_wait_for_the_next_one(sandbox: Sandbox) -> None:
    serial = enable_new_hire_mfa(sandbox)
    gateway = _gateway(sandbox)
    code = next_code(sandbox, serial)
    gateway.get_session_token(serial, code)
    with pytest.raises(e.InvalidAuthenticationCode) as exc:
        gateway.get_session_token(serial, code)
    assert exc.value.code == "AccessDenied"
    assert (
        "that code was already used: wait for your app to show the next one (up to 30 s)"
        in exc.value.next_step
    )
    _assert_actionable(exc.value)


def test_port_in_use(sandbox: Sandbox) -> None:
    sandbox.stop()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OnboardError) as exc:
            Sandbox.start("fresh", port=taken.getsockname()[1], git=False)
    assert "--port" in exc.value.next_step


def test_entity_already_exists(sandbox_factory) -> None:  # type: ignore[no-untyped-def]
    sandbox = sandbox_factory("stale-device")
    with pytest.raises(e.EntityAlreadyExists):
        _gateway(sandbox).create_virtual_mfa_device("new-hire")


def test_limit_exceeded_not_found_delete_conflict(sandbox: Sandbox) -> None:
    admin = _gateway(sandbox, "helpdesk")
    admin.create_service_specific_credential("new-hire")
    admin.create_service_specific_credential("new-hire")
    with pytest.raises(e.LimitExceeded):
        admin.create_service_specific_credential("new-hire")
    with pytest.raises(e.NotFound):
        admin.get_repository("no-such-repo")
    with pytest.raises(e.NotFound):
        admin.list_mfa_devices("nobody")
    serial = enable_new_hire_mfa(sandbox)
    with pytest.raises(e.DeleteConflict):
        admin.delete_virtual_mfa_device(serial)


def test_invalid_ssh_key_input(sandbox: Sandbox) -> None:
    admin = _gateway(sandbox, "helpdesk")
    with pytest.raises(e.InvalidInputError) as exc:
        admin.upload_ssh_public_key("new-hire", other_public("ed25519"))
    assert exc.value.code == "UnrecognizedPublicKeyEncoding"
    assert "ssh-keygen -t rsa -b 4096" in exc.value.next_step


def test_unreadable_reply_is_a_service_error() -> None:
    parser_error = ResponseParserError("Unable to parse response: <!doctype html>")
    error = translate(parser_error, "ListRepositories")
    assert isinstance(error, e.ServiceUnavailable)
    assert error.code == "ResponseParserError" and error.operation == "ListRepositories"
    _assert_actionable(error)
