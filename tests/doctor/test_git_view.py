"""The doctor sees what git sees: the clone's remotes, the helper's credentials (sandbox, real git).

Each test makes one breakage of a working HTTPS-helper setup, shows that real
git fails on it, and that the doctor names it; the healthy clone stays green.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.doctor.checks import DoctorContext, run_checks
from onboard.doctor.findings import Finding, exit_code
from onboard.sandbox.account import Sandbox
from onboard.settings import Settings

from .conftest import git, self_settings, set_up_https_helper

URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/my-repo"


@pytest.fixture(scope="module")
def fresh() -> Iterator[Sandbox]:
    sandbox = Sandbox.start("fresh")
    try:
        set_up_https_helper(self_settings(sandbox))
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def clone(fresh: Sandbox, tmp_path: Path) -> Path:
    settings = self_settings(fresh)
    done = git(settings, "clone", "-q", URL, str(tmp_path / "my-repo"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "my-repo"


def doctor(settings: Settings, **kw: object) -> tuple[dict[str, Finding], int]:
    ctx = DoctorContext(settings, live_timeout=20, **kw)  # type: ignore[arg-type]
    findings, _ = run_checks(ctx)
    return {f.id: f for f in findings}, exit_code(findings)


def test_healthy_clone_is_all_green_and_names_the_remote(fresh: Sandbox, clone: Path) -> None:
    found, code = doctor(self_settings(fresh), cwd=clone)
    failed = [f"{f.id}: {f.summary}" for f in found.values() if f.status == "fail"]
    assert failed == [] and code == 0
    remote = found["git.remote"]
    assert remote.status == "ok"
    assert remote.data["targets"][0]["remote"] == "origin"
    assert remote.data["targets"][0]["repo"] == "my-repo"
    assert found["live.https-helper"].status == "ok"
    assert found["live.https-helper"].data["remote"] == "origin"
    assert "git's AWS CLI helper" in found["credentials.identity"].summary


def test_typo_in_the_remote_is_named_with_the_nearest_name(fresh: Sandbox, clone: Path) -> None:
    settings = self_settings(fresh)
    # through an insteadOf alias, as many teams write their remotes
    base = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/"
    git(settings, "config", f"url.{base}.insteadOf", "cc:", cwd=clone)
    git(settings, "remote", "set-url", "origin", "cc:my-rpeo", cwd=clone)
    assert git(settings, "fetch", cwd=clone).returncode != 0
    found, code = doctor(settings, cwd=clone)
    remote = found["git.remote"]
    assert remote.status == "fail" and remote.causes == ("repo-not-found",)
    assert "my-rpeo" in remote.summary and "did you mean my-repo" in remote.summary
    assert remote.data["targets"][0]["url"] == base + "my-rpeo"  # after insteadOf
    assert remote.fix is not None and remote.fix.command == f"git remote set-url origin {URL}"
    assert found["live.https-helper"].status == "fail"
    assert code == 1


def test_wrong_region_names_the_region_that_has_it(fresh: Sandbox, clone: Path) -> None:
    settings = self_settings(fresh)
    wrong = URL.replace("us-east-1", "eu-west-1")
    git(settings, "remote", "set-url", "origin", wrong, cwd=clone)
    assert git(settings, "fetch", cwd=clone).returncode != 0
    found, code = doctor(settings, cwd=clone)
    remote = found["git.remote"]
    assert remote.status == "fail" and remote.causes == ("wrong-region",)
    assert "my-repo is in us-east-1, not eu-west-1" in remote.summary
    assert code == 1


def test_url_from_outside_a_clone(fresh: Sandbox, tmp_path: Path) -> None:
    settings = self_settings(fresh)
    found, code = doctor(settings, url=URL.replace("my-repo", "my-repoo"), cwd=tmp_path)
    assert found["git.remote"].causes == ("repo-not-found",)
    assert found["git.remote"].data["targets"][0]["source"] == "--url"
    assert code == 1
    found, code = doctor(settings, repo="my-repo", cwd=tmp_path)
    assert found["git.remote"].status == "ok" and code == 0


def _env(settings: Settings, **changes: str | None) -> Settings:
    environ = dict(settings.environ or {})
    for name, value in changes.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return settings.replace(environ=environ)


def test_aws_profile_that_does_not_exist(fresh: Sandbox, clone: Path) -> None:
    settings = _env(self_settings(fresh), AWS_PROFILE="nosuch")
    assert git(settings, "fetch", cwd=clone).returncode != 0
    found, code = doctor(settings, cwd=clone)
    identity = found["credentials.identity"]
    assert identity.status == "fail" and identity.causes == ("aws-profile-not-found",)
    assert "AWS_PROFILE" in identity.summary and "nosuch" in identity.summary
    assert found["live.https-helper"].status == "fail"
    assert found["live.https-helper"].data["explained_by_checks"] is True
    assert code == 1


def test_invalid_and_expired_session_tokens(fresh: Sandbox, clone: Path) -> None:
    from onboard.aws.gateway import Gateway

    settings = self_settings(fresh)
    creds = Gateway.from_settings(settings).client("sts").get_session_token()["Credentials"]
    key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    session = _env(
        settings,
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_SESSION_TOKEN=token[:-8] + "AAAAAAAA",
    )
    assert git(session, "fetch", cwd=clone).returncode != 0
    found, _ = doctor(session, cwd=clone)
    identity = found["credentials.identity"]
    assert identity.causes == ("invalid-session-token",), identity
    assert "AWS_SESSION_TOKEN" in identity.summary
    expired = _env(session, AWS_SESSION_TOKEN=token)
    fresh.state.sessions[key].expires_at = time.time() - 60
    assert git(expired, "fetch", cwd=clone).returncode != 0
    found, code = doctor(expired, cwd=clone)
    assert found["credentials.identity"].causes == ("expired-session-token",)
    assert code == 1


def test_no_credentials_at_all(fresh: Sandbox, clone: Path) -> None:
    settings = _env(self_settings(fresh), AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    assert git(settings, "fetch", cwd=clone).returncode != 0
    found, code = doctor(settings, cwd=clone)
    assert found["credentials.identity"].causes == ("no-credentials-configured",)
    assert code == 1


def _write_profile(sandbox: Sandbox, text: str) -> None:
    sandbox.home.aws_config.write_text(text, encoding="utf-8")


def test_credential_process_that_hangs_or_prints_garbage(fresh: Sandbox, clone: Path) -> None:
    settings = _env(self_settings(fresh), AWS_PROFILE="proc", AWS_ACCESS_KEY_ID=None,
                    AWS_SECRET_ACCESS_KEY=None)  # fmt: skip
    try:
        _write_profile(fresh, "[profile proc]\ncredential_process = sleep 100\n")
        started = time.monotonic()
        ctx = DoctorContext(settings, live_timeout=3, cwd=clone)
        findings, _ = run_checks(ctx)
        assert time.monotonic() - started < 20
        found = {f.id: f for f in findings}
        identity = found["credentials.identity"]
        assert identity.causes == ("credential-process-failed",)
        assert "no answer within 3 s" in identity.summary
        assert exit_code(findings) == 1
        _write_profile(fresh, "[profile proc]\ncredential_process = echo not-json\n")
        found, code = doctor(settings, cwd=clone)
        assert "did not print the JSON" in found["credentials.identity"].summary
        assert code == 1
    finally:
        fresh.home.aws_config.unlink(missing_ok=True)


def test_unparseable_aws_config_names_file_and_line(fresh: Sandbox, clone: Path) -> None:
    settings = self_settings(fresh)
    try:
        _write_profile(fresh, "[default]\nregion = us-east-1\nthis line is broken\n")
        assert git(_env(settings, AWS_PROFILE="default"), "fetch", cwd=clone).returncode != 0
        found, code = doctor(settings, cwd=clone)
        files = found["credentials.files"]
        assert files.status == "fail" and files.causes == ("aws-config-unparseable",)
        assert f"{fresh.home.aws_config} line 3" in files.summary
        identity = found["credentials.identity"]
        assert identity.causes == ("aws-config-unparseable",), identity
        assert not any("crashed" in f.summary for f in found.values())
        assert code == 1
    finally:
        fresh.home.aws_config.unlink(missing_ok=True)


def test_malformed_endpoint_url_is_never_a_pass(fresh: Sandbox, tmp_path: Path) -> None:
    settings = _env(self_settings(fresh), AWS_ENDPOINT_URL="not a url").replace(endpoint_url=None)
    found, code = doctor(settings, cwd=tmp_path)
    assert code == 1
    identity = found["credentials.identity"]
    assert identity.status == "fail" and identity.causes == ("aws-endpoint-invalid",)
    # the account checks say why they could not run; none "crashed"
    assert "AWS_ENDPOINT_URL" in found["mfa.devices"].summary
    assert not any("crashed" in f.summary for f in found.values())
