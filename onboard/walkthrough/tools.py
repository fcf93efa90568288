"""The program each git method runs, checked before the method is configured.

A missing `aws` or `git-remote-codecommit` makes git fail later with a
message about signing or remote helpers; saying it before configuring,
with the install command, keeps it from being mistaken for a policy problem.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping

from onboard.errors import OnboardError

# method -> (program git runs, how to install it)
METHOD_TOOLS: dict[str, tuple[str, str]] = {
    "https-helper": ("aws", "pip install awscli   (or AWS CLI v2: https://aws.amazon.com/cli/)"),
    "grc": ("git-remote-codecommit", "pip install git-remote-codecommit"),
}


class MissingTool(OnboardError):
    """The method needs a program that is not on the PATH git sees."""

    exit_code = 3


def install_command(method: str) -> str | None:
    """How to install what `method` needs (None: it needs nothing beyond git/ssh)."""
    tool = METHOD_TOOLS.get(method)
    return tool[1] if tool else None


def require_tool(method: str, env: Mapping[str, str]) -> None:
    """Raise `MissingTool` when `method`'s program is not on the PATH in `env`."""
    tool = METHOD_TOOLS.get(method)
    if tool is None:
        return
    program, install = tool
    if shutil.which(program, path=env.get("PATH")) is None:
        raise MissingTool(
            f"`{program}` is not installed (not on the PATH git uses)",
            f"git runs `{program}` for this method and would fail without it",
            f"install it: {install}; then press Configure git again",
        )
