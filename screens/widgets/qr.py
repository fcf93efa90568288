"""A QR code drawn with half-block characters, scannable on dark and light themes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text
from textual.containers import ScrollableContainer
from textual.geometry import Size
from textual.widget import Widget

# Scanners need dark modules on a light background whatever the theme is, so
# the code itself uses fixed black-on-white rather than theme variables.
_QR_STYLE = Style(color="black", bgcolor="white")


class QrPanel(Widget):
    """Shows pre-rendered QR lines, or says how big the terminal must be when it is too small.

    `reserve` is the room the rest of the screen needs beside and around the
    code (columns, rows); the code is drawn only when the whole terminal has
    room for both.
    """

    DEFAULT_CSS = """
    QrPanel {
        width: auto;
        height: auto;
        padding: 0;
    }
    QrPanel.-too-small {
        border: round $warning;
        padding: 0 1;
        color: $text-warning;
        width: 40;
    }
    """

    def __init__(
        self,
        lines: Sequence[str] = (),
        *,
        reserve: tuple[int, int] = (30, 8),
        reveal_key: str = "ctrl+s",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.reveal_key = reveal_key
        self.lines = tuple(lines)
        self.reserve = reserve

    @property
    def needed(self) -> Size:
        """The terminal size needed to show the code and the rest of the screen."""
        width = max((len(line) for line in self.lines), default=0)
        return Size(width + self.reserve[0], len(self.lines) + self.reserve[1])

    def fits(self, terminal: Size) -> bool:
        """Whether the code has room: the real room on screen once laid out, else an estimate.

        The lines include the quiet zone, which scanners need as much as the modules.
        """
        room = self.room()
        if room is not None:
            width = max((len(line) for line in self.lines), default=0)
            return room.width >= width and room.height >= len(self.lines)
        needed = self.needed
        return terminal.width >= needed.width and terminal.height >= needed.height

    def room(self) -> Size | None:
        """The visible room below the panel's top in its scrolling container, beside its
        siblings; None before the first layout or outside a scrolling container."""
        body = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        parent = self.parent
        if body is None or not isinstance(parent, Widget) or not self.region.width:
            return None
        viewport = body.content_region
        top = self.region.y - viewport.y + int(body.scroll_y)
        beside = sum(
            sibling.outer_size.width
            for sibling in parent.children
            if sibling is not self and sibling.display
        )
        return Size(parent.content_region.width - beside, viewport.height - top)

    def set_lines(self, lines: Sequence[str]) -> None:
        """Replace the code (e.g. after a new device was created)."""
        self.lines = tuple(lines)
        self.refresh(layout=True)

    def on_resize(self) -> None:
        self.refresh(layout=True)

    def too_small_message(self) -> str:
        terminal = self.app.size
        needed = self.needed
        short = []
        if terminal.width < needed.width:
            short.append(f"{needed.width} columns")
        if terminal.height < needed.height:
            short.append(f"{needed.height} rows")
        return (
            f"The QR code needs at least {' and '.join(short)}; this terminal is "
            f"{terminal.width}x{terminal.height}. Enlarge the window, or press "
            f"{self.reveal_key} for the secret to type into your app."
        )

    def render(self) -> Text:
        fits = self.fits(self.app.size)
        if fits == self.has_class("-too-small"):
            # Laid out for the other answer (the room is known only after a layout).
            self.set_class(not fits, "-too-small")
            self.call_after_refresh(self.refresh, layout=True)
        if not fits:
            return Text(self.too_small_message())
        return Text("\n".join(self.lines), style=_QR_STYLE, no_wrap=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        if not self.fits(self.app.size):
            return 38
        return max((len(line) for line in self.lines), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not self.fits(self.app.size):
            return len(Text(self.too_small_message()).wrap(self.app.console, max(width, 1)))
        return len(self.lines)
