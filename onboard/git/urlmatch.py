"""git's URL matching for `<section>.<url>.<key>` config (urlmatch.c), in Python.

`git config --get-urlmatch` shows only the last value of a key; to list
*every* credential helper git runs we read all values and match their URL
patterns ourselves, with git's rules: same scheme, the pattern's user (if
any), host labels equal or `*` for one whole label, same port (defaults
filled in), and the pattern's path a prefix of the URL's path at a `/`.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ftps": 990, "ssh": 22, "git": 9418}


def url_matches(pattern: str, url: str) -> bool:
    """Whether config for `pattern` applies to `url` the way git decides it."""
    try:
        want, have = urlsplit(pattern), urlsplit(url)
        want_port = want.port or _DEFAULT_PORTS.get(want.scheme.lower())
        have_port = have.port or _DEFAULT_PORTS.get(have.scheme.lower())
    except ValueError:
        return False
    if not want.scheme or want.scheme.lower() != have.scheme.lower():
        return False
    if want.username is not None and unquote(want.username) != unquote(have.username or ""):
        return False
    if not _host_matches(want.hostname or "", have.hostname or ""):
        return False
    if want_port != have_port:
        return False
    return _path_matches(want.path, have.path)


def _host_matches(pattern: str, host: str) -> bool:
    pattern_labels, host_labels = pattern.lower().split("."), host.lower().split(".")
    if len(pattern_labels) != len(host_labels):
        return False
    return all(
        want == "*" or want == have for want, have in zip(pattern_labels, host_labels, strict=True)
    )


def _path_matches(pattern: str, path: str) -> bool:
    pattern = unquote(pattern).rstrip("/")
    path = unquote(path)
    if not pattern:
        return True
    return path == pattern or path.startswith(pattern + "/")
