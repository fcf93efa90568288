"""A checkbox that is empty when unticked (Textual's shows a dim X, read as "ticked")."""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox


class TickBox(Checkbox):
    """`▐✓▌` when ticked, `▐ ▌` when not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = "✓" if self.value else " "

    def watch_value(self) -> None:
        """The glyph inside the box follows the value."""
        self.BUTTON_INNER = "✓" if self.value else " "
        super().watch_value()
