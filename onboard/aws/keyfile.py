"""The access key an administrator hands over: the IAM console's CSV, or typed in.

The IAM console downloads two kinds of CSV, both UTF-8 with a byte-order
mark and Windows line endings:

- creating an access key: `Access key ID,Secret access key`
- creating a user: `User name,Password,Access key ID,Secret access key,Console login link`

`read_key_csv` recognises either (headers in any order and case), and the
validators check a typed key before AWS is asked. The secret never appears
in a message, a repr or an exception raised here: `AccessKey` holds it as a
`Secret`, revealed only where it is written to ~/.aws/credentials
(`aws.files.save_key_profile`) or handed to boto3.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlparse

from onboard.errors import InvalidInput
from onboard.home import Home
from onboard.secret import Secret, reveal

KeyFormat = Literal["access-key", "user-creation", "typed"]

FORMAT_TITLES: dict[KeyFormat, str] = {
    "access-key": "the IAM console's access key file",
    "user-creation": "the IAM console's new-user file",
    "typed": "typed in",
}

# The regions offered first when nothing says otherwise (the most used ones).
COMMON_REGIONS: tuple[str, ...] = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "eu-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-south-1",
    "ca-central-1",
    "sa-east-1",
)

# A larger file is not the console's two-line CSV (and must not be read whole).
MAX_CSV_BYTES = 64 * 1024

_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_SECRET = re.compile(r"^[A-Za-z0-9/+=]{16,128}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
_ACCOUNT_IN_HOST = re.compile(r"^(\d{12})\.signin\.aws\.amazon\.com$")
_REGION_IN_HOST = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d)\.(?:console|signin)\.aws\.amazon\.com$")


@dataclass(frozen=True)
class AccessKey:
    """An access key pair and what its file said about it (the secret is never shown)."""

    access_key_id: str
    secret_access_key: Secret = field(repr=False)
    source: KeyFormat = "typed"
    user_name: str | None = None
    console_link: str | None = None
    path: Path | None = None
    """The CSV it came from (None when typed)."""

    def __post_init__(self) -> None:
        # A plain str here would print in a traceback's locals or a log line.
        if not isinstance(self.secret_access_key, Secret):
            raise TypeError("AccessKey.secret_access_key must be a Secret")

    @property
    def region_hint(self) -> str | None:
        """The region the console link names (`?region=` or a regional host), if any."""
        return region_from_link(self.console_link)

    @property
    def account_hint(self) -> str | None:
        """The 12-digit account ID in the console link, if any."""
        if not self.console_link:
            return None
        match = _ACCOUNT_IN_HOST.match(urlparse(self.console_link).hostname or "")
        return match.group(1) if match else None

    def describe(self) -> str:
        """One line for the screen: the format and the user, never the secret."""
        who = f" for user {self.user_name}" if self.user_name else ""
        return f"{FORMAT_TITLES[self.source]}{who}, key {self.access_key_id}"


def region_from_link(link: str | None) -> str | None:
    """`eu-west-1` from `https://...?region=eu-west-1` or `https://eu-west-1.console...`."""
    if not link:
        return None
    parsed = urlparse(link.strip())
    for value in parse_qs(parsed.query).get("region", []):
        if _REGION.match(value):
            return value
    match = _REGION_IN_HOST.match(parsed.hostname or "")
    return match.group(1) if match else None


def validate_key_id(text: str) -> str | None:
    """What is wrong with a typed access key ID, or None when it looks right."""
    value = text.strip()
    if not value:
        return "Type the access key ID (it starts with AKIA)."
    if value.startswith("ASIA"):
        return (
            "ASIA... is a temporary key that needs a session token: ask your administrator "
            "for your IAM user's long-term access key (it starts with AKIA)."
        )
    if not _KEY_ID.match(value):
        return "An access key ID is 20 capital letters and digits, starting with AKIA."
    return None


def validate_secret(text: str) -> str | None:
    """What is wrong with a typed secret access key, or None (the secret is never quoted)."""
    value = text.strip()
    if not value:
        return "Type the secret access key (40 characters)."
    if not _SECRET.match(value):
        return (
            "A secret access key has 40 letters, digits and / + characters; "
            "this one has other characters or is too short. Copy it again."
        )
    return None


def typed_key(key_id: str, secret: str | Secret) -> AccessKey:
    """A key the user typed, checked like a CSV's (InvalidInput when malformed)."""
    plain = reveal(secret) or ""
    for problem in (validate_key_id(key_id), validate_secret(plain)):
        if problem:
            raise InvalidInput("the access key is not complete", problem, "type it again")
    return AccessKey(key_id.strip(), Secret(plain.strip()), "typed")


