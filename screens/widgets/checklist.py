"""The always-visible checklist of the walkthrough's seven steps."""

from __future__ import annotations

from collections.abc import Collection

from textual.widgets import Static

from onboard.walkthrough.steps import STEPS, StepId

_MARKS = {"done": "✓", "current": "▶", "pending": "·", "failed": "✗", "skipped": "–"}
_STYLES = {
    "done": "$text-success",
    "skipped": "$text-muted",
    "current": "bold $text-accent",
    "failed": "bold $text-error",
    "pending": "$text-muted",
}


class Checklist(Static):
    """Seven numbered steps: done (✓), current (▶), failed (✗), skipped (–) or pending (·)."""

    DEFAULT_CSS = """
    Checklist {
        width: 26;
        height: auto;
        padding: 1 1;
        border: round $primary;
        border-title-color: $text-primary;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "Steps"
        self.current: StepId = "identity"
        self.done: frozenset[StepId] = frozenset()
        self.failed: frozenset[StepId] = frozenset()
        self.skipped: frozenset[StepId] = frozenset()

    def on_mount(self) -> None:
        self.update(self.render_steps())

    def show(
        self,
        current: StepId,
        done: Collection[StepId],
        failed: Collection[StepId] = (),
        skipped: Collection[StepId] = (),
    ) -> None:
        """Redraw with `current` highlighted and the given steps marked."""
        self.current = current
        self.done = frozenset(done)
        self.failed = frozenset(failed)
        self.skipped = frozenset(skipped)
        self.update(self.render_steps())

    def mark(self, step_id: StepId) -> str:
        """The state word of one step: failed, done, skipped, current or pending (that order)."""
        if step_id in self.failed:
            return "failed"
        if step_id in self.done:
            return "done"
        if step_id in self.skipped:
            return "skipped"  # left out on purpose, not still to do
        if step_id == self.current:
            return "current"
        return "pending"

    def render_steps(self) -> str:
        """Content markup of the list, coloured with theme variables."""
        lines = []
        for number, item in enumerate(STEPS, start=1):
            state = self.mark(item.id)
            style = _STYLES[state]
            if item.id == self.current and state != "current":
                style = f"bold {style}"  # a done or failed step being looked at again
            lines.append(f"[{style}]{_MARKS[state]} {number}. {item.title}[/]")
        return "\n".join(lines)
