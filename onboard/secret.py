"""Secrets in memory (`Secret`) and secrets in text (`redact`).

`Secret` holds an MFA seed, a session token or a password so that no
traceback, log line or report can show it by accident: its `repr` and
`str` are `[REDACTED]`; `reveal()` is the one way to the value, used where
the user asked for it (a file they chose to save, the screen that shows a
password once, the AWS call).

`redact` cleans text that came from elsewhere (stderr of `aws`, git,
`credential_process`, tracebacks): known values first, then anything
secret-shaped.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping, Sequence
from typing import Any

REDACTED = "[REDACTED]"


class Secret:
    """A secret string whose `repr`/`str` never show it; `reveal()` does."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: call only where it must be used or shown on purpose."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    def __str__(self) -> str:
        return REDACTED

    def __format__(self, spec: str) -> str:
        return format(REDACTED, spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> Any:
        raise TypeError("a Secret is not pickled (it would reach disk)")


def reveal(value: str | Secret | None) -> str | None:
    """The plain value of a `Secret` (or a str kept as is), None stays None."""
    return value.reveal() if isinstance(value, Secret) else value


_NAMES = (
    r"(?:aws_)?(?:secret_access_key|secretaccesskey|session_token|sessiontoken|security_token|"
    r"servicepassword|base32stringseed|seed|"
    r"[\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key))"
)

# Order matters: the long, specific shapes go first so a session token is
# replaced whole before a shorter rule could cut it in half.
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # private keys
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        "-----BEGIN PRIVATE KEY-----" + REDACTED + "-----END PRIVATE KEY-----",
    ),
    # Authorization headers and bearer tokens
    (re.compile(r"(?i)(\bauthorization\s*[:=]\s*)(?:[A-Za-z-]+\s+)?[^\s,;\"']+"), r"\1" + REDACTED),
    (re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + REDACTED),
    # key = value / "Key": "value" / --password value pairs whose name says secret
    (
        re.compile(r"(?i)(\"?\b" + _NAMES + r"\"?\s*[:=]\s*\"?)([^\s\",;]+)"),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)(--(?:password|token|secret)[\w-]*[ =])(\S+)"), r"\1" + REDACTED),
    # otpauth URIs carry the MFA seed
    (re.compile(r"(?i)(otpauth://\S*?secret=)[A-Z2-7=]+"), r"\1" + REDACTED),
    # user:password@ in URLs (HTTPS Git credentials, helper-signed passwords)
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
    # %<session token> appended to the access key id by the AWS helper
    (re.compile(r"((?:ASIA|AKIA)[A-Z0-9]{12,})%[A-Za-z0-9%/+=]{16,}"), r"\1%" + REDACTED),
    # CodeCommit SigV4 git password: 20260101T000000Z + 64 hex
    (re.compile(r"\b\d{8}T\d{6}Z[0-9a-f]{64}\b"), REDACTED),
    # STS session tokens (long base64 starting with the usual prefixes)
    (re.compile(r"\b(?:FwoG|IQoJ|FQoG|AQoD)[A-Za-z0-9/+=]{40,}"), REDACTED),
    # Vault (hvs./hvb./hvr. and legacy s.), GitHub, GitLab, Slack, npm tokens; JWTs
    (re.compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bs\.[A-Za-z0-9]{24}\b"), REDACTED),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), REDACTED),
    (re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"\bnpm_[A-Za-z0-9]{30,}"), REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), REDACTED),
    # 40-char secret access keys standing alone
    (re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), REDACTED),
    # long base32 runs (MFA seeds are 64 characters of A-Z2-7)
    (re.compile(r"(?<![A-Z2-7])[A-Z2-7]{32,}={0,6}(?![A-Z2-7])"), REDACTED),
)

_HEX40 = re.compile(r"^[0-9a-f]{40}$")


def redact(text: str, secrets: Sequence[str | Secret] = ()) -> str:
    """`text` with secrets replaced by [REDACTED].

    Known secret values (`secrets`) are removed verbatim first; then shapes
    that look like secrets (secret keys, session tokens, signed git
    passwords, MFA seeds, private keys, passwords in URLs and `name=value`
    pairs, bearer/Vault/GitHub/Slack tokens, JWTs). Access key IDs
    (AKIA/ASIA...) and SSH key IDs are identifiers, not secrets, and stay.
    """
    values = (s.reveal() if isinstance(s, Secret) else s for s in secrets)
    for secret in sorted((s for s in values if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(_keep_commit_ids(replacement), text)
    return text


def _keep_commit_ids(replacement: str) -> Any:
    # git object ids (40 hex) look like secret keys to the generic rule:
    # leave them, they are what `git ls-remote` success looks like.
    def substitute(match: re.Match[str]) -> str:
        if _HEX40.match(match.group(0)):
            return match.group(0)
        return match.expand(replacement)

    return substitute


def redact_json(value: Any, secrets: Sequence[str | Secret] = ()) -> Any:
    """Redact every string inside a JSON-like value (keys kept)."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Secret):
        return REDACTED
    if isinstance(value, Mapping):
        return {key: redact_json(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(item, secrets) for item in value]
    return value
