"""The light install: the wheel with only its core dependencies works without moto.

The wheel is built from the project's files (no build isolation: offline) and
installed with `--no-deps` into a fresh venv. That venv then gets exactly the
distributions the wheel's core `Requires-Dist` lines reach, linked from this
test environment: the same versions CI pins, nothing from the `sandbox`,
`tools` or `test` extras, and no network. A core dependency missing from
pyproject.toml, or a core path that imports moto, fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent.parent
POLICY = ROOT / "onboard" / "sandbox" / "policies" / "force-mfa-breaks-git.json"
SANDBOX_ONLY = ("moto", "flask", "flask_cors", "werkzeug", "asyncssh", "awscli")
# Offline: nothing is downloaded, so the test runs the same from pip's cache or none.
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
GIT_403 = (
    "fatal: unable to access 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/app/': "
    "The requested URL returned error: 403\n"
)


def pip(args: list[str]) -> None:
    """Run this environment's pip; its own message if it fails."""
    result = subprocess.run([*PIP, *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def build_wheel(dest: Path) -> Path:
    """`pip wheel` of a copy of the sources (an in-tree build would litter the checkout)."""
    source = dest / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for package in ("onboard", "screens"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip(["wheel", "--no-index", "--no-deps", "--no-build-isolation", "-w", str(dest), str(source)])
    (wheel,) = dest.glob("onboard-*.whl")
    return wheel


def core_requirements(wheel: Path) -> list[Requirement]:
    """The wheel's own Requires-Dist lines that apply without any extra."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(name).decode())
    requirements = [Requirement(line) for line in headers.get_all("Requires-Dist") or []]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]


def closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the requirements reach, as installed in this environment."""
    reached: dict[str, set[str]] = {}
    pending = [(r.name, set(r.extras)) for r in roots]
    while pending:
        name, extras = pending.pop()
        key = canonicalize_name(name)
        if key in reached and extras <= reached[key]:
            continue
        reached.setdefault(key, set()).update(extras)
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            wanted = {""} | reached[key]
            if requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in wanted
            ):
                pending.append((requirement.name, set(requirement.extras)))
    return set(reached)


def link_distribution(name: str, site_packages: Path) -> None:
    """Make one installed distribution importable in another venv (symlinks, no copy)."""
    distribution = metadata.distribution(name)
    assert distribution.files is not None, f"{name} has no RECORD"
    tops = {path.parts[0] for path in distribution.files if path.parts[0] not in ("..", "")}
    for top in tops - {"__pycache__"}:
        target = site_packages / top
        if not target.exists():
            target.symlink_to(Path(str(distribution.locate_file(top))))


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding the onboard wheel and only its core dependencies."""
    work = tmp_path_factory.mktemp("core-install")
    wheel = build_wheel(work)
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env_dir)
    python = env_dir / "bin" / "python"
    pip(["--python", str(python), "install", "--no-index", "--no-deps", str(wheel)])
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    names = closure(core_requirements(wheel))
    assert "moto" not in names and "asyncssh" not in names, sorted(names)
    for name in names:
        link_distribution(name, site_packages)
    return env_dir


def run(env_dir: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run a command of the core venv, with nothing of this environment leaking in."""
    env = {
        "PATH": f"{env_dir / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(env_dir),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [str(env_dir / "bin" / args[0]), *args[1:]],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=env_dir,
        timeout=60,
    )


def test_core_venv_lacks_the_sandbox_modules(core_venv: Path) -> None:
    code = f"import importlib.util as u; print([m for m in {SANDBOX_ONLY!r} if u.find_spec(m)])"
    result = run(core_venv, "python", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_help_lists_every_command_without_moto(core_venv: Path) -> None:
    from onboard.cli import SUBCOMMANDS

    result = run(core_venv, "onboard", "--help")
    assert result.returncode == 0, result.stderr
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in result.stdout, name


def test_policy_check_judges_a_policy_without_moto(core_venv: Path) -> None:
    result = run(core_venv, "onboard", "policy", "check", str(POLICY))
    assert result.returncode == 1, result.stderr  # 1: git denied, the policy's verdict
    assert "[DENY] SSH" in result.stdout
    assert "codecommit-not-exempt" in result.stdout


def test_explain_names_the_cause_without_moto(core_venv: Path) -> None:
    result = run(core_venv, "onboard", "explain", stdin=GIT_403)
    assert result.returncode == 0, result.stderr
    assert "[mfa-policy-denies-git]" in result.stdout


def test_the_walkthrough_imports_without_moto(core_venv: Path) -> None:
    result = run(core_venv, "python", "-c", "import screens.app, onboard.aws.gateway")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [("--sandbox",), ("sandbox",), ("--sandbox", "doctor"), ("--sandbox", "mfa", "lost")],
)
def test_sandbox_without_the_extra_names_the_install_command(
    core_venv: Path, args: tuple[str, ...]
) -> None:
    result = run(core_venv, "onboard", *args)
    assert result.returncode == 3
    assert "The sandbox is not installed (missing: moto" in result.stderr
    assert "pip install 'onboard[sandbox]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_completion_works_in_the_core_install(core_venv: Path) -> None:
    result = run(core_venv, "onboard", "completion", "bash")
    assert result.returncode == 0, result.stderr
    assert "policy" in result.stdout and "explain" in result.stdout
