"""Step 1 from nothing, shared by the TUI and `onboard credentials`: load, check, propose, save.

`load_key` reads the administrator's CSV (or takes a typed key),
`check_access_key` asks AWS whose key it is and proposes a profile name and
a short list of regions, and `save_checked` writes it. Nothing is written
before AWS accepted the key; the secret stays in memory until then.
"""

from __future__ import annotations

from dataclasses import dataclass

from onboard.aws import credentials as creds
from onboard.aws.errors import AwsError
from onboard.aws.keyfile import AccessKey, expand_path, read_key_csv, typed_key
from onboard.secret import Secret
from onboard.settings import Settings


@dataclass(frozen=True)
class KeyCheck:
    """A key AWS accepted, with what saving it offers."""

    checked: creds.CheckedKey
    regions: tuple[str, ...]
    """The short list, the likely one first."""
    profile: str
    """The suggested profile name (`default` when free)."""
    repository_regions: tuple[str, ...] = ()


def load_key(
    settings: Settings, csv_path: str | None, key_id: str = "", secret: str | Secret = ""
) -> AccessKey:
    """The key from the CSV at `csv_path` (`~` = the working home), else the typed pair."""
    if csv_path is not None:
        return read_key_csv(expand_path(csv_path, settings.home))
    return typed_key(key_id, secret)


def configured_region(settings: Settings) -> str | None:
    """The region the user already set (`--region`, AWS_REGION, AWS_DEFAULT_REGION)."""
    env = settings.env()
    return settings.region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None


def check_access_key(settings: Settings, key: AccessKey, *, probe: bool = True) -> KeyCheck:
    """Ask AWS whose key this is (KeyRejected if refused), then propose profile and regions.

    With `probe`, the regions of the short list are asked for CodeCommit
    repositories (in parallel); those that have some come first after the
    console link's region.
    """
    checked = creds.check_key(settings, key)
    configured = configured_region(settings)
    with_repos: list[str] = []
    if probe:
        try:
            candidates = creds.likely_regions(key.region_hint, configured)
            with_repos = creds.repository_regions(settings, key, candidates)
        except AwsError:
            with_repos = []
    regions = creds.likely_regions(key.region_hint, configured, with_repos)
    profile = creds.suggest_profile(settings.home, checked.user_name, key.access_key_id)
    return KeyCheck(checked, tuple(regions), profile, tuple(with_repos))


def save_checked(
    settings: Settings, check: KeyCheck, profile: str | None, region: str | None
) -> creds.SavedKey:
    """Save the checked key as `profile` (default: the suggestion) in `region` (the likely one)."""
    chosen_region = region or (check.regions[0] if check.regions else None)
    return creds.save_key(settings.home, check.checked, profile or check.profile, chosen_region)
