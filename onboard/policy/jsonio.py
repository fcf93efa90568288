"""JSON in for the policy engine: bounded, standard library only, with clear errors.

- Reading is capped before it is done: a file or stdin is read in chunks up
  to a stated number of bytes, and input that cannot be JSON (`/dev/zero`)
  is refused at its first byte, so no input grows memory past the cap.
- Decoding bounds nesting (Python's recursion limit, about 1,000 levels) and
  numbers (integers up to 4,300 digits, finite floats, no NaN/Infinity): past
  that it is an input error, never a traceback. An error names
  `file:line:column` as the standard library says it.
- `canonical` is a document's compact JSON with its key order and exact
  scalar types (`true`, `1`, `1.0` stay apart): the policy cache's key.
Batches go through `onboard.policy.wire` (msgspec), imported only by
`policy simulate`, so every other user of the engine starts without it.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import sys
from typing import Any, BinaryIO, TextIO

from onboard.policy.errors import PolicyError

_CHUNK = 1 << 16
_BIG_CHUNK = 1 << 22
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"
_TOO_DEEP = "nested too deeply (at most about 1,000 levels)"
_TOO_LARGE = "a number too large to use (integers up to 4,300 digits)"
# Every escape of a JSON string, in order (so `\\u` is a backslash, then a `u`); a
# `\uDxxx` one may be half of a UTF-16 surrogate pair.
_ESCAPE = re.compile(r"\\(u[dD][0-9a-fA-F]{3}|.)")
_canonical = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class _BadNumber(ValueError):
    """NaN, Infinity, or a float beyond a double: not a number a policy can use."""


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _BadNumber(f"{text[:20]} is too large for a number")
    return number


def _constant(text: str) -> float:
    raise _BadNumber(f"{text} is not a JSON number")


def canonical(document: object) -> bytes | None:
    """Compact JSON of `document` (key order kept), or None if it is not plain JSON data."""
    try:
        return _canonical.encode(document).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError, RecursionError):
        return None


def loads_canonical(key: bytes) -> Any:
    """Decode what `canonical` made (always valid JSON)."""
    return json.loads(key)


def loads(data: bytes | str, name: str) -> Any:
    """Decode JSON; a `PolicyError` names `name:line:column` and what is wrong."""
    if isinstance(data, bytes):
        try:
            text = data.removeprefix(_BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    else:
        text = data.removeprefix("\ufeff")
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    except _BadNumber as exc:
        raise PolicyError(f"{name}: invalid JSON: {exc}") from None
    except RecursionError:
        raise PolicyError(f"{name}: invalid JSON: {_TOO_DEEP}") from None
    except ValueError:  # Python's limit on integer digits
        raise PolicyError(f"{name}: invalid JSON: {_TOO_LARGE}") from None


def describe(data: bytes, name: str, error: Exception) -> str:
    """The standard library's wording and place when it agrees the text is bad (it is
    what users and our tests know), else what msgspec found (too deep, too large)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{name}: not UTF-8 text (byte {exc.start})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}"
    except (RecursionError, ValueError):
        pass
    lone = _lone_surrogate(text)
    if lone is not None:
        line = text.count("\n", 0, lone) + 1
        column = lone - (text.rfind("\n", 0, lone) + 1) + 1
        return (
            f"{name}:{line}:{column}: invalid JSON: {text[lone : lone + 6]} is half of a "
            "UTF-16 surrogate pair, not a character; remove it or give the whole pair"
        )
    if isinstance(error, RecursionError):
        why = _TOO_DEEP
    elif "out of range" in str(error):
        why = _TOO_LARGE
    else:
        why = str(error)
    return f"{name}: invalid JSON: {why}"


def _lone_surrogate(text: str) -> int | None:
    """Where a `\\uD800`-`\\uDFFF` escape stands alone (a high half not followed at once
    by a low one, or a low one without its high one). The standard library lets it
    through; msgspec refuses it, saying only that the input was truncated."""
    pending: int | None = None  # a high half, waiting for its low half
    pending_end = -1
    for found in _ESCAPE.finditer(text):
        body = found.group(1)
        value = int(body[1:], 16) if len(body) == 5 else 0
        if pending is not None:
            if 0xDC00 <= value <= 0xDFFF and found.start() == pending_end:
                pending = None
                continue
            return pending
        if 0xD800 <= value <= 0xDBFF:
            pending, pending_end = found.start(), found.end()
        elif 0xDC00 <= value <= 0xDFFF:
            return found.start()
    return pending


