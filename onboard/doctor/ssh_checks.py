"""SSH checks: the config ssh really uses for CodeCommit, against the keys IAM has.

`ssh -G` gives the effective configuration (every Host/Match block applied),
so a `User` or `IdentityFile` from an earlier `Host *` block is seen exactly
as ssh sees it. The local side is compared with the user's uploaded keys.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok, skipped
from onboard.errors import OnboardError
from onboard.ssh import config as sshconfig
from onboard.ssh.keys import inspect_public_key

SSH_RSA_DISABLED_SINCE = (8, 8)
_FIX_BLOCK = "onboard (SSH step) writes the Host git-codecommit.*.amazonaws.com block"


def ssh_host(ctx: DoctorContext) -> str:
    """The CodeCommit SSH host for the checked region."""
    return f"git-codecommit.{ctx.region}.amazonaws.com"


def effective(ctx: DoctorContext) -> dict[str, list[str]]:
    """`ssh -G` for the CodeCommit host (memoised for the run)."""
    home = ctx.settings.home

    def compute() -> dict[str, list[str]]:
        config = None
        if home.isolated:
            # `ssh -F` with a missing file is an error; an empty home means "no config".
            config = home.ssh_config if home.ssh_config.exists() else Path(os.devnull)
        return sshconfig.effective_ssh_config(
            ssh_host(ctx), env=ctx.env(), platform=ctx.settings.platform, config_file=config
        )

    return ctx.fact("ssh -G", compute)


def uploaded_keys(ctx: DoctorContext) -> list[Any]:
    """The user's SSH public keys in IAM (memoised)."""
    user = ctx.user_name()
    return ctx.fact("ssh keys", lambda: ctx.gateway().list_ssh_public_keys(user))


def _normalise(fingerprint: str) -> str:
    return fingerprint.lower().removeprefix("md5:").strip()


def check_config(ctx: DoctorContext) -> Finding:
    """ssh can read its configuration for the CodeCommit host."""
    try:
        config = effective(ctx)
    except OnboardError as exc:
        return Finding(
            "ssh.config",
            "fail",
            exc.what,
            (exc.why,),
            Fix(exc.next_step),
            causes=("ssh-config-invalid",),
        )
    user = (config.get("user") or [""])[0]
    return Finding(
        "ssh.config",
        "ok",
        f"ssh -G {ssh_host(ctx)}: User {user}",
        tuple(f"identityfile {path}" for path in config.get("identityfile", [])),
        rules_out=("ssh-config-invalid",),
        data={"user": user},
    )


def check_key_id(ctx: DoctorContext) -> Finding:
    """ssh logs in as an Active SSH key ID of this user (not the IAM user name)."""
    user = (effective(ctx).get("user") or [""])[0]
    keys = uploaded_keys(ctx)
    if not keys and not user.upper().startswith("APKA"):
        return skipped("ssh.key_id", "SSH is not set up (no key uploaded, no key ID in the config)")
    if not user.upper().startswith("APKA"):
        key_ids = ", ".join(k.key_id for k in keys if k.status == "Active") or "none active"
        return Finding(
            "ssh.key_id",
            "fail",
            f"ssh logs in as {user!r}, not as an SSH key ID (yours: {key_ids})",
            ("CodeCommit's SSH user name is the key ID (APKA...)",),
            Fix(_FIX_BLOCK, action="write-ssh-config"),
            causes=("ssh-user-not-key-id",),
        )
    match = next((k for k in keys if k.key_id == user), None)
    if match is None:
        return Finding(
            "ssh.key_id",
            "fail",
            f"{user} is not one of this user's SSH key IDs",
            tuple(f"{k.key_id} {k.status}" for k in keys) or ("no SSH key uploaded",),
            Fix("Upload the key (onboard SSH step) and use its key ID"),
            causes=("ssh-key-not-uploaded", "wrong-account-or-profile"),
        )
    if match.status != "Active":
        return Finding(
            "ssh.key_id",
            "fail",
            f"SSH key {user} is {match.status}",
            fix=Fix(
                "Activate it",
                f"aws iam update-ssh-public-key --user-name {ctx.user_name()} "
                f"--ssh-public-key-id {user} --status Active",
            ),
            causes=("ssh-key-not-uploaded",),
        )
    return Finding(
        "ssh.key_id",
        "ok",
        f"ssh logs in as {user}, an Active key of {ctx.user_name()}",
        rules_out=("ssh-user-not-key-id",),
        data={"key_id": user},
    )


def _identity_files(ctx: DoctorContext) -> list[Path]:
    home = ctx.settings.home.root
    paths = []
    for raw in effective(ctx).get("identityfile", []):
        text = raw.replace("%d", str(home))
        if text.startswith("~"):
            text = str(home) + text[1:]
        paths.append(Path(text))
    return paths


