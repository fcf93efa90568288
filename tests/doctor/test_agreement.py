"""Live and static agree: a failed probe is explained or says it is not; a working one demotes."""

from __future__ import annotations

from pathlib import Path

from onboard.doctor.agreement import decide
from onboard.doctor.findings import Finding, Fix, exit_code

OUTPUTS = Path(__file__).parent / "outputs"


def _live(status: str, method: str, output: str | None = None) -> Finding:
    data: dict[str, object] = {"method": method}
    if output is not None:
        data["output"] = output
    summary = f"git ls-remote {'works' if status == 'ok' else 'failed'} over {method} (origin)"
    return Finding(f"live.{method}", status, summary, data=data)  # type: ignore[arg-type]


def test_failed_probe_without_a_static_explanation_says_so_with_candidates() -> None:
    bare_403 = (OUTPUTS / "git-http-403.txt").read_text()
    findings = (
        Finding("git.helpers", "ok", "the AWS CLI credential helper answers"),
        Finding("credentials.identity", "ok", "arn:aws:iam::1:user/a"),
        _live("fail", "https-helper", bare_403),
    )
    decided = {f.id: f for f in decide(findings)}
    live = decided["live.https-helper"]
    assert live.status == "fail" and exit_code(tuple(decided.values())) == 1
    assert "not explained by the checks" in live.summary
    assert live.data["explained_by_checks"] is False
    assert "mfa-policy-denies-git" in live.data["candidates"]
    assert any(d.startswith("candidates (onboard explain): ") for d in live.details)


def test_failed_probe_explained_by_a_failed_check_of_its_method() -> None:
    findings = (
        Finding(
            "credentials.identity",
            "fail",
            "access key AKIA... of git's AWS CLI helper is deactivated (Inactive)",
            fix=Fix("Activate it again"),
            causes=("access-key-inactive",),
        ),
        _live("fail", "https-helper", (OUTPUTS / "git-http-403.txt").read_text()),
    )
    live = {f.id: f for f in decide(findings)}["live.https-helper"]
    assert live.data["explained_by_checks"] is True
    assert live.causes == ("access-key-inactive",)
    assert "deactivated" in live.summary


def test_working_probe_demotes_the_static_findings_it_contradicts() -> None:
    findings = (
        Finding("ssh.key_id", "fail", "ssh logs in as 'root'", causes=("ssh-user-not-key-id",)),
        Finding(
            "git.use_http_path",
            "fail",
            "UseHttpPath not set",
            causes=("credential-helper-misconfigured",),
        ),
        _live("ok", "ssh"),
    )
    decided = {f.id: f for f in decide(findings)}
    assert decided["ssh.key_id"].status == "warn"
    assert decided["ssh.key_id"].data["contradicted_by"] == ["live.ssh"]
    assert "works" in decided["ssh.key_id"].details[-1]
    # an HTTPS finding is not contradicted by SSH working
    assert decided["git.use_http_path"].status == "fail"


def test_a_failing_probe_of_the_same_method_keeps_the_failure() -> None:
    findings = (
        Finding("credentials.identity", "fail", "expired", causes=("expired-session-token",)),
        _live("ok", "https-helper"),
        _live("fail", "grc", "fatal: unable to access: The requested URL returned error: 403"),
    )
    decided = {f.id: f for f in decide(findings)}
    assert decided["credentials.identity"].status == "fail"


def test_a_crashing_check_fails_with_the_error_and_unreachable_aws_fails() -> None:
    from onboard.aws.errors import EndpointUnreachable, Throttled
    from onboard.doctor.checks import CheckSpec, DoctorContext, _safe
    from onboard.settings import Settings

    ctx = DoctorContext(Settings(environ={}))

    def crash(_: DoctorContext) -> Finding:
        raise KeyError("surprise")

    def away(_: DoctorContext) -> Finding:
        raise EndpointUnreachable("cannot reach AWS", "Could not connect", "check the proxy")

    def slow(_: DoctorContext) -> Finding:
        raise Throttled("AWS is throttling requests", "Rate exceeded", "wait")

    (crashed,) = _safe(CheckSpec("x.crash", crash), ctx)
    assert crashed.status == "fail" and "KeyError" in crashed.summary
    (unreachable,) = _safe(CheckSpec("x.away", away), ctx)
    assert unreachable.status == "fail" and unreachable.causes == ("network-blocked",)
    assert "Could not connect" in unreachable.summary
    (throttled,) = _safe(CheckSpec("x.slow", slow), ctx)
    assert throttled.status == "warn" and "Rate exceeded" in throttled.summary
