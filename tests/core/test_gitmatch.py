"""onboard.git.urlmatch agrees with git's own `--get-urlmatch` on every case here."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onboard.git.urlmatch import url_matches

CODECOMMIT = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/demo"

CASES = [
    ("https://git-codecommit.*.amazonaws.com", CODECOMMIT, True),
    ("https://git-codecommit.*.amazonaws.com", "https://git-codecommit.amazonaws.com/x", False),
    ("https://git-codecommit.*.amazonaws.com", "https://git-codecommit.a.b.amazonaws.com/", False),
    (
        "https://git-codecommit.*.amazonaws.com",
        "http://git-codecommit.us-east-1.amazonaws.com/",
        False,
    ),
    ("HTTPS://Git-CodeCommit.*.AmazonAWS.com", CODECOMMIT, True),
    ("https://*.amazonaws.com", CODECOMMIT, False),
    ("https://*.*.amazonaws.com", CODECOMMIT, True),
    ("https://git-codecommit.us-east-1.amazonaws.com/v1/repos", CODECOMMIT, True),
    ("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/", CODECOMMIT, True),
    ("https://git-codecommit.us-east-1.amazonaws.com/v1/rep", CODECOMMIT, False),
    ("https://git-codecommit.us-east-1.amazonaws.com/v1/repos/demo", CODECOMMIT, True),
    ("https://git-codecommit.us-east-1.amazonaws.com:443", CODECOMMIT, True),
    ("https://git-codecommit.us-east-1.amazonaws.com:8443", CODECOMMIT, False),
    ("https://alice@git-codecommit.us-east-1.amazonaws.com", CODECOMMIT, False),
    (
        "https://alice@git-codecommit.us-east-1.amazonaws.com",
        CODECOMMIT.replace("//", "//alice@"),
        True,
    ),
    ("https://git-codecommit.us-east-1.amazonaws.com", CODECOMMIT.replace("//", "//bob@"), True),
    ("https://github.com", CODECOMMIT, False),
    ("https://127.0.0.1:8080", "https://127.0.0.1:8080/v1/repos/x", True),
]


@pytest.mark.parametrize(("pattern", "url", "expected"), CASES)
def test_matches_like_git(tmp_path: Path, pattern: str, url: str, expected: bool) -> None:
    config = tmp_path / "config"
    subprocess.run(
        ["git", "config", "-f", str(config), f"credential.{pattern}.helper", "marker"], check=True
    )
    git = subprocess.run(
        ["git", "config", "-f", str(config), "--get-urlmatch", "credential.helper", url],
        capture_output=True,
        text=True,
    )
    assert (git.stdout.strip() == "marker") == expected, "git itself disagrees with the case"
    assert url_matches(pattern, url) == expected


@pytest.mark.parametrize("pattern", ["", "not a url", "https://[::1"])
def test_nonsense_patterns_match_nothing(pattern: str) -> None:
    assert not url_matches(pattern, CODECOMMIT)


_LABELS = st.sampled_from(["git-codecommit", "us-east-1", "eu-west-1", "amazonaws", "com", "*"])
_PATHS = st.sampled_from(["", "/", "/v1", "/v1/", "/v1/repos", "/v1/repos/demo", "/v2"])
_PORTS = st.sampled_from(["", ":443", ":8443"])
_USERS = st.sampled_from(["", "alice@"])


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(["https", "http"]),
    labels=st.lists(_LABELS, min_size=2, max_size=5),
    port=_PORTS,
    path=_PATHS,
    user=_USERS,
    url_user=_USERS,
    url_labels=st.lists(_LABELS.filter(lambda label: label != "*"), min_size=2, max_size=5),
    url_port=_PORTS,
    url_path=st.sampled_from(["/", "/v1/repos/demo", "/v1/repos/other", "/v2/x"]),
    same_host=st.booleans(),
    fill=st.sampled_from(["us-east-1", "x", "git-codecommit"]),
)
def test_generated_patterns_match_like_git(
    tmp_path_factory: pytest.TempPathFactory,
    scheme: str,
    labels: list[str],
    port: str,
    path: str,
    user: str,
    url_user: str,
    url_labels: list[str],
    url_port: str,
    url_path: str,
    same_host: bool,
    fill: str,
) -> None:
    if same_host:  # the pattern's own host with its wildcards filled in: often a match
        url_labels = [fill if label == "*" else label for label in labels]
    pattern = f"{scheme}://{user}{'.'.join(labels)}{port}{path}"
    url = f"https://{url_user}{'.'.join(url_labels)}{url_port}{url_path}"
    config = tmp_path_factory.mktemp("cfg") / "config"
    subprocess.run(
        ["git", "config", "-f", str(config), f"credential.{pattern}.helper", "marker"], check=True
    )
    git = subprocess.run(
        ["git", "config", "-f", str(config), "--get-urlmatch", "credential.helper", url],
        capture_output=True,
        text=True,
    )
    assert url_matches(pattern, url) == (git.stdout.strip() == "marker"), (pattern, url)
