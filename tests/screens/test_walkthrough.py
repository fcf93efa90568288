"""The walkthrough's plain logic: resume point, ssh/git detection on disk, summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from onboard.errors import InvalidInput
from onboard.home import Home
from onboard.walkthrough.facts import (
    describe_expiry,
    expand_user_path,
    group_secret,
    oldest_key,
    read_public_key,
    stale_device_help,
)
from onboard.walkthrough.steps import (
    STEP_IDS,
    Change,
    Facts,
    clone_command,
    configured_https_method,
    configured_method,
    done_steps,
    first_pending,
    https_helper_configured,
    next_step,
    previous_step,
    recommend_method,
    ssh_config_key_id,
    summary_lines,
)


def test_seven_steps_in_order() -> None:
    assert STEP_IDS == ("identity", "mfa", "session", "sshkey", "git", "verify", "done")
    assert next_step("identity") == "mfa"
    assert next_step("done") == "done"
    assert previous_step("identity") == "identity"
    assert previous_step("git") == "sshkey"


@pytest.mark.parametrize(
    ("facts", "resume"),
    [
        (Facts(identity_ok=False), "identity"),
        (Facts(identity_ok=True), "mfa"),
        (Facts(identity_ok=True, mfa_serials=("arn:mfa/x",)), "session"),
        (Facts(identity_ok=True, mfa_serials=("arn:mfa/x",), ssh_key_id="APKA1"), "verify"),
        (
            Facts(identity_ok=True, mfa_serials=("arn:mfa/x",), https_helper_configured=True),
            "verify",
        ),
        # git configured but no MFA yet: MFA comes first (the policy needs it).
        (Facts(identity_ok=True, https_helper_configured=True), "mfa"),
    ],
)
def test_resume_at_first_step_not_done(facts: Facts, resume: str) -> None:
    assert first_pending(facts) == resume


def test_nothing_done_without_identity() -> None:
    assert done_steps(Facts(identity_ok=False, mfa_serials=("x",), ssh_key_id="K")) == frozenset()


def test_ssh_key_id_read_only_from_codecommit_block(home: Home) -> None:
    home.ssh_config.write_text(
        "Host github.com\n  User git\n\n"
        "Host git-codecommit.*.amazonaws.com\n  User APKAEXAMPLE123\n  IdentityFile x\n"
    )
    assert ssh_config_key_id(home) == "APKAEXAMPLE123"
    home.ssh_config.write_text("Host github.com\n  User git\n")
    assert ssh_config_key_id(home) is None


def test_https_helper_detected_in_global_gitconfig(home: Home) -> None:
    assert not https_helper_configured(home)
    home.gitconfig.write_text(
        '[credential "https://git-codecommit.*.amazonaws.com"]\n'
        "\thelper =\n\thelper = !aws codecommit credential-helper $@\n"
    )
    assert https_helper_configured(home)
    assert configured_https_method(home) == "https-helper"


def test_git_credentials_store_is_not_mistaken_for_the_aws_helper(home: Home) -> None:
    """A re-run after choosing HTTPS Git credentials verifies that method, not the AWS helper."""
    home.gitconfig.write_text(
        "[user]\n\thelper = !aws codecommit credential-helper $@\n"
        '[credential "https://git-codecommit.*.amazonaws.com"]\n\thelper = \n\thelper = store\n'
        "[credential]\n\thelper = !aws codecommit credential-helper $@\n"
    )
    assert configured_https_method(home) == "https-git-credentials"
    facts = Facts(
        identity_ok=True, https_helper_configured=True, https_method="https-git-credentials"
    )
    assert configured_method(facts) == "https-git-credentials"
    assert configured_method(Facts(identity_ok=True, ssh_key_id="APKA1")) == "ssh"


def test_a_typed_tilde_path_means_the_walkthrough_home(home: Home) -> None:
    """`~/.ssh/x.pub` typed in a sandbox run is the sandbox home's file, not the real one."""
    assert expand_user_path("~/.ssh/id_rsa.pub", home) == home.root / ".ssh" / "id_rsa.pub"
    assert expand_user_path(" ~ ", home) == home.root
    assert expand_user_path("/etc/key.pub", home).as_posix() == "/etc/key.pub"
    with pytest.raises(InvalidInput, match="cannot read"):
        read_public_key(expand_user_path("~/.ssh/missing.pub", home))


def test_summary_groups_and_deduplicates() -> None:
    changes = [
        Change("account", "created device"),
        Change("machine", "wrote ssh config"),
        Change("account", "created device"),
    ]
    assert summary_lines(changes) == [
        "On your AWS account:",
        "  • created device",
        "On this machine:",
        "  • wrote ssh config",
    ]
    assert summary_lines([])[1] == "  • nothing"


def test_recommendation_follows_policy_and_tools() -> None:
    every = ["https-helper", "https-git-credentials", "ssh", "grc"]
    assert recommend_method(every, aws_cli=True, grc=True) == "https-helper"
    assert recommend_method(every, aws_cli=False, grc=False) == "ssh"
    # breaks-git: only git-remote-codecommit with an MFA session gets through
    assert recommend_method(["grc"], aws_cli=True, grc=True) == "grc"
    assert recommend_method(["grc"], aws_cli=True, grc=False) is None


def test_small_helpers() -> None:
    assert group_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"
    assert clone_command("https://x/v1/repos/r", "r") == "git clone https://x/v1/repos/r r"
    expiry = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    text = describe_expiry(expiry, expiry.timestamp() - 3 * 3600 - 120)
    assert text == "until 2026-01-01 12:00 UTC (in 3 h 2 min)"
    help_text = stale_device_help("new-hire", "arn:aws:iam::1:mfa/new-hire")
    assert "onboard doctor --user new-hire" in help_text
    assert (
        "aws iam delete-virtual-mfa-device \\\n      --serial-number arn:aws:iam::1:mfa/new-hire"
        in (help_text)
    )


def test_oldest_key_prefers_inactive_then_oldest() -> None:
    from onboard.aws.models import SshPublicKey

    old = SshPublicKey("K1", "f", "Active", datetime(2020, 1, 1, tzinfo=UTC))
    inactive = SshPublicKey("K2", "f", "Inactive", datetime(2024, 1, 1, tzinfo=UTC))
    new = SshPublicKey("K3", "f", "Active", datetime(2025, 1, 1, tzinfo=UTC))
    assert oldest_key([new, old, inactive]) == inactive
    assert oldest_key([new, old]) == old
    assert oldest_key([]) is None
