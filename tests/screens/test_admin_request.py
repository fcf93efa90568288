"""The administrator request: built from the verdict, its patch accepted by `policy check`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from onboard.aws.gateway import Gateway
from onboard.policy.target import GitTarget
from onboard.walkthrough.admin import build_admin_request
from onboard.walkthrough.verify import policy_verdict

from .conftest import StartSandbox


def test_breaks_git_request_names_statement_and_its_patch_passes_the_check(
    start_sandbox: StartSandbox, tmp_path: Path
) -> None:
    sandbox = start_sandbox("breaks-git")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    verdict = policy_verdict(
        helpdesk, sandbox.account_id, "new-hire", sandbox.region, "my-repo", mfa=True
    )
    target = GitTarget(sandbox.account_id, "new-hire", sandbox.region, "my-repo")
    expiry = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    request = build_admin_request(verdict, target, verdict.policies, session_expiry=expiry)
    assert request is not None
    assert request.blocked == ("https-helper", "https-git-credentials", "ssh")
    assert request.working == ("grc",)
    sentence = request.sentence()
    assert "blocks HTTPS with the AWS CLI helper, HTTPS Git credentials, SSH" in sentence
    assert "ForceMFA Statement[3] (DenyAllExceptListedIfNoMFA)" in sentence
    assert "git-remote-codecommit works now with your MFA session, until" in sentence
    assert "2030-01-02 03:04 UTC" in sentence
    [patch] = request.patches
    assert patch.policy_name == "ForceMFA"
    assert patch.fix is not None and patch.least_privilege is not None
    text = request.markdown()
    assert f"`arn:aws:iam::{sandbox.account_id}:user/new-hire`" in text
    assert re.search(r"^\+ +\"codecommit:\*\"$", text, re.MULTILINE)  # the diff line
    assert "codecommit:GitPull" in json.dumps(patch.least_privilege.patched)
    assert "AKIA" not in text and "aws_secret" not in text.lower()
    saved = request.save(tmp_path)
    assert saved.read_text() == text
    # The administrator's check, exactly as the request writes it, accepts the patch.
    fixed = tmp_path / patch.file_name
    fixed.write_text(json.dumps(patch.fix.patched))
    command = request.check_command(patch.file_name)
    assert command in text
    args = command.split()[1:]
    run = subprocess.run(
        [sys.executable, "-m", "onboard", *args], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # The same check on the original policy fails: the request is not a formality.
    original = tmp_path / "ForceMFA.json"
    original.write_text(json.dumps(verdict.policies[-1].document))
    assert verdict.policies[-1].name == "ForceMFA"
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "onboard",
            *[a if not re.search("fixed", a) else str(original) for a in args],
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1


def test_no_request_when_nothing_is_blocked(start_sandbox: StartSandbox) -> None:
    sandbox = start_sandbox("fresh")
    helpdesk = Gateway.from_settings(sandbox.helpdesk_settings())
    verdict = policy_verdict(
        helpdesk, sandbox.account_id, "new-hire", sandbox.region, "my-repo", mfa=True
    )
    target = GitTarget(sandbox.account_id, "new-hire", sandbox.region, "my-repo")
    assert build_admin_request(verdict, target, verdict.policies) is None
