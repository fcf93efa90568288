"""msgspec for `policy simulate`: raw sub-documents, fast decoding and output.

`msgspec.Raw` lets a batch keep each embedded policy as its bytes: a document
repeated in 10,000 requests is decoded once, not 10,000 times. Imported only
by the batch path (its import costs tens of milliseconds of start-up).
"""

from __future__ import annotations

from typing import Any

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
_NULL = msgspec.Raw(b"null")
# What a request's `id` may be (anything else is that request's error).
ID_TYPES = (str, int, float, bool, type(None))
# Any JSON value as Python values (one decoder, built once).
values = msgspec.json.Decoder()


def given(value: object) -> object:
    """A raw field of a `Wire`, or None when absent or `null` (as `dict.get` would say)."""
    if value is msgspec.UNSET or (len(value) == 4 and value == _NULL):  # type: ignore[arg-type]
        return None
    return value


def dumps_pretty(value: object) -> bytes:
    """Two-space indented JSON, as `json.dumps(value, indent=2)` lays it out, in UTF-8."""
    return msgspec.json.format(_encoder.encode(value), indent=2)


def indented(value: object) -> bytes:
    """`value` as an item of an indented JSON list: `dumps_pretty`, two spaces further in
    (JSON text has no raw newline inside a string: each newline is the layout's)."""
    return b"  " + dumps_pretty(value).replace(b"\n", b"\n  ")


def encode(value: object) -> bytes:
    """Compact JSON (a `msgspec.Raw` inside is written as it is)."""
    return _encoder.encode(value)


def decode_reason(error: Exception) -> str:
    """A short reason for a value msgspec could not decode (inside a request)."""
    if isinstance(error, RecursionError):
        return "nested too deeply"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if "out of range" in str(error):
        return "a number too large to use (integers up to 4,300 digits)"
    return f"invalid JSON value ({error})"


class Wire(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A request as `simulate_json` meets it most of the time: the known fields, its
    policies still raw. Anything else (an unknown field, not an object) makes the
    whole list fall back to `simulate._expand`, one request at a time, for exact errors."""

    action: Any = None
    resource: Any = None
    principal: Any = None
    # Raw too: its bytes are part of the key of the batch's memo of evaluations.
    context: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    id: Any = msgspec.UNSET
    # Policy fields stay raw (null too): a repeated list is looked up at once.
    identityPolicies: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    permissionBoundaries: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    scps: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    resourcePolicy: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
