"""onboard.git.config with the real git in an isolated home."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from onboard.errors import InvalidInput, OnboardError
from onboard.git import config as gitconfig
from onboard.home import Home
from onboard.platform import Platform

URL = "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/demo"
AWS_HELPER = "!aws codecommit credential-helper $@"


def git(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        ["git", *args], env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def env(home: Home) -> dict[str, str]:
    return home.env()


def test_git_version(env: dict[str, str], tmp_path: Path) -> None:
    version = gitconfig.git_version(env)
    assert version is not None and version >= (2, 0)
    assert gitconfig.git_version({"PATH": str(tmp_path)}) is None


def test_configure_from_scratch_then_idempotent(home: Home, env: dict[str, str]) -> None:
    commands = gitconfig.configure_credential_helper(env)
    assert commands == [
        "git config --global --add 'credential.https://git-codecommit.*.amazonaws.com.helper' ''",
        "git config --global --add 'credential.https://git-codecommit.*.amazonaws.com.helper' "
        "'!aws codecommit credential-helper $@'",
        "git config --global 'credential.https://git-codecommit.*.amazonaws.com.UseHttpPath' true",
    ]
    text = home.gitconfig.read_text()
    assert '[credential "https://git-codecommit.*.amazonaws.com"]' in text
    assert gitconfig.configure_credential_helper(env) == []
    assert home.gitconfig.read_text() == text
    helpers = gitconfig.credential_helpers_for(URL, env)
    assert [h.value for h in helpers] == [AWS_HELPER]
    assert helpers[0].scope == "global" and helpers[0].origin_file == str(home.gitconfig)
    assert helpers[0].is_aws_helper
    assert gitconfig.use_http_path(URL, env)
    assert not gitconfig.use_http_path("https://github.com/x/y", env)


def test_configure_with_profile_replaces_the_old_helper(env: dict[str, str]) -> None:
    gitconfig.configure_credential_helper(env)
    commands = gitconfig.configure_credential_helper(
        env, aws_command="/opt/aws cli/aws", profile="dev-mfa"
    )
    assert commands[0].startswith("git config --global --unset-all")
    values = [h.value for h in gitconfig.credential_helpers_for(URL, env)]
    assert values == ["!'/opt/aws cli/aws' --profile dev-mfa codecommit credential-helper $@"]


def test_caching_helper_is_detected_then_scoped_out(env: dict[str, str]) -> None:
    git(env, "config", "--global", "credential.helper", "osxkeychain")
    mac = Platform("darwin")
    ahead = gitconfig.caching_helpers_ahead(URL, env, mac)
    assert [h.name for h in ahead] == ["osxkeychain"]
    assert gitconfig.caching_helpers_ahead(URL, env, Platform("linux")) == []
    gitconfig.configure_credential_helper(env)
    assert gitconfig.caching_helpers_ahead(URL, env, mac) == []
    # Other hosts keep their helper.
    assert [h.value for h in gitconfig.credential_helpers_for("https://github.com/a/b", env)] == [
        "osxkeychain"
    ]


def test_helper_in_codecommit_section_before_the_reset_is_cleared(env: dict[str, str]) -> None:
    key = "credential.https://git-codecommit.*.amazonaws.com.helper"
    git(env, "config", "--global", "--add", key, "/usr/bin/git-credential-manager.exe")
    windows = Platform("windows")
    assert [h.name for h in gitconfig.caching_helpers_ahead(URL, env, windows)] == ["manager"]
    gitconfig.configure_credential_helper(env)
    assert [h.value for h in gitconfig.credential_helpers_for(URL, env)] == [AWS_HELPER]


def test_system_helper_comes_first_and_the_global_reset_clears_it(
    home: Home, tmp_path: Path
) -> None:
    system = tmp_path / "gitconfig-system"
    env = {**home.env(), "GIT_CONFIG_SYSTEM": str(system)}
    env.pop("GIT_CONFIG_NOSYSTEM")
    git(env, "config", "--file", str(system), "credential.helper", "manager")
    git(env, "config", "--global", "credential.helper", "store")
    helpers = gitconfig.credential_helpers_for(URL, env)
    assert [(h.value, h.scope) for h in helpers] == [("manager", "system"), ("store", "global")]
    assert [h.name for h in gitconfig.caching_helpers_ahead(URL, env, Platform("linux"))] == [
        "manager",
        "store",
    ]
    gitconfig.configure_credential_helper(env)
    assert [h.value for h in gitconfig.credential_helpers_for(URL, env)] == [AWS_HELPER]


def test_helper_order_is_the_order_git_really_asks(home: Home, tmp_path: Path) -> None:
    """Helpers that only log their name: git's real call order must equal ours."""
    log = tmp_path / "asked.log"
    env = {**home.env(), "GIT_TERMINAL_PROMPT": "0"}
    entries = [
        ("credential.helper", "first"),
        ("credential.https://*.*.amazonaws.com.helper", "wild"),
        ("credential.https://github.com.helper", "github"),
        ("credential.https://git-codecommit.us-east-1.amazonaws.com/v1.helper", "pathed"),
        ("credential.helper", "last"),
    ]
    for key, name in entries:
        git(env, "config", "--global", "--add", key, f"!echo {name} >>{log}; true")
    git(env, "config", "--global", "credential.useHttpPath", "true")
    ours = [h.value.split()[1] for h in gitconfig.credential_helpers_for(URL, env)]
    subprocess.run(
        ["git", "credential", "fill"],
        input="url=" + URL + "\n\n",
        env=env,
        capture_output=True,
        text=True,
    )
    asked = [line.split()[0] for line in log.read_text().splitlines()]
    # `--add` puts "last" into the existing [credential] section, ahead of the others.
    assert ours == ["first", "last", "wild", "pathed"]
    assert asked == ours


