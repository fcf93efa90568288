"""Which policies a batch request names: embedded documents, raw bytes, or shared names.

Used by `onboard.policy.simulate`. A document is compiled once per process
(`parse_policy`'s cache); a raw document (`msgspec.Raw`) is first looked up
by its bytes, so 10,000 copies cost one decode; in the shared form a name is
looked up in the batch's `policies`, and a bad named policy is one error
that every request naming it reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from onboard.policy.document import Policy, parse_policy
from onboard.policy.errors import PolicyError
from onboard.policy.wire import DECODE_ERRORS, decode_reason

_values = msgspec.json.Decoder()
_items = msgspec.json.Decoder(list[msgspec.Raw])
# Built once: an f-string per policy per request adds up over a batch.
_PLACES = {
    field: tuple(f"{field}[{i}]" for i in range(16))
    for field in ("identityPolicies", "permissionBoundaries")
}


class Resolver:
    """A request's policy references (documents, or names in the shared form) to policies."""

    __slots__ = ("_levels", "_lists", "_named", "_raw", "_shared")

    def __init__(self, shared: Mapping[str, Any]) -> None:
        self._shared = shared
        self._named: dict[tuple[str, str], Policy | PolicyError] = {}
        self._raw: dict[tuple[bytes, str, str], Policy] = {}
        # Whole raw lists: a batch repeats a few policy lists, so one lookup per field.
        self._lists: dict[tuple[str, bytes], tuple[Policy, ...]] = {}
        self._levels: dict[bytes, tuple[tuple[Policy, ...], ...]] = {}

    def one(self, reference: object, where: str, kind: str, data: object = None) -> Policy:
        """A document is compiled (once per process); a name is looked up in `policies`.

        `data`, when given, is the bytes of a raw `reference` (taken once by the caller)."""
        if type(reference) is msgspec.Raw:
            key = (data if type(data) is bytes else bytes(reference), where, kind)
            found = self._raw.get(key)
            if found is None:
                try:
                    decoded = _values.decode(reference)
                except DECODE_ERRORS as exc:
                    raise PolicyError(f"{where}: {decode_reason(exc)}") from None
                found = self._raw[key] = self.one(decoded, where, kind)
            return found
        if type(reference) is str and self._shared:
            return self._by_name(reference, where, kind)
        if isinstance(reference, Mapping | str):
            return parse_policy(reference, where, kind=kind)
        raise PolicyError(f"{where}: must be a policy document (an object) or a policy's name")

    def _by_name(self, name: str, where: str, kind: str) -> Policy:
        found = self._named.get((name, kind))
        if found is None:
            if name not in self._shared:
                found = PolicyError(f'{where}: no policy named {name!r} in "policies"')
            else:
                try:
                    document = self._shared[name]
                    if type(document) is msgspec.Raw:
                        document = self._decode(document, f"policies[{name!r}]")
                    found = parse_policy(document, name, kind=kind)
                except PolicyError as exc:
                    found = exc  # every request naming it gets the same error
            self._named[(name, kind)] = found
        if isinstance(found, PolicyError):
            raise found
        return found

    @staticmethod
    def _decode(raw: msgspec.Raw, where: str) -> Any:
        try:
            return _values.decode(raw)
        except DECODE_ERRORS as exc:
            raise PolicyError(f"{where}: {decode_reason(exc)}") from None

    def _raw_list(self, raw: msgspec.Raw, field: str) -> list[Any] | None:
        """A raw JSON list as raw items; None for `null` (no policies); else the value."""
        try:
            items: list[Any] = _items.decode(raw)
        except DECODE_ERRORS:
            value = self._decode(raw, field)
            if value is None:
                return None
            raise PolicyError(f"{field!r} must be a list of policy documents or names") from None
        return items

    def many(
        self, references: object, field: str, kind: str, data: object = None
    ) -> tuple[Policy, ...]:
        """A request field's list of policies (a list, or the raw JSON of one, `data` its
        bytes if the caller has them)."""
        if type(references) is msgspec.Raw:
            key = (field, data if type(data) is bytes else bytes(references))
            found = self._lists.get(key)
            if found is None:
                items = self._raw_list(references, field)
                found = () if items is None else self._many(items, field, kind)
                self._lists[key] = found
            return found
        return self._many(references, field, kind)

    def _many(self, references: object, field: str, kind: str) -> tuple[Policy, ...]:
        if not isinstance(references, list):
            raise PolicyError(f"{field!r} must be a list of policy documents or names")
        names = _PLACES.get(field, ())
        return tuple(
            self.one(ref, names[i] if i < len(names) else f"{field}[{i}]", kind)
            for i, ref in enumerate(references)
        )

    def levels(self, references: object, data: object = None) -> tuple[tuple[Policy, ...], ...]:
        """`scps`: each item one SCP (a level of its own) or a list (the SCPs of one level)."""
        if type(references) is msgspec.Raw:
            key = data if type(data) is bytes else bytes(references)
            found = self._levels.get(key)
            if found is None:
                items = self._raw_list(references, "scps")
                found = () if items is None else self._scp_levels(items)
                self._levels[key] = found
            return found
        return self._scp_levels(references)

    def _scp_levels(self, references: object) -> tuple[tuple[Policy, ...], ...]:
        if not isinstance(references, list):
            raise PolicyError("'scps' must be a list of SCPs, or of lists of SCPs (levels)")
        levels: list[tuple[Policy, ...]] = []
        for i, level in enumerate(references):
            if type(level) is msgspec.Raw and bytes(level).lstrip()[:1] == b"[":
                level = self._decode(level, f"scps[{i}]")
            if isinstance(level, list):
                if not level:
                    raise PolicyError(f"scps[{i}]: an SCP level needs at least one SCP")
                where = f"scps[{i}]"
                levels.append(
                    tuple(self.one(r, f"{where}[{j}]", "scp") for j, r in enumerate(level))
                )
            else:
                levels.append((self.one(level, f"scps[{i}]", "scp"),))
        return tuple(levels)