def expand_path(text: str, home: Home) -> Path:
    """A path the user typed; `~` means the home onboard works in (the sandbox's there)."""
    text = text.strip().strip("'\"")
    if text == "~":
        return home.root
    if text.startswith(("~/", "~\\")):
        return home.root / text[2:]
    return Path(text)


def read_key_csv(path: Path) -> AccessKey:
    """Read the IAM console's CSV (either format; BOM and CRLF as the console writes them)."""
    try:
        if path.is_dir():
            raise InvalidInput(
                f"{path} is a folder", "", "give the path of the .csv file the console downloaded"
            )
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InvalidInput(
                f"{path} is too large for an access key file",
                f"the IAM console's CSV is a few hundred bytes; this is {path.stat().st_size}",
                "give the path of the .csv file the console downloaded",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(
            f"{path} does not exist",
            "",
            "check the path; the console saves it as <user>_accessKeys.csv or credentials.csv",
        ) from None
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}", exc.strerror or str(exc), f"check the permissions of {path}"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{path} is not a text file",
            "the IAM console's CSV is UTF-8 text",
            "give the .csv file the console downloaded",
        ) from None
    key = parse_key_csv(text, path)
    return key


_HEADERS = {
    "access key id": "key_id",
    "secret access key": "secret",
    "user name": "user",
    "password": "password",
    "console login link": "link",
    "console sign-in url": "link",
    "console sign-in link": "link",
}


def parse_key_csv(text: str, path: Path | None = None) -> AccessKey:
    """The key in the text of a console CSV; InvalidInput (never quoting a secret) otherwise."""
    name = str(path) if path is not None else "the file"
    rows = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(row)]
    if not rows:
        raise InvalidInput(f"{name} is empty", "", "download the access key file again")
    columns = [_HEADERS.get(cell.strip().lower(), "") for cell in rows[0]]
    if "password" in columns and "key_id" not in columns:
        raise InvalidInput(
            f"{name} is a console sign-in file: it holds a password, not an access key",
            "the IAM console downloads the access key separately, when the key is created",
            "ask your administrator for an access key (its .csv), or sign in to the console "
            "with this password and create one under Security credentials",
        )
    if "key_id" not in columns or "secret" not in columns:
        raise InvalidInput(
            f"{name} is not an IAM access key file",
            "its first line should name the columns `Access key ID` and `Secret access key`",
            "give the .csv the IAM console downloaded when the key was created",
        )
    if len(rows) < 2:
        raise InvalidInput(
            f"{name} has the column names but no key",
            "",
            "ask your administrator for the file again",
        )
    if len(rows) > 2:
        raise InvalidInput(
            f"{name} holds {len(rows) - 1} keys",
            "onboard imports one key: the one for you",
            "keep only your line under the column names, or type the key instead",
        )
    values = {column: cell.strip() for column, cell in zip(columns, rows[1], strict=False)}
    key_id, secret = values.get("key_id", ""), values.get("secret", "")
    for problem in (validate_key_id(key_id), validate_secret(secret)):
        if problem:
            raise InvalidInput(
                f"the key in {name} does not look right", problem, "download the file again"
            )
    source: KeyFormat = "user-creation" if "user" in columns else "access-key"
    return AccessKey(
        key_id,
        Secret(secret),
        source,
        user_name=values.get("user") or None,
        console_link=values.get("link") or None,
        path=path,
    )
