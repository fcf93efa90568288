"""What the terminal keeps after the walkthrough exits: changes, clone, request, warnings."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from onboard.walkthrough.admin import AdminRequest
from onboard.walkthrough.steps import Change, summary_lines


def exit_summary(
    changes: Iterable[Change],
    *,
    clone: str | None,
    admin: AdminRequest | None,
    admin_saved: Path | None = None,
    warning: str = "",
    sandbox: bool = False,
) -> str:
    """The text printed when the app exits (no secrets: changes are descriptions only)."""
    lines = ["onboard: what this run did", *summary_lines(changes)]
    if clone:
        lines += ["", "Get your code:", f"  {clone}"]
        if sandbox:
            lines.append("  (sandbox: its account and home stopped with onboard)")
    if warning:
        lines += ["", f"Warning: {warning}"]
    if admin is not None:
        lines += ["", admin.sentence(key=None)]
        if admin_saved is not None:
            lines.append(f"The request is saved in {admin_saved}.")
        lines += ["", admin.markdown().rstrip("\n")]
    lines += ["", "If git stops working: onboard doctor"]
    return "\n".join(lines) + "\n"
