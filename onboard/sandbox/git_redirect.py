"""Send the real CodeCommit URLs to the sandbox, from the sandbox home only.

git and ssh keep the URLs a developer uses against the real service
(`https://git-codecommit.<region>.amazonaws.com/v1/repos/...`,
`ssh://git-codecommit.<region>.amazonaws.com/v1/repos/...`); two small files
in `<sandbox home>/.onboard-sandbox/`, included from the sandbox home's
`~/.gitconfig` and `~/.ssh/config`, route them to 127.0.0.1:

- git: `http.<codecommit url>.proxy` = the sandbox's git endpoint, which
  accepts `CONNECT git-codecommit...:443` and speaks TLS with a certificate
  from the sandbox CA (`http.<codecommit url>.sslCAInfo`). Why not
  `url.<local>.insteadOf`: git matches `credential.<url>.*` against the
  *rewritten* URL, so the walkthrough's helper scoped on
  `https://git-codecommit.*.amazonaws.com` would never run, and the AWS
  helper signs only hosts under amazonaws.com. Why not `http.curloptResolve`:
  it keeps port 443, which needs root and one sandbox per machine. The proxy
  also covers git-remote-codecommit, which hands `git remote-http` a
  ready-signed URL that insteadOf would not rewrite.
- ssh: OpenSSH reads `~/.ssh/config` from the password database's home,
  not `$HOME`, so git gets `core.sshCommand = ssh -F <sandbox home>/.ssh/config`
  (anything else that runs ssh for the sandbox uses `ssh_command(home)`);
  the included file has a `Host git-codecommit.*.amazonaws.com` block with `HostName
  127.0.0.1`, `Port`, `HostKeyAlias` (the real host name) and a
  `UserKnownHostsFile` holding the sandbox host key. It sets nothing the
  walkthrough writes (User, IdentityFile, algorithms), and ssh takes the
  first value it finds, so both blocks combine.

Two environment variables beat any config file: `GIT_SSL_CAINFO` (set on
many machines, this one included) replaces `sslCAInfo`, and a `NO_PROXY`
covering amazonaws.com skips the proxy. `redirect_env()` gives the values
that keep the redirect working (a CA bundle = system CAs + the sandbox CA,
so other hosts still verify); the sandbox puts them in its environment and
its env file.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from onboard.files import atomic_write, edit_file, read_text, remove_block, upsert_block
from onboard.home import Home

BLOCK = "sandbox-redirect"
REDIRECT_DIR = ".onboard-sandbox"
HOST_PATTERNS = "git-codecommit.*.amazonaws.com git-codecommit-fips.*.amazonaws.com"


@dataclass(frozen=True)
class Redirect:
    """The files a redirect wrote (all inside the sandbox home)."""

    git_config: Path
    ssh_config: Path
    known_hosts: Path
    ca_bundle: Path
    """System CAs plus the sandbox CA, for `GIT_SSL_CAINFO`."""


def redirect_paths(home: Home) -> Redirect:
    """Where the redirect files of `home` live."""
    folder = home.root / REDIRECT_DIR
    return Redirect(
        folder / "gitconfig",
        folder / "ssh_config",
        folder / "known_hosts",
        folder / "ca-bundle.pem",
    )


_SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
)


def _system_ca_text(environ: dict[str, str] | os._Environ[str]) -> str:
    candidates = [environ.get("GIT_SSL_CAINFO", ""), environ.get("SSL_CERT_FILE", "")]
    for candidate in [*candidates, *_SYSTEM_BUNDLES]:
        if candidate and Path(candidate).is_file():
            try:
                return Path(candidate).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    return ""


def redirect_env(home: Home) -> dict[str, str]:
    """Environment values that keep the redirect working whatever the shell has set."""
    paths = redirect_paths(home)
    env = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    if paths.ca_bundle.exists():
        env["GIT_SSL_CAINFO"] = str(paths.ca_bundle)
    return env


def _quote(path: Path) -> str:
    # git config values and ssh arguments both accept double quotes.
    return '"' + str(path).replace("\\", "/").replace('"', '\\"') + '"'


def ssh_command(home: Home) -> list[str]:
    """The ssh command line that uses `home`'s ssh config (`-F` for a sandbox home)."""
    return ["ssh", "-F", str(home.ssh_config)] if home.isolated else ["ssh"]


