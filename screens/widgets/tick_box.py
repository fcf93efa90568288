"""Check and radio boxes that are empty when off (Textual draws a dim X or ●, read as "on")."""

from __future__ import annotations

from typing import Any

from textual.widgets import Checkbox, RadioButton


class TickBox(Checkbox):
    """`▐✓▌` when ticked, `▐ ▌` when not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = "✓" if self.value else " "

    def watch_value(self) -> None:
        """The glyph inside the box follows the value."""
        self.BUTTON_INNER = "✓" if self.value else " "
        super().watch_value()


class Choice(RadioButton):
    """A radio button that is empty when not chosen (`▐●▌` only for the chosen one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = "●" if self.value else " "

    def watch_value(self) -> None:
        """The glyph inside follows the value."""
        self.BUTTON_INNER = "●" if self.value else " "
        super().watch_value()