def check_identity_file(ctx: DoctorContext) -> Finding:
    """An IdentityFile exists, is private (0600), and matches the uploaded key."""
    user = (effective(ctx).get("user") or [""])[0]
    if not user.upper().startswith("APKA"):
        return skipped("ssh.identity_file", "no SSH key ID configured (see ssh.key_id)")
    existing = [p for p in _identity_files(ctx) if p.exists()]
    if not existing:
        return Finding(
            "ssh.identity_file",
            "fail",
            "none of the IdentityFile paths exists",
            tuple(str(p) for p in _identity_files(ctx)),
            Fix(_FIX_BLOCK, action="write-ssh-config"),
            causes=("ssh-private-key-invalid",),
        )
    # ListSSHPublicKeys carries no fingerprint: ask for the configured key itself.
    key = ctx.gateway().get_ssh_public_key(ctx.user_name(), user)
    uploaded = {_normalise(key.fingerprint): key.key_id}
    problems = []
    for path in existing:
        mode = stat.S_IMODE(path.stat().st_mode)
        if not ctx.settings.platform.is_windows and os.name != "nt" and mode & 0o077:
            problems.append(f"{path} is mode {mode:04o}: ssh ignores keys others can read")
            continue
        public = path.with_name(path.name + ".pub")
        if not public.exists():
            continue
        try:
            info = inspect_public_key(public.read_text(encoding="utf-8"), public)
        except OnboardError as exc:
            problems.append(f"{public}: {exc.what}")
            continue
        if _normalise(info.fingerprint_md5) in uploaded:
            return Finding(
                "ssh.identity_file",
                "ok",
                f"{path} (0{mode:03o}) matches uploaded key {user}",
                rules_out=("ssh-private-key-invalid", "ssh-key-not-uploaded"),
            )
        problems.append(f"{public} has fingerprint {info.fingerprint_md5}, not {user}'s")
    if any("mode" in p for p in problems):
        return Finding(
            "ssh.identity_file",
            "fail",
            "the private key file is readable by others",
            tuple(problems),
            Fix("chmod 600 the key", f"chmod 600 {existing[0]}"),
            causes=("ssh-private-key-invalid",),
        )
    return Finding(
        "ssh.identity_file",
        "fail" if problems else "warn",
        "no IdentityFile matches the uploaded key" if problems else "cannot compare fingerprints",
        tuple(problems) or ("no .pub file beside the private key",),
        Fix("Point IdentityFile at the key you uploaded, or upload this key"),
        causes=("ssh-key-not-uploaded",) if problems else (),
    )


def _allows_ssh_rsa(values: list[str]) -> bool:
    return any("ssh-rsa" in value.split(",") for value in values)


def check_algorithms(ctx: DoctorContext) -> Finding:
    """OpenSSH 8.8+ has ssh-rsa turned back on for CodeCommit's host."""
    version = ctx.fact("ssh -V", lambda: sshconfig.ssh_version(ctx.env(), ctx.settings.platform))
    if version is None:
        return skipped("ssh.algorithms", "no OpenSSH client")
    config = effective(ctx)
    host_ok = _allows_ssh_rsa(config.get("hostkeyalgorithms", []))
    accepted = config.get("pubkeyacceptedalgorithms") or config.get("pubkeyacceptedkeytypes", [])
    key_ok = _allows_ssh_rsa(accepted)
    if host_ok and key_ok:
        return Finding(
            "ssh.algorithms",
            "ok",
            "ssh-rsa is allowed for CodeCommit",
            rules_out=("ssh-rsa-sha1-disabled",),
        )
    user = (config.get("user") or [""])[0]
    missing = [
        name
        for name, good in (("HostKeyAlgorithms", host_ok), ("PubkeyAcceptedAlgorithms", key_ok))
        if not good
    ]
    return Finding(
        "ssh.algorithms",
        # Only a failure once SSH is in use (a key ID configured); before that, advice.
        "fail" if user.upper().startswith("APKA") else "warn",
        f"OpenSSH {version[0]}.{version[1]} does not offer ssh-rsa ({', '.join(missing)})",
        ("CodeCommit's SSH endpoint only speaks ssh-rsa",),
        Fix(
            f"Add {' and '.join(n + ' +ssh-rsa' for n in missing)}; {_FIX_BLOCK}",
            action="write-ssh-config",
        ),
        causes=("ssh-rsa-sha1-disabled",),
    )


def check_known_hosts(ctx: DoctorContext) -> Finding:
    """CodeCommit's host key is recorded (else the first connection asks)."""
    config = effective(ctx)
    home = ctx.settings.home
    files = [f for value in config.get("userknownhostsfile", []) for f in value.split()]
    paths = [Path(f.strip('"').replace("~", str(home.root), 1)) for f in files]
    # HostKeyAlias (the sandbox's) is the name ssh looks up.
    host = (config.get("hostkeyalias") or [ssh_host(ctx)])[0]
    keygen = shutil.which(
        ctx.settings.platform.executable("ssh-keygen"), path=ctx.env().get("PATH")
    )
    for path in paths:
        if not path.exists():
            continue
        if keygen is not None:
            # `ssh-keygen -F` also finds hashed entries (HashKnownHosts yes).
            found = subprocess.run(
                [keygen, "-F", host, "-f", str(path)],
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=10,
                check=False,
            )
            if found.returncode == 0 and found.stdout.strip():
                return ok("ssh.known_hosts", f"{host} is in {path}")
        elif host in path.read_text(encoding="utf-8", errors="replace"):
            return ok("ssh.known_hosts", f"{host} is in {path}")
    return Finding(
        "ssh.known_hosts",
        "warn",
        f"{host} is not in known_hosts",
        ("the first connection asks to confirm the host key",),
        Fix(f"Connect once and compare the fingerprint with AWS's: ssh {ssh_host(ctx)}"),
        causes=("host-key-unverified",),
    )


CHECKS = (
    CheckSpec("ssh.config", check_config),
    CheckSpec("ssh.key_id", check_key_id),
    CheckSpec("ssh.identity_file", check_identity_file),
    CheckSpec("ssh.algorithms", check_algorithms),
    CheckSpec("ssh.known_hosts", check_known_hosts),
)
