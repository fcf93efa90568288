"""The TUI's last line of defence: an unexpected error shows no traceback with locals.

Textual prints an unhandled error as a Rich traceback *with local
variables*, which can hold the MFA seed or a session token. Apps mix in
`RedactedCrash`: one line names a redacted 0600 report (`onboard.crash`),
and the app's return code is 70.
"""

from __future__ import annotations

import sys
from typing import Any


class RedactedCrash:
    """Mixin for a Textual `App`: replaces `_fatal_error` (Textual's traceback printer)."""

    def _fatal_error(self) -> None:
        from rich.text import Text

        from onboard.crash import EXIT_INTERNAL, crash_report, write_report

        app: Any = self  # a Textual App (the mixin is listed before App)
        error = sys.exc_info()[1] or app._exception or RuntimeError("internal error")
        try:
            where = f"the full report is in {write_report(crash_report(error))}"
        except Exception:  # the report must never crash in turn
            where = "no report could be written"
        app.bell()
        app._exit_renderables.append(
            Text(f"onboard: internal error ({type(error).__name__}); {where}")
        )
        app._return_code = EXIT_INTERNAL
        app._close_messages_no_wait()