def test_valueless_and_unrelated_keys_are_ignored(env: dict[str, str], home: Home) -> None:
    home.gitconfig.write_text(
        "[credential]\n\tuseHttpPath\n\thelper = cache --timeout=60\n"
        '[credential "https://git-codecommit.*.amazonaws.com"]\n\tusername = bob\n'
    )
    helpers = gitconfig.credential_helpers_for(URL, env)
    assert [(h.value, h.name) for h in helpers] == [("cache --timeout=60", "cache")]


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("osxkeychain", "osxkeychain"),
        ("manager-core", "manager-core"),
        ("/usr/local/share/gcm-core/git-credential-manager", "manager"),
        ("C:/Program\\ Files/Git/mingw64/bin/git-credential-manager.exe", "manager"),
        ("store --file ~/.my-credentials", "store"),
        ("'unterminated", "'unterminated"),
        (AWS_HELPER, AWS_HELPER),
    ],
)
def test_helper_name(value: str, name: str) -> None:
    assert gitconfig.helper_name(value) == name


def test_store_git_credentials_goes_to_gits_store(home: Home, env: dict[str, str]) -> None:
    git(env, "config", "--global", "credential.helper", "store")
    host = "git-codecommit.us-east-1.amazonaws.com"
    secret = "p4ss+w/rd=Secret"
    receivers = gitconfig.store_git_credentials(env, host, "alice-at-123456789012", secret)
    assert [r.name for r in receivers] == ["store"]
    stored = (home.root / ".git-credentials").read_text()
    assert stored.startswith("https://alice-at-123456789012:")
    assert host in stored
    filled = subprocess.run(
        ["git", "credential", "fill"],
        input=f"protocol=https\nhost={host}\npath=v1/repos/demo\n\n",
        env={**env, "GIT_TERMINAL_PROMPT": "0"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"password={secret}" in filled


def test_store_git_credentials_never_puts_the_password_in_argv(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    git(env, "config", "--global", "credential.helper", "store")
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(args: list[str], *rest: object, **kwargs: object) -> object:
        seen.append(list(args))
        return real_run(args, *rest, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "run", spy)
    gitconfig.store_git_credentials(env, "example.com", "u", "TopSecretValue")
    assert ["git", "credential", "approve"] in seen
    assert all("TopSecretValue" not in arg for args in seen for arg in args)


def test_store_without_a_helper_says_what_to_do(env: dict[str, str]) -> None:
    with pytest.raises(OnboardError, match="no credential helper"):
        gitconfig.store_git_credentials(env, "example.com", "u", "p")
    gitconfig.configure_credential_helper(env)  # the AWS helper does not keep passwords
    with pytest.raises(OnboardError, match="no credential helper"):
        gitconfig.store_git_credentials(env, "git-codecommit.us-east-1.amazonaws.com", "u", "p")


@pytest.mark.parametrize("password", ["", "two\nlines"])
def test_store_refuses_broken_values(env: dict[str, str], password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        gitconfig.store_git_credentials(env, "example.com", "u", password)
    assert "two" not in caught.value.render()


def test_remove_credential_helper(env: dict[str, str]) -> None:
    assert gitconfig.remove_credential_helper(env) == []
    gitconfig.configure_credential_helper(env)
    assert gitconfig.remove_credential_helper(env)
    assert gitconfig.credential_helpers_for(URL, env) == []


def test_ls_remote_lists_refs_of_a_real_repository(env: dict[str, str], tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    git(env, "init", "-q", "-b", "main", str(repo))
    git(
        env,
        "-C",
        str(repo),
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "first",
    )
    result = gitconfig.ls_remote(repo.as_uri(), env)
    assert result.ok and result.returncode == 0
    assert "refs/heads/main" in result.stdout
    missing = gitconfig.ls_remote((tmp_path / "nothing").as_uri(), env)
    assert not missing.ok and missing.returncode not in (0, None)
    assert "nothing" in missing.stderr


def test_ls_remote_gives_up_at_the_timeout(env: dict[str, str]) -> None:
    slow = {**env, "GIT_ALLOW_PROTOCOL": "ext"}
    result = gitconfig.ls_remote("ext::sh -c sleep% 30", slow, timeout=0.5)
    assert result.timed_out and not result.ok and result.returncode is None
    assert "within 0.5 seconds" in result.stderr


def test_ls_remote_never_prompts(env: dict[str, str]) -> None:
    # An HTTPS server that is not there: git must fail, not ask for a password.
    result = gitconfig.ls_remote("https://127.0.0.1:9/v1/repos/x", env, timeout=20)
    assert not result.ok and not result.timed_out


@pytest.mark.parametrize(
    ("method", "profile", "url"),
    [
        ("https-helper", None, "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/web-app"),
        (
            "https-git-credentials",
            None,
            "https://git-codecommit.eu-west-1.amazonaws.com/v1/repos/web-app",
        ),
        ("ssh", None, "ssh://git-codecommit.eu-west-1.amazonaws.com/v1/repos/web-app"),
        ("grc", "dev-mfa", "codecommit::eu-west-1://dev-mfa@web-app"),
        ("grc", None, "codecommit::eu-west-1://web-app"),
    ],
)
def test_clone_url(method: str, profile: str | None, url: str) -> None:
    assert gitconfig.clone_url("eu-west-1", "web-app", method, profile) == url


@pytest.mark.parametrize(
    ("region", "repo", "method"),
    [("nowhere", "r", "ssh"), ("us-east-1", "a b", "ssh"), ("us-east-1", "r", "ftp")],
)
def test_clone_url_refuses_nonsense(region: str, repo: str, method: str) -> None:
    with pytest.raises(InvalidInput):
        gitconfig.clone_url(region, repo, method)


@pytest.mark.parametrize(
    ("system", "flagged"),
    [
        ("darwin", ["osxkeychain", "manager", "store", "cache"]),
        ("windows", ["wincred", "manager", "store", "cache"]),
        ("linux", ["libsecret", "manager", "store", "cache"]),
    ],
)
def test_caching_helpers_per_platform(env: dict[str, str], system: str, flagged: list[str]) -> None:
    helpers = ["osxkeychain", "wincred", "libsecret", "manager", "store", "cache --timeout=9"]
    for value in helpers:
        git(env, "config", "--global", "--add", "credential.helper", value)
    git(env, "config", "--global", "--add", "credential.helper", AWS_HELPER)
    git(env, "config", "--global", "--add", "credential.helper", "store --file /late")
    ahead = gitconfig.caching_helpers_ahead(URL, env, Platform(system))  # type: ignore[arg-type]
    assert [entry.name for entry in ahead] == flagged


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("git version 2.39.5\n", (2, 39, 5)),
        ("git version 2.43.0.windows.1\n", (2, 43, 0)),
        ("git version 2.39.3 (Apple Git-146)\n", (2, 39, 3)),
        ("bash: git: command not found", None),
    ],
)
def test_parse_git_version(text: str, version: tuple[int, ...] | None) -> None:
    assert gitconfig.parse_git_version(text) == version


@pytest.mark.parametrize(("system", "helper"), [("darwin", "osxkeychain"), ("windows", "manager")])
def test_suggested_password_helper_per_platform(
    env: dict[str, str], system: str, helper: str
) -> None:
    assert gitconfig.suggested_password_helper(Platform(system), env)[0] == helper  # type: ignore[arg-type]


def test_suggested_password_helper_on_linux_follows_gits_exec_path(
    env: dict[str, str], tmp_path: Path
) -> None:
    exec_path = git(env, "--exec-path").strip()
    has_libsecret = (Path(exec_path) / "git-credential-libsecret").exists()
    helper, description = gitconfig.suggested_password_helper(Platform("linux"), env)
    assert helper == ("libsecret" if has_libsecret else "store")
    assert description
    # A git whose exec path holds libsecret gets it suggested.
    fake_exec = tmp_path / "exec"
    fake_exec.mkdir()
    for tool in Path(exec_path).iterdir():
        (fake_exec / tool.name).symlink_to(tool)
    libsecret = fake_exec / "git-credential-libsecret"
    if not libsecret.exists():
        libsecret.write_text("#!/bin/sh\n")
        libsecret.chmod(0o755)
    assert (
        gitconfig.suggested_password_helper(
            Platform("linux"), {**env, "GIT_EXEC_PATH": str(fake_exec)}
        )[0]
        == "libsecret"
    )


def test_password_helper_for_codecommit_only_then_credentials_are_kept(
    home: Home, env: dict[str, str]
) -> None:
    host = "git-codecommit.eu-west-1.amazonaws.com"
    git(env, "config", "--global", "credential.helper", "osxkeychain")
    assert [h.name for h in gitconfig.password_keepers(host, env)] == ["osxkeychain"]
    commands = gitconfig.configure_password_helper(env, "store")
    assert commands and gitconfig.configure_password_helper(env, "store") == []
    assert [h.value for h in gitconfig.password_keepers(host, env)] == ["store"]
    assert [h.value for h in gitconfig.password_keepers("github.com", env)] == ["osxkeychain"]
    gitconfig.store_git_credentials(env, host, "alice-at-123456789012", "pw")
    assert host in (home.root / ".git-credentials").read_text()
    # git finds the stored password for any repository path of the host.
    filled = subprocess.run(
        ["git", "credential", "fill"],
        input=f"protocol=https\nhost={host}\npath=v1/repos/my-repo\n\n",
        capture_output=True,
        text=True,
        env={**env, "GIT_TERMINAL_PROMPT": "0"},
    )
    assert "username=alice-at-123456789012" in filled.stdout, filled.stderr
    # Switching to the AWS helper replaces it in place, with UseHttpPath back on.
    gitconfig.configure_credential_helper(env)
    assert gitconfig.password_keepers(host, env) == []
    assert gitconfig.use_http_path(f"https://{host}/v1/repos/my-repo", env)


@pytest.mark.parametrize("helper", ["", "!sh -c evil", "store\nx"])
def test_password_helper_refuses_odd_values(env: dict[str, str], helper: str) -> None:
    with pytest.raises(InvalidInput):
        gitconfig.configure_password_helper(env, helper)


def test_git_without_show_scope_still_lists_helpers(env: dict[str, str], tmp_path: Path) -> None:
    """git < 2.26 (Ubuntu 20.04's 2.25) rejects --show-scope: the list must not come out empty."""
    real_git = subprocess.run(["which", "git"], capture_output=True, text=True).stdout.strip()
    wrapper_dir = tmp_path / "old-git"
    wrapper_dir.mkdir()
    wrapper = wrapper_dir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for arg in "$@"; do\n'
        '  if [ "$arg" = "--show-scope" ]; then\n'
        '    echo "error: unknown option \\`show-scope\'" >&2; exit 129\n'
        "  fi\n"
        "done\n"
        f'exec {real_git} "$@"\n'
    )
    wrapper.chmod(0o755)
    old_env = {**env, "PATH": f"{wrapper_dir}:{env['PATH']}"}
    git(env, "config", "--global", "credential.helper", "osxkeychain")
    gitconfig.configure_credential_helper(old_env)
    helpers = gitconfig.credential_helpers_for(URL, old_env)
    assert [(h.value, h.scope) for h in helpers] == [(AWS_HELPER, "unknown")]
    assert [h.name for h in gitconfig.caching_helpers_ahead(URL, old_env, Platform("darwin"))] == []
    assert [h.value for h in gitconfig.credential_helpers_for("https://github.com/x", old_env)] == [
        "osxkeychain"
    ]
