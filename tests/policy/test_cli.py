"""`onboard policy ...` end to end through `onboard.cli.main`, on the shared fixtures."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from onboard.cli import main

OK = "force-mfa-codecommit-ok.json"
BREAKS = "force-mfa-breaks-git.json"
GRANTS = "codecommit-developer-grants.json"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_check_fixed_policy_with_grants_works(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, err = run(
        capsys, "policy", "check", str(policies_dir / OK), str(policies_dir / GRANTS), "--complete"
    )
    assert code == 0, err
    assert out.count("[ok  ]") == 4
    assert "codecommit-all-exempt" in out
    assert "git works and MFA is enforced (exit 0)" in out


def test_check_breaking_policy_with_grants_is_denied(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        "policy",
        "check",
        str(policies_dir / BREAKS),
        str(policies_dir / GRANTS),
        "--complete",
        "--json",
    )
    assert code == 1
    report = json.loads(out)
    denied = {m["method"] for m in report["methods"] if m["status"] == "denied"}
    assert denied == {"https-helper", "https-git-credentials", "ssh"}
    for method in report["methods"]:
        if method["status"] == "denied":
            assert {d["sid"] for d in method["deciding"]} == {"DenyAllExceptListedIfNoMFA"}


def test_check_mfa_policy_alone_and_options(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        "policy",
        "check",
        str(policies_dir / OK),
        "--json",
        "--region",
        "eu-west-1",
        "--account",
        "111122223333",
        "--user",
        "dev",
        "--repo",
        "app",
    )
    assert code == 0  # not granted is a note without --complete
    report = json.loads(out)
    assert report["target"] == {
        "account": "111122223333",
        "user": "dev",
        "region": "eu-west-1",
        "repo": "app",
    }
    assert {m["status"] for m in report["methods"]} == {"not-granted"}
    code, _, _ = run(capsys, "policy", "check", str(policies_dir / OK), "--complete")
    assert code == 1


def test_top_level_region_is_used(capsys: pytest.CaptureFixture[str], policies_dir: Path) -> None:
    code, out, _ = run(
        capsys, "--region", "ap-northeast-1", "policy", "check", str(policies_dir / OK), "--json"
    )
    assert code == 0
    assert json.loads(out)["target"]["region"] == "ap-northeast-1"


def test_check_grants_alone_mfa_not_enforced(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(capsys, "policy", "check", str(policies_dir / GRANTS))
    assert code == 2
    assert "MFA is not enforced (exit 2)" in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{\n  "Statement": [\n    {"Effect": "Allow",,}\n  ]\n}', "bad.json:3:24: invalid JSON"),
        ('{"Version": "2012-10-17"}', "bad.json: missing Statement"),
        (
            '{"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}',
            "bad.json: Statement[0].Effect",
        ),
        (
            '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", '
            '"Condition": {"Bogus": {"k": "v"}}}}',
            "unknown condition operator 'Bogus'",
        ),
    ],
)
def test_invalid_input_exit_3_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(capsys, "policy", "check", str(bad))
    assert code == 3
    assert out == ""
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_file_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "policy", "check", str(tmp_path / "nope.json"))
    assert code == 3
    assert "nope.json: cannot read: No such file or directory" in err


def test_fix_prints_patch_diff_and_recheck(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(capsys, "policy", "fix", str(policies_dir / BREAKS))
    assert code == 0
    assert '+        "codecommit:*"' in out
    assert '"kms:ViaService": true' in out
    assert "Re-checked with the engine" in out


def test_fix_json_is_the_document_alone(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(
        capsys, "policy", "fix", str(policies_dir / BREAKS), "--least-privilege", "--json"
    )
    assert code == 0
    patched = json.loads(out)
    not_action = patched["Statement"][3]["NotAction"]
    assert "codecommit:GitPull" in not_action and "codecommit:*" not in not_action


def test_fix_without_mfa_deny_exit_3(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, _, err = run(capsys, "policy", "fix", str(policies_dir / GRANTS))
    assert code == 3
    assert "no Deny statement" in err


def test_simulate_file_and_stdin(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    policies_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mfa = json.loads((policies_dir / BREAKS).read_text())
    batch = [
        {
            "id": "a",
            "identityPolicies": [mfa],
            "action": "codecommit:GitPull",
            "resource": "arn:aws:codecommit:us-east-1:123456789012:r",
            "principal": "arn:aws:iam::123456789012:user/alice",
        },
        {
            "id": "b",
            "identityPolicies": [mfa],
            "action": "iam:EnableMFADevice",
            "resource": "arn:aws:iam::123456789012:user/alice",
            "principal": "arn:aws:iam::123456789012:user/alice",
        },
        {"id": "c"},
    ]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(batch))
    code, out, _ = run(capsys, "policy", "simulate", str(path))
    assert code == 0
    results = json.loads(out)
    assert [(r["id"], r["decision"]) for r in results] == [
        ("a", "ExplicitlyDenied"),
        ("b", "Allowed"),
        ("c", None),
    ]
    assert results[2]["error"]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(batch[:1])))
    code, out, _ = run(capsys, "policy", "simulate", "-")
    assert code == 0 and json.loads(out)[0]["decision"] == "ExplicitlyDenied"
    monkeypatch.setattr("sys.stdin", io.StringIO("[{"))
    code, _, err = run(capsys, "policy", "simulate")
    assert code == 3 and "<stdin>:1:3: invalid JSON" in err


def test_usage_errors_exit_3_not_2(capsys: pytest.CaptureFixture[str]) -> None:
    # 2 means "MFA not enforced" for `policy check`: a usage error must not look like it.
    assert main(["policy", "check"]) == 3  # no policy at all: nothing to judge
    assert "POLICY.json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["policy", "check", "--no-such-flag"])
    assert caught.value.code == 3
    assert main(["policy"]) == 3


def test_check_reads_aws_cli_output_and_boundaries(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policies_dir: Path
) -> None:
    document = json.loads((policies_dir / BREAKS).read_text())
    wrapped = tmp_path / "version.json"
    wrapped.write_text(json.dumps({"PolicyVersion": {"Document": document, "VersionId": "v1"}}))
    encoded = tmp_path / "role-policy.json"
    from urllib.parse import quote

    encoded.write_text(
        json.dumps({"PolicyName": "mfa", "PolicyDocument": quote(json.dumps(document))})
    )
    for path in (wrapped, encoded):
        code, out, _ = run(capsys, "policy", "check", str(path), "--json")
        assert code == 1
        assert json.loads(out)["methods"][0]["status"] == "denied"
    boundary = tmp_path / "boundary.json"
    boundary.write_text(
        json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}})
    )
    args = [str(policies_dir / OK), str(policies_dir / GRANTS), "--complete", "--json"]
    code, out, _ = run(capsys, "policy", "check", *args, "--boundary", str(boundary))
    assert code == 1
    assert {m["status"] for m in json.loads(out)["methods"]} == {"not-granted"}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--account", "12345", "12-digit"), ("--user", "a b", "--user"), ("--repo", "x/y", "--repo")],
)
def test_bad_target_options_exit_3(
    capsys: pytest.CaptureFixture[str], policies_dir: Path, option: str, value: str, message: str
) -> None:
    code, _, err = run(capsys, "policy", "check", str(policies_dir / OK), option, value)
    assert code == 3 and message in err


def test_fix_on_an_already_fixed_policy_changes_nothing(
    capsys: pytest.CaptureFixture[str], policies_dir: Path
) -> None:
    code, out, _ = run(capsys, "policy", "fix", str(policies_dir / OK))
    assert code == 0
    assert "Nothing to change" in out and "---" not in out


@pytest.mark.parametrize(
    ("files", "complete", "code", "summary"),
    [
        ([OK, GRANTS], False, 0, "git works and MFA is enforced (exit 0)"),
        (
            [OK],
            False,
            0,
            "nothing here denies git and MFA is enforced (exit 0); "
            "git still needs the grants noted above",
        ),
        ([OK], True, 1, "git is not granted by this complete set of policies (exit 1)"),
        ([BREAKS], False, 1, "git is denied (exit 1)"),
        ([BREAKS, GRANTS], True, 1, "git is denied (exit 1)"),
        ([GRANTS], False, 2, "git works, but MFA is not enforced (exit 2)"),
    ],
)
def test_exit_codes_and_summaries(
    capsys: pytest.CaptureFixture[str],
    policies_dir: Path,
    files: list[str],
    complete: bool,
    code: int,
    summary: str,
) -> None:
    paths = [str(policies_dir / name) for name in files]
    flags = ["--complete"] if complete else []
    got, out, _ = run(capsys, "policy", "check", *paths, *flags)
    assert (got, out.rstrip().splitlines()[-1]) == (code, f"Result: {summary}.")
    got, out, _ = run(capsys, "policy", "check", *paths, *flags, "--json")
    report = json.loads(out)
    assert (got, report["exitCode"], report["complete"]) == (code, code, complete)
    assert set(report) == {
        "policies",
        "target",
        "complete",
        "scps",
        "mfaSessionDuration",
        "exitCode",
        "gitWorks",
        "mfaEnforced",
        "methods",
        "mfa",
        "findings",
    }
    assert report["gitWorks"] is (code != 1) and report["mfaEnforced"] is (code != 2)
    assert [m["method"] for m in report["methods"]] == [
        "https-helper",
        "https-git-credentials",
        "ssh",
        "grc",
    ]


def test_fix_that_cannot_pass_prints_no_patch_and_exits_like_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "hostile.json"
    mfa_deny = {
        "Effect": "Deny",
        "NotAction": "iam:*",
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    }
    no_git = {"Effect": "Deny", "Action": "codecommit:Git*", "Resource": "*"}
    hostile.write_text(json.dumps({"Version": "2012-10-17", "Statement": [mfa_deny, no_git]}))
    for flags in ([], ["--json"]):
        code, out, err = run(capsys, "policy", "fix", str(hostile), *flags)
        assert (code, out) == (1, "")
        assert "does not pass its own check" in err


def test_a_file_larger_than_any_iam_policy_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, policies_dir: Path
) -> None:
    # Padding keeps the document valid: only its size is wrong (AWS caps policies at 10,240
    # characters), so the refusal must come before minutes of parsing and checking.
    huge = tmp_path / "huge.json"
    huge.write_text((policies_dir / OK).read_text() + " " * 2_000_000)
    for command in ("check", "fix"):
        code, out, err = run(capsys, "policy", command, str(huge))
        assert code == 3
        assert out == ""
        assert "huge.json: 2,00" in err and "larger than any IAM policy" in err
        assert "Traceback" not in err


def test_output_into_a_closed_pipe_is_not_a_traceback(tmp_path: Path, policies_dir: Path) -> None:
    import subprocess
    import sys

    document = json.loads((policies_dir / BREAKS).read_text())
    batch = [
        {"id": str(n), "identityPolicies": [document], "action": "s3:GetObject", "resource": "*"}
        for n in range(300)
    ]
    requests = tmp_path / "requests.json"
    requests.write_text(json.dumps(batch))
    code = "import sys; from onboard.cli import main; sys.exit(main(sys.argv[1:]))"
    for argv in (["simulate", str(requests)],):
        # `onboard policy ... | head -1`: the reader goes away after the first line.
        process = subprocess.Popen(
            [sys.executable, "-c", code, "policy", *argv],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None and process.stderr is not None
        process.stdout.readline()
        process.stdout.close()
        err = process.stderr.read()
        process.stderr.close()
        returncode = process.wait(timeout=60)
        assert "Traceback" not in err and "BrokenPipe" not in err, err
        assert returncode in (0, 1, 141), (argv, returncode, err)
