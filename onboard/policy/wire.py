"""msgspec for `policy simulate`: raw sub-documents, fast decoding and output.

`msgspec.Raw` lets a batch keep each embedded policy as its bytes: a document
repeated in 10,000 requests is decoded once, not 10,000 times. Imported only
by the batch path (its import costs tens of milliseconds of start-up).
"""

from __future__ import annotations

import msgspec

# What msgspec raises for input it cannot turn into Python values.
DECODE_ERRORS = (
    msgspec.DecodeError,
    msgspec.ValidationError,
    RecursionError,
    UnicodeDecodeError,
    ValueError,
)
_encoder = msgspec.json.Encoder()


def dumps_pretty(value: object) -> bytes:
    """Two-space indented JSON, as `json.dumps(value, indent=2)` lays it out, in UTF-8."""
    return msgspec.json.format(_encoder.encode(value), indent=2)


def decode_reason(error: Exception) -> str:
    """A short reason for a value msgspec could not decode (inside a request)."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if "out of range" in str(error):
        return "a number too large to use (integers up to 4,300 digits)"
    return f"invalid JSON value ({error})"
