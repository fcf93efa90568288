"""`onboard completion`: the scripts complete every command, as the shell runs them."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from onboard.cli import SUBCOMMANDS, main
from onboard.completion import INSTALL_COMMANDS, SHELLS, script

ROOT = Path(__file__).resolve().parent.parent


def bash_complete(words: list[str]) -> list[str]:
    """What bash offers at the end of `words` (the last may be a partial word)."""
    line = " ".join(words)
    code = (
        script("bash")
        + f"\nCOMP_WORDS=({' '.join(shlex.quote(w) for w in words)})"
        + f"\nCOMP_CWORD={len(words) - 1}\nCOMP_LINE={shlex.quote(line)}\nCOMP_POINT={len(line)}"
        + '\n_shtab_onboard\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = subprocess.run(
        ["bash", "--norc", "--noprofile"], input=code, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_bash_completes_every_command() -> None:
    assert bash_complete(["onboard", ""]) == list(SUBCOMMANDS)


def test_bash_completes_subcommands_after_global_options() -> None:
    assert bash_complete(["onboard", "--profile", "dev", "policy", ""]) == [
        "check",
        "fix",
        "simulate",
    ]


def test_bash_completes_a_commands_options() -> None:
    assert bash_complete(["onboard", "doctor", "--js"]) == ["--json"]
    assert bash_complete(["onboard", "completion", ""]) == ["bash", "zsh", "fish"]


def test_policy_files_complete_as_file_names() -> None:
    assert "_shtab_onboard_policy_check_pos_0_COMPGEN=_shtab_compgen_files" in script("bash")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_cover_every_command(shell: str) -> None:
    text = script(shell)
    for name in SUBCOMMANDS:
        assert name in text, name
    # a global option and one of a command's (fish writes `-l show-secret`)
    assert "scenario" in text and "show-secret" in text


def test_fish_script_registers_completions_for_onboard() -> None:
    assert "complete -c onboard" in script("fish")


def test_completion_command_prints_the_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    assert capsys.readouterr().out.startswith("#compdef onboard")


def test_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["completion", "powershell"])
    assert exit_info.value.code == 3
    assert "invalid choice: 'powershell'" in capsys.readouterr().err


def test_help_and_readme_show_where_each_shell_reads_its_script(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["completion", "--help"])
    help_text = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text()
    assert set(INSTALL_COMMANDS) == set(SHELLS)
    for command in INSTALL_COMMANDS.values():
        assert command in help_text
        assert command in readme