def read_limited(path: str, limit: int, what: str, *, first: bytes = b"[{") -> bytes:
    """Read a file (`-`: stdin) up to `limit` bytes, refusing more before reading it all.

    `first` lists the bytes the JSON may start with: anything else (a binary
    file, `/dev/zero`) is refused after the first chunk. `what` names the
    limit in the message ("a policy", "a batch").
    """
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:  # a text stream standing in for stdin (tests, embedding)
                stream = _Encoded(sys.stdin)
            return _read_stream(stream, name, limit, what, first)
        if os.path.isdir(path):
            raise PolicyError(f"{name}: is a directory, not a JSON file")
        with _open_file(path) as stream:
            info = os.fstat(stream.fileno())
            if info.st_size > limit:
                raise PolicyError(_too_large(name, f"{info.st_size:,} bytes", limit, what))
            if stat.S_ISREG(info.st_mode) and info.st_size:
                return _read_regular(stream, name, limit, what, first, info.st_size)
            data = _read_stream(stream, name, limit, what, first)
            if not data and stat.S_ISFIFO(info.st_mode):
                raise PolicyError(f"{name}: a named pipe (FIFO) with no writer: nothing to read")
            return data
    except OSError as exc:
        raise PolicyError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _open_file(path: str) -> BinaryIO:
    """Open `path` for reading without waiting for a FIFO's writer.

    A blocking open of a FIFO nobody writes to never returns; opened
    non-blocking it reads as empty (refused as such), while a pipe that has
    a writer (`<(aws iam get-policy-version ...)`) is read as before.
    """
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_NOCTTY", 0))
    try:
        if nonblock:
            os.set_blocking(fd, True)  # reads wait for a present writer, as before
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


class _Encoded:
    """A text stream read as UTF-8 bytes, in chunks (`read(n)` gives at most ~4n bytes)."""

    def __init__(self, text: TextIO) -> None:
        self._text = text

    def read(self, size: int) -> bytes:
        return self._text.read(max(1, size // 4)).encode("utf-8", "surrogatepass")


def _read_regular(
    stream: BinaryIO, name: str, limit: int, what: str, first: bytes, size: int
) -> bytes:
    """A regular file in one read of its size: no chunks to join (a 16 MB batch read in
    chunks cost about twice the read itself)."""
    data = stream.read(size + 1)
    if len(data) > size:  # it grew since fstat: read on, up to the limit
        data += stream.read(limit + 1 - len(data))
    if len(data) > limit:
        raise PolicyError(_too_large(name, f"over {limit:,} bytes", limit, what))
    start = data[:_CHUNK].removeprefix(_BOM).lstrip(_WHITESPACE)
    if start and start[0] not in first:
        raise PolicyError(_wrong_start(name, start[0], first))
    return data


def _read_stream(
    stream: BinaryIO | _Encoded, name: str, limit: int, what: str, first: bytes
) -> bytes:
    # Chunks joined once at the end: growing one buffer copies a large batch again and again.
    chunks: list[bytes] = []
    size = 0
    checked = False
    while True:
        # Small until the start is checked (`/dev/zero` is refused at once), then large.
        chunk = stream.read(min(_CHUNK if not checked else _BIG_CHUNK, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if not checked:
            start = b"".join(chunks).removeprefix(_BOM).lstrip(_WHITESPACE)
            if start:
                checked = True
                if start[0] not in first:
                    raise PolicyError(_wrong_start(name, start[0], first))
        if size > limit:
            raise PolicyError(_too_large(name, f"over {limit:,} bytes", limit, what))
    return b"".join(chunks)


def _wrong_start(name: str, byte: int, first: bytes) -> str:
    expected = " or ".join(repr(chr(b)) for b in first)
    shape = "a JSON object" if first == b"{" else "a JSON list or object"
    if byte in b'[{"-0123456789tfn':  # JSON, of another shape
        return f"{name}: must be {shape}, but it starts with {chr(byte)!r}"
    return f"{name}: not JSON: it starts with byte 0x{byte:02x}, expected {expected}"


def _too_large(name: str, size: str, limit: int, what: str) -> str:
    return f"{name}: {size}, larger than {what} may be (at most {limit:,} bytes)"
