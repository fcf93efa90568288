"""An internal error, as the user sees it: one line, a private report file, exit 70.

No traceback reaches the terminal. The full report (traceback without
local variables, version, platform, command line) is redacted with
`onboard.secret.redact` and written 0600 to `crash_dir()`, which the line
names so a helpdesk ticket can attach it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from onboard.secret import redact

EXIT_INTERNAL = 70
"""sysexits' EX_SOFTWARE: onboard itself failed (a bug), not the user's input or AWS."""
CRASH_DIR_ENV = "ONBOARD_CRASH_DIR"


def crash_dir() -> Path:
    """Where crash reports go: $ONBOARD_CRASH_DIR, else $XDG_STATE_HOME/onboard.

    Without XDG_STATE_HOME: ~/.local/state/onboard.
    """
    if os.environ.get(CRASH_DIR_ENV):
        return Path(os.environ[CRASH_DIR_ENV])
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "onboard"


def crash_report(error: BaseException, argv: list[str] | None = None) -> str:
    """The redacted text of a crash report for `error`."""
    from onboard import __version__

    lines = [
        f"onboard {__version__} internal error",
        f"time: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        f"command: onboard {' '.join(sys.argv[1:] if argv is None else argv)}",
        "",
        "".join(traceback.format_exception(error)),
    ]
    return redact("\n".join(lines))


def write_report(text: str) -> Path:
    """Write `text` to a new 0600 file in `crash_dir()` (a temp folder if that fails)."""
    name = f"crash-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}.txt"
    for folder in (crash_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    raise OSError("no folder to write the crash report in")


def report_crash(error: BaseException | None = None, argv: list[str] | None = None) -> int:
    """Report an internal error (the one being handled by default); returns 70."""
    if error is None:
        error = sys.exc_info()[1]
    if error is None:
        error = RuntimeError("internal error")
    try:
        where = f"the full report is in {write_report(crash_report(error, argv))}"
    except Exception:  # the report must never crash in turn
        where = "no report could be written"
    message = (
        f"onboard: internal error ({type(error).__name__}); this is a bug in onboard. "
        f"{where}; please attach it to a ticket"
    )
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)
    return EXIT_INTERNAL
