"""`onboard --help` lists every command without importing any; the command given loads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from onboard import cli
from onboard.cli import SUBCOMMANDS, SUMMARIES, build_parser, main
from onboard.sandbox import installed

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_has_a_summary() -> None:
    missing = sorted(set(SUBCOMMANDS) - set(SUMMARIES))
    assert missing == [], f"add these to onboard.cli.SUMMARIES: {missing}"


def test_lazy_help_reads_exactly_like_the_full_parsers_help(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert build_parser(commands=()).format_help() == build_parser().format_help()


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_command_module(flag: str) -> None:
    code = (
        "import sys\n"
        "from onboard.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in sys.modules if m.startswith('onboard.')]\n"
        "print('LOADED:', *sorted(set(loaded) - {'onboard.cli', 'onboard.errors'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip().splitlines()[-1] == "LOADED:"


def test_the_command_given_after_global_options_is_loaded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--profile", "dev", "--region", "eu-west-1", "completion", "bash"]) == 0
    assert "_shtab_onboard" in capsys.readouterr().out


def test_subcommand_help_is_the_commands_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["policy", "check", "--help"])
    assert exit_info.value.code == 0
    assert "--least-privilege" not in (out := capsys.readouterr().out)
    assert "--boundary" in out


def test_a_missing_sandbox_module_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import onboard.completion

    def needs_moto(_args: object) -> int:
        raise ModuleNotFoundError("No module named 'moto'", name="moto")

    monkeypatch.setattr(onboard.completion, "run", needs_moto)
    assert main(["completion", "bash"]) == 3
    err = capsys.readouterr().err
    assert "The sandbox is not installed (missing: moto)" in err
    assert "pip install 'onboard[sandbox]'" in err


def test_any_other_missing_module_is_a_bug_not_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import onboard.completion

    def needs_nothing_known(_args: object) -> int:
        raise ModuleNotFoundError("No module named 'nosuch'", name="nosuch")

    monkeypatch.setattr(onboard.completion, "run", needs_nothing_known)
    monkeypatch.setenv("HOME", str(tmp_path))  # where a crash report may be written
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    try:
        code: int | None = main(["completion", "bash"])
    except ModuleNotFoundError:
        code = None  # propagated: a bug, reported as one
    assert code != 3
    assert "sandbox is not installed" not in capsys.readouterr().err


def test_sandbox_flag_checks_the_extra_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(installed, "find_spec", lambda name: None if name == "asyncssh" else 1)
    assert main(["--sandbox", "completion", "bash"]) == 3
    err = capsys.readouterr().err
    assert "missing: asyncssh" in err
    assert "Traceback" not in err


def test_the_sandbox_extra_is_installed_in_the_test_environment() -> None:
    assert installed.missing_modules() == []


def test_sandbox_modules_listed_once_for_the_cli_and_the_check() -> None:
    assert set(installed.SANDBOX_MODULES) == cli._SANDBOX_ONLY_MODULES
