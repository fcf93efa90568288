"""tasks.py installs once per change of pyproject.toml/constraints.txt, with the right extras."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    """tasks.py pointed at a scratch checkout whose venv exists; pip calls recorded."""
    spec = importlib.util.spec_from_file_location("tasks_under_test", ROOT / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("pyproject.toml", "constraints.txt"):
        (tmp_path / name).write_text(f"{name} v1\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("")  # the venv "exists": no venv is created
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(module, "BIN", bin_dir)
    monkeypatch.setattr(module, "STAMP", tmp_path / ".venv" / ".onboard-stamp")
    calls: list[list[str]] = []

    def run(*args: object, env: object = None) -> int:
        calls.append([str(a) for a in args])
        return 0

    monkeypatch.setattr(module, "_run", run)
    return module, calls


def test_app_installs_the_sandbox_and_tools_extras_once(
    tasks: tuple[ModuleType, list[list[str]]],
) -> None:
    module, calls = tasks
    module._ensure_venv("")
    module._ensure_venv("")
    assert len(calls) == 1
    assert calls[0][-2:] == ["-e", ".[sandbox,tools]"]
    assert calls[0][calls[0].index("-c") :][:2] == ["-c", "constraints.txt"]


def test_a_change_of_the_pins_reinstalls(
    tasks: tuple[ModuleType, list[list[str]]],
) -> None:
    module, calls = tasks
    module._ensure_venv("test")
    (module.ROOT / "constraints.txt").write_text("constraints.txt v2\n")
    module._ensure_venv("test")
    module._ensure_venv("test")
    assert [call[-1] for call in calls] == [".[test]", ".[test]"]


def test_the_test_install_serves_the_app_but_not_the_reverse(
    tasks: tuple[ModuleType, list[list[str]]],
) -> None:
    module, calls = tasks
    module._ensure_venv("")
    module._ensure_venv("test")
    module._ensure_venv("")
    assert [call[-1] for call in calls] == [".[sandbox,tools]", ".[test]"]


def test_the_editable_install_is_a_plain_path_not_an_import_hook(
    tasks: tuple[ModuleType, list[list[str]]],
) -> None:
    module, calls = tasks
    module._ensure_venv("test")
    assert "editable_mode=compat" in calls[0]


def test_a_failed_install_leaves_no_stamp(
    tasks: tuple[ModuleType, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _ = tasks
    monkeypatch.setattr(module, "_run", lambda *args, env=None: 1)
    with pytest.raises(SystemExit):
        module._ensure_venv("test")
    assert not module.STAMP.exists()
