"""Whether the `sandbox` extra is installed, and the message when it is not.

`pip install onboard` is the light install for real accounts: moto, Flask and
asyncssh come only with `onboard[sandbox]`. Asking for the sandbox without
them gets the install command (exit code 3), never an ImportError traceback.
"""

from __future__ import annotations

from importlib.util import find_spec

from onboard.errors import OnboardError

# The top-level modules the sandbox imports that only the extra installs.
SANDBOX_MODULES = ("moto", "flask", "flask_cors", "werkzeug", "asyncssh")
INSTALL_COMMAND = "pip install 'onboard[sandbox]'"


class SandboxNotInstalled(OnboardError):
    """The sandbox was asked for, but the `sandbox` extra is not installed."""

    exit_code = 3


def missing_modules() -> list[str]:
    """The sandbox's modules that this Python cannot import (empty: installed)."""
    return [name for name in SANDBOX_MODULES if find_spec(name) is None]


def not_installed(missing: list[str]) -> SandboxNotInstalled:
    """The error that names what is missing and the one command that installs it."""
    return SandboxNotInstalled(
        f"The sandbox is not installed (missing: {', '.join(missing)}).",
        why=(
            "the embedded AWS account runs on moto, Flask and asyncssh, which the light "
            "install for real accounts (pip install onboard) leaves out"
        ),
        next_step=(
            f"{INSTALL_COMMAND}  (with pipx: pipx install --force 'onboard[sandbox]'; "
            "in a checkout: python3 tasks.py app)"
        ),
    )


def require_sandbox_extra() -> None:
    """Raise `SandboxNotInstalled` unless every module the sandbox needs is importable."""
    missing = missing_modules()
    if missing:
        raise not_installed(missing)
