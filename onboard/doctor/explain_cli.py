"""`onboard explain [--method M] [--json] [FILE|-]`: why did that git command fail?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onboard.doctor import METHODS
from onboard.files import read_bounded, read_stream

if TYPE_CHECKING:
    from onboard.doctor.explain import Explanation

EXIT_RECOGNIZED = 0
EXIT_UNKNOWN = 1

READ_LIMIT = 1024 * 1024
"""Most bytes explain reads: stdin is cut there, a larger FILE is refused (exit 3)."""
TEXT_LIMIT = 64 * 1024
"""Most bytes explain judges (the end of the output; matching 64 KiB takes ~0.4 s)."""


def register(subparsers: Any) -> None:
    """Add the `explain` subcommand."""
    parser = subparsers.add_parser(
        "explain",
        help="name the likely cause of a failed git/ssh/aws command from its output",
        description=(
            "Reads the output of a failed git, ssh or aws command (a file, or stdin with '-' "
            "or no argument) and names the likely causes with their fixes. "
            "Exit code: 0 when it recognized the output (or it is not a failure), 1 when not."
        ),
    )
    parser.add_argument("file", nargs="?", default="-", help="file with the output, or - (stdin)")
    parser.add_argument(
        "--method", choices=METHODS, help="how git connects (narrows the candidates)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--all", action="store_true", help="show every candidate, not only the top ones"
    )
    parser.set_defaults(handler=run)


def _read(source: str) -> str:
    """The output to judge: at most READ_LIMIT bytes read, its last TEXT_LIMIT kept.

    Bytes that are not UTF-8 become U+FFFD rather than an error. A FIFO, a
    device or a folder given as FILE is refused before any read (exit 3).
    """
    if source == "-":
        if sys.stdin.isatty():
            print("Paste the output, then press Ctrl-D (Ctrl-Z Enter on Windows):", file=sys.stderr)
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream standing in for stdin (tests, embedding)
            text = sys.stdin.read(READ_LIMIT + 1)
            data, more = text[:READ_LIMIT].encode("utf-8", "replace"), len(text) > READ_LIMIT
        else:
            data, more = read_stream(stream, READ_LIMIT)
        if more:
            print(
                f"onboard: more than {READ_LIMIT // 1024:,} KiB on stdin: "
                f"explain read the first {READ_LIMIT // 1024:,} KiB",
                file=sys.stderr,
            )
    else:
        data = read_bounded(Path(source), READ_LIMIT)
    if len(data) > TEXT_LIMIT:
        # git, ssh and the AWS CLI print the error last: the end is what to judge.
        print(
            f"onboard: the output is {len(data):,} bytes: explain judged its last "
            f"{TEXT_LIMIT // 1024} KiB",
            file=sys.stderr,
        )
        data = data[-TEXT_LIMIT:]
    return data.decode("utf-8", errors="replace")


def render_text(explanation: Explanation, limit: int = 3) -> str:
    """The explanation as the terminal shows it."""
    if explanation.verdict == "not-a-failure":
        return "Not a failure: this output means git/ssh reached CodeCommit successfully.\n"
    if explanation.verdict == "unknown":
        return (
            "No known cause matches this output.\n"
            "Next: run `onboard doctor` to check the whole setup.\n"
        )
    lines = []
    if explanation.method is None and explanation.inferred_methods:
        methods = ", ".join(explanation.inferred_methods)
        lines.append(f"Method read from the URL in the output: {methods}")
    shown = explanation.candidates[:limit]
    # A bare "403" is the same evidence for every candidate: quote it once, on top.
    shared = len({c.evidence[:2] for c in shown}) == 1 and len(shown) > 1
    if explanation.verdict == "ambiguous":
        lines.append(
            "The output alone cannot decide; most likely first "
            "(`onboard doctor` checks which one it is):"
        )
    if shared:
        lines.extend(f"   matched: {line}" for line in shown[0].evidence[:2])
    for rank, candidate in enumerate(shown, start=1):
        cause = candidate.cause
        lines.append(f"{rank}. {cause.title} [{cause.id}]")
        for line in () if shared else candidate.evidence[:2]:
            lines.append(f"   matched: {line}")
        lines.append(f"   why: {cause.cause}")
        lines.append(f"   fix: {cause.fix}")
        for source in cause.sources[:2]:
            lines.append(f"   see: {source.url}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Handler: explain the given output; 0 if recognized, 1 if not."""
    # Loaded here, not at import: `onboard --help` must not parse the knowledge base.
    from onboard.doctor.explain import explain
    from onboard.doctor.report import redact

    text = _read(args.file)
    explanation = explain(text, args.method)
    if args.json:
        limit = len(explanation.candidates) if args.all else 5
        print(redact(json.dumps(explanation.to_json(limit), indent=2)))
    else:
        limit = len(explanation.candidates) if args.all else 3
        print(redact(render_text(explanation, limit)), end="")
    return EXIT_UNKNOWN if explanation.verdict == "unknown" else EXIT_RECOGNIZED
