"""credentials.expiry for SSO profiles: the cached IAM Identity Center token, in a temp home."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from onboard.doctor.account_checks import check_expiry
from onboard.doctor.checks import DoctorContext
from onboard.home import Home
from onboard.settings import Settings

CONFIG = """[profile dev]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Developer
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""


def _ctx(home: Home) -> DoctorContext:
    home.aws_dir.mkdir(parents=True, exist_ok=True)
    home.aws_config.write_text(CONFIG)
    return DoctorContext(Settings(home=home, profile="dev", environ={"PATH": "/usr/bin"}))


def _cache(home: Home, expires: datetime) -> None:
    # botocore's cache file name for an sso-session: sha1 of the session name
    folder = home.aws_dir / "sso" / "cache"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha1(b"corp").hexdigest() + ".json"
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    (folder / name).write_text(json.dumps({"accessToken": "secret", "expiresAt": stamp}))


def test_no_cached_sso_token_says_log_in(home: Home) -> None:
    finding = check_expiry(_ctx(home))
    assert finding.status == "fail"
    assert finding.causes == ("expired-sso-token",)
    assert finding.fix is not None and finding.fix.command == "aws sso login --profile dev"


def test_expired_and_valid_sso_tokens(home: Home) -> None:
    ctx = _ctx(home)
    _cache(home, datetime.now(UTC) - timedelta(minutes=5))
    expired = check_expiry(ctx)
    assert expired.status == "fail" and expired.causes == ("expired-sso-token",)
    _cache(home, datetime.now(UTC) + timedelta(hours=3))
    valid = check_expiry(ctx)
    assert valid.status == "ok"
    assert "expired-sso-token" in valid.rules_out
    assert "secret" not in json.dumps(valid.to_json())  # the token itself is never reported