def shell_command(argv: list[str]) -> str:
    """`argv` as one POSIX shell command line (git runs sshCommand through sh)."""
    return " ".join(shlex.quote(arg) for arg in argv)


def _git_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_redirect(
    home: Home,
    region: str,
    http_url: str,
    ssh_port: int,
    *,
    ca_cert: Path | None = None,
    ssh_host_key: str | None = None,
) -> Redirect:
    """Point `home`'s git and ssh at the sandbox endpoints for `region`.

    `http_url` is the sandbox git HTTP endpoint (`RunningServer.url`),
    `ca_cert` the CA it presents inside tunnels (`RunningServer.ca_cert`),
    `ssh_host_key` the SSH endpoint's public host key in OpenSSH form.
    Refuses a non-isolated home: the real `~` must never be redirected.
    Idempotent; other lines of `~/.gitconfig` and `~/.ssh/config` are kept.
    """
    if not home.isolated:
        raise ValueError("write_redirect only edits an isolated sandbox home")
    paths = redirect_paths(home)
    paths.git_config.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    section = f"https://git-codecommit.{region}.amazonaws.com"
    git_lines = [
        "# Written by the onboard sandbox: the real CodeCommit URL, served locally.",
        f'[http "{section}"]',
        f"\tproxy = {http_url}",
    ]
    if ca_cert is not None:
        git_lines.append(f"\tsslCAInfo = {_quote(ca_cert)}")
        bundle = _system_ca_text(os.environ).rstrip("\n") + "\n" + ca_cert.read_text()
        atomic_write(paths.ca_bundle, bundle.lstrip("\n"), mode=0o644, backup=False)
    else:
        # No CA to trust: the sandbox endpoint's certificate cannot be verified.
        git_lines.append("\tsslVerify = false")
    # OpenSSH finds ~/.ssh/config through the password database, not $HOME:
    # git must be told to use the sandbox home's file.
    git_lines += ["[core]", f"\tsshCommand = {_git_quote(shell_command(ssh_command(home)))}"]
    atomic_write(paths.git_config, "\n".join(git_lines) + "\n", mode=0o600, backup=False)

    alias = f"git-codecommit.{region}.amazonaws.com"
    ssh_lines = [
        "# Written by the onboard sandbox: the real CodeCommit host, served locally.",
        f"Host {HOST_PATTERNS}",
        "\tHostName 127.0.0.1",
        f"\tPort {ssh_port}",
        f"\tHostKeyAlias {alias}",
        f"\tUserKnownHostsFile {_quote(paths.known_hosts)} {_quote(home.known_hosts)}",
    ]
    atomic_write(paths.ssh_config, "\n".join(ssh_lines) + "\n", mode=0o600, backup=False)
    known = f"{alias} {ssh_host_key.strip()}\n" if ssh_host_key else ""
    atomic_write(paths.known_hosts, known, mode=0o600, backup=False)

    # `include.path` first so the walkthrough's own settings stay as written.
    include = f"[include]\n\tpath = {_quote(paths.git_config)}"
    edit_file(
        home.gitconfig,
        lambda text: upsert_block(text, BLOCK, include, prepend=True),
        git_lock=True,
    )
    # `Include` must come before any Host line to apply to every host.
    home.ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ssh_include = f"Include {_quote(paths.ssh_config)}"
    edit_file(home.ssh_config, lambda text: upsert_block(text, BLOCK, ssh_include, prepend=True))
    return paths


def remove_redirect(home: Home) -> None:
    """Undo `write_redirect` (the include lines and the redirect files)."""

    def without_block(text: str) -> str:
        kept = remove_block(text, BLOCK)
        # upsert_block(prepend=True) put a blank line after the block: drop it too.
        if text.startswith("# >>> onboard: ") and kept.startswith(("\n", "\r\n")):
            kept = kept.split("\n", 1)[1]
        return kept

    for config in (home.gitconfig, home.ssh_config):
        if read_text(config):
            edit_file(config, without_block, git_lock=config == home.gitconfig)
    paths = redirect_paths(home)
    for path in (paths.git_config, paths.ssh_config, paths.known_hosts, paths.ca_bundle):
        path.unlink(missing_ok=True)
