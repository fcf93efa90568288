"""The `onboard` console script: the core CLI, with the TUI as its default command.

Textual is imported only when the TUI actually starts, so `onboard --help`
and the non-interactive subcommands stay fast.
"""

from __future__ import annotations

import argparse
import gc
import sys

from onboard.cli import main as cli_main


def launch_tui(args: argparse.Namespace) -> int:
    if getattr(args, "tui", None) == "audit":
        from screens.audit import run_audit_app

        return run_audit_app(args)
    from screens.app import run_app

    return run_app(args)


def main() -> int:
    code = cli_main(launch_tui=launch_tui)
    # The process ends now: the interpreter's last garbage collection would walk every
    # object still alive (imported modules, a batch's caches) to find nothing worth it,
    # about 10 ms after `policy simulate`. Python never promised finalizers at exit.
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(main())
