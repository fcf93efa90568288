#!/usr/bin/env python3
"""The README's two commands: `python3 tasks.py app` and `python3 tasks.py test`.

Needs only python3 (>= 3.11) and git. It makes `.venv/` beside this file,
installs the project from its own files (pinned by constraints.txt) with the
`sandbox` and `tools` extras (`test` adds the test tools) and runs:

  app  [ARGS...]  the TUI against the embedded sandbox account
                  (`onboard --sandbox ARGS...`)
  test [PYTEST ARGS...]  ruff, ruff format --check, mypy --strict, the
                  import contracts, then the whole pytest suite
  onboard ARGS... any `onboard` command inside the venv
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".onboard-stamp"


def _python() -> Path:
    return BIN / ("python.exe" if os.name == "nt" else "python")


def _run(*args: str | Path, env: dict[str, str] | None = None) -> int:
    return subprocess.call([str(a) for a in args], cwd=ROOT, env=env)


def _ensure_venv(extra: str) -> None:
    """Create the venv and install the project once per change of its files.

    `extra` is "test" (everything) or "" (the app: the sandbox and the AWS CLI
    and git-remote-codecommit that the walkthrough's git methods run).
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - tasks.py runs before the venv exists
        sys.exit(f"onboard needs Python >= 3.11, this is {sys.version.split()[0]}")
    if not _python().exists():
        print(f"Creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = ".[test]" if extra == "test" else ".[sandbox,tools]"
    # compat: the editable install is a plain path in a .pth file. The default
    # (an import hook) costs every Python start in the venv ~20 ms, half of what
    # `onboard --help` may take, and is not what a user's install does.
    editable = ["--config-settings", "editable_mode=compat", "-e"]
    digest = hashlib.sha256(" ".join(editable).encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    wanted = f"{extra}:{digest.hexdigest()}"
    have = STAMP.read_text() if STAMP.exists() else ""
    if wanted in have.split() or (
        extra == "" and have.startswith("test:") and have.endswith(digest.hexdigest())
    ):
        return
    print(f"Installing onboard ({target}) into {VENV} ...", flush=True)
    code = _run(
        _python(),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-q",
        "-c",
        "constraints.txt",
        *editable,
        target,
    )
    if code:
        sys.exit(code)
    STAMP.write_text(wanted)


def _ready(extra: str) -> None:
    """`_ensure_venv`, then the bytecode of the project's own modules, as pip writes it for
    an installed package: the editable install runs them from this tree, and with
    PYTHONDONTWRITEBYTECODE set (as on CI) every start would compile them again."""
    _ensure_venv(extra)
    subprocess.call(
        [str(_python()), "-m", "compileall", "-q", "onboard", "screens"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def test(args: list[str]) -> int:
    _ready("test")
    env = _env()
    steps: list[list[str | Path]] = [
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy", "--strict", "onboard"],
        [BIN / "lint-imports"],
    ]
    for step in steps:
        print(
            "$",
            " ".join(str(s) for s in step[0:1]).rsplit("/", 1)[-1],
            " ".join(str(s) for s in step[1:]),
            flush=True,
        )
        code = _run(*step, env=env)
        if code:
            return code
    # Two workers for the two cores CI has; explicit pytest arguments run as given.
    pytest_args = args or ["-n", "2"]
    return _run(BIN / "pytest", *pytest_args, env=env)


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "test":
        return test(rest)
    if command == "app":
        _ready("")
        return _run(BIN / "onboard", "--sandbox", *rest, env=_env())
    if command == "onboard":
        _ready("")
        return _run(BIN / "onboard", *rest, env=_env())
    print(f"unknown command {command!r}; use app, test or onboard", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
