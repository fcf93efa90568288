"""SSH checks: the config ssh really uses for CodeCommit, against the keys IAM has.

`ssh -G` gives the effective configuration (every Host/Match block applied),
so a `User` or `IdentityFile` from an earlier `Host *` block is seen exactly
as ssh sees it. The local side is compared with the user's uploaded keys.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

from onboard.doctor import gitssh
from onboard.doctor.context import CheckSpec, DoctorContext
from onboard.doctor.findings import Finding, Fix, ok, skipped
from onboard.doctor.procs import run_bounded
from onboard.errors import OnboardError
from onboard.ssh import config as sshconfig
from onboard.ssh.keys import inspect_public_key

SSH_RSA_DISABLED_SINCE = (8, 8)
_FIX_BLOCK = "onboard (SSH step) writes the Host git-codecommit.*.amazonaws.com block"


def ssh_host(ctx: DoctorContext) -> str:
    """The CodeCommit SSH host for the checked region."""
    return f"git-codecommit.{ctx.region}.amazonaws.com"


def ssh_view(ctx: DoctorContext) -> gitssh.Effective:
    """`ssh -G` for the CodeCommit host, run the way git runs ssh (memoised for the run)."""
    home = ctx.settings.home

    def compute() -> gitssh.Effective:
        target = _ssh_target(ctx)
        config = None
        if home.isolated:
            # `ssh -F` with a missing file is an error; an empty home means "no config".
            config = home.ssh_config if home.ssh_config.exists() else Path(os.devnull)
        return gitssh.effective(
            ssh_host(ctx),
            ctx.env(),
            cwd=ctx.cwd,
            timeout=ctx.live_timeout,
            url_user=target.ssh_user if target is not None else None,
            isolated_config=config,
        )

    return ctx.fact("ssh -G", compute)


def effective(ctx: DoctorContext) -> dict[str, list[str]]:
    """The effective ssh options for the CodeCommit host (see `ssh_view`)."""
    return ssh_view(ctx).options


def _ssh_target(ctx: DoctorContext) -> Any:
    try:
        return next((t for t in ctx.targets() if t.method == "ssh"), None)
    except Exception:  # git.remote reports a clone git cannot read
        return None


def ssh_in_use(ctx: DoctorContext) -> bool:
    """False when git's remotes are known and none of them uses SSH."""
    try:
        targets = ctx.targets()
    except Exception:  # git.remote reports a clone git cannot read
        return True
    return not targets or any(t.method == "ssh" for t in targets)


def not_in_use(ctx: DoctorContext, finding: Finding) -> Finding:
    """An SSH failure is a warning when this clone's remotes do not use SSH."""
    if finding.status != "fail" or ssh_in_use(ctx):
        return finding
    return dataclasses.replace(
        finding,
        status="warn",
        details=(*finding.details, "this clone's remotes do not use SSH: git is not affected"),
    )


def uploaded_keys(ctx: DoctorContext) -> list[Any]:
    """The user's SSH public keys in IAM (memoised)."""
    user = ctx.user_name()
    return ctx.fact("ssh keys", lambda: ctx.gateway().list_ssh_public_keys(user))


def _normalise(fingerprint: str) -> str:
    return fingerprint.lower().removeprefix("md5:").strip()


def check_config(ctx: DoctorContext) -> Finding:
    """ssh can read its configuration for the CodeCommit host."""
    try:
        view = ssh_view(ctx)
    except OnboardError as exc:
        return not_in_use(
            ctx,
            Finding(
                "ssh.config",
                "fail",
                exc.what,
                (exc.why,),
                Fix(exc.next_step),
                causes=("ssh-config-invalid",),
            ),
        )
    config = view.options
    user = (config.get("user") or [""])[0]
    how = f"git runs {' '.join(view.command.argv)} ({view.command.source})"
    return Finding(
        "ssh.config",
        "ok",
        f"ssh -G {ssh_host(ctx)} as git runs it: User {user}",
        (
            how,
            *(f"User {user} from {view.user_from}" for _ in [0] if view.user_from),
            *(f"identityfile {path}" for path in config.get("identityfile", [])),
        ),
        rules_out=("ssh-config-invalid",),
        data={"user": user, "command": list(view.command.argv), "source": view.command.source},
    )


def check_key_id(ctx: DoctorContext) -> Finding:
    """ssh logs in as an Active SSH key ID of this user (not the IAM user name)."""
    return not_in_use(ctx, _key_id(ctx))


def _key_id(ctx: DoctorContext) -> Finding:
    view = ssh_view(ctx)
    user = (view.options.get("user") or [""])[0]
    keys = uploaded_keys(ctx)
    if not keys and not user.upper().startswith("APKA"):
        return skipped("ssh.key_id", "SSH is not set up (no key uploaded, no key ID in the config)")
    if not user.upper().startswith("APKA"):
        key_ids = ", ".join(k.key_id for k in keys if k.status == "Active") or "none active"
        details = ["CodeCommit's SSH user name is the key ID (APKA...)"]
        fix = Fix(_FIX_BLOCK, action="write-ssh-config")
        if view.user_from:
            details.append(
                f"User {user} comes from {view.user_from}: ssh keeps the first value it finds, "
                "so a User in a later CodeCommit block never applies"
            )
            fix = Fix("Move the Host git-codecommit.*.amazonaws.com block above that block "
                      f"(or drop its User); {_FIX_BLOCK}", action="write-ssh-config")  # fmt: skip
        elif view.command.source != "ssh (default)":
            details.append(f"git runs {' '.join(view.command.argv)} ({view.command.source})")
            fix = Fix(f"Remove the user from {view.command.source}")
        return Finding(
            "ssh.key_id",
            "fail",
            f"ssh logs in as {user!r}, not as an SSH key ID (yours: {key_ids})",
            tuple(details),
            fix,
            causes=("ssh-user-not-key-id",),
            data={"user": user, "user_from": view.user_from},
        )
    match = next((k for k in keys if k.key_id == user), None)
    if match is None:
        return Finding(
            "ssh.key_id",
            "fail",
            f"{user} is not one of this user's SSH key IDs (deleted, or never uploaded here)",
            tuple(f"{k.key_id} {k.status}" for k in keys) or ("no SSH key uploaded",),
            Fix("Upload the key again (onboard SSH step) and use its new key ID"),
            causes=("ssh-key-not-uploaded", "wrong-account-or-profile"),
        )
    if match.status != "Active":
        return Finding(
            "ssh.key_id",
            "fail",
            f"SSH key {user} is {match.status}: CodeCommit refuses an inactive key",
            fix=Fix(
                "Activate it again",
                f"aws iam update-ssh-public-key --user-name {ctx.user_name()} "
                f"--ssh-public-key-id {user} --status Active{mfa_profile_option(ctx)}",
            ),
            causes=("ssh-key-inactive",),
        )
    return Finding(
        "ssh.key_id",
        "ok",
        f"ssh logs in as {user}, an Active key of {ctx.user_name()}",
        rules_out=("ssh-user-not-key-id",),
        data={"key_id": user},
    )


def mfa_profile_option(ctx: DoctorContext) -> str:
    """` --profile <profile>-mfa` for a fix the user runs under a force-MFA policy."""
    return "" if ctx.helpdesk else f" --profile {ctx.mfa_profile()}"


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
        fingerprint, note = _public_fingerprint(ctx, path, public, set(uploaded))
        if fingerprint is None:
            problems.append(note)
            continue
        if fingerprint in uploaded:
            return Finding(
                "ssh.identity_file",
                "ok",
                f"{path} (0{mode:03o}) matches uploaded key {user}",
                (note,) if note else (),
                rules_out=("ssh-private-key-invalid", "ssh-key-not-uploaded"),
            )
        problems.append(f"{path} is not {user}'s key (fingerprint {fingerprint}){note}")
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
        _mismatch_fix(ctx, existing),
        causes=("ssh-key-not-uploaded",) if problems else (),
    )


def _mismatch_fix(ctx: DoctorContext, keys: list[Path]) -> Fix:
    """Point IdentityFile at the uploaded key; upload a local key only when IAM takes it."""
    unusable = []
    for path in keys:
        ran = run_bounded(["ssh-keygen", "-y", "-P", "", "-f", str(path)], ctx.env(),
                          ctx.live_timeout)  # fmt: skip
        try:
            info = inspect_public_key(ran.stdout, path) if ran.ok else None
        except OnboardError:
            info = None
        if info is not None and not info.usable:
            unusable.append(f"{path.name} is {info.key_type}: {info.reason}")
    if unusable:
        return Fix(
            "Point IdentityFile at the RSA key you uploaded; IAM refuses this one ("
            + "; ".join(unusable)
            + "), so make an RSA key (ssh-keygen -t rsa -b 4096) and upload that (onboard SSH step)"
        )
    return Fix("Point IdentityFile at the key you uploaded, or upload this key (onboard SSH step)")


def _public_fingerprint(
    ctx: DoctorContext, private: Path, public: Path, wanted: set[str]
) -> tuple[str | None, str]:
    """The MD5 fingerprint of the private key's public half, and a note on how it was found.

    The .pub beside it is trusted only when it matches; a missing or stale .pub is
    checked against the private key itself (`ssh-keygen -y`), which is what ssh offers.
    """
    if public.exists():
        try:
            info = inspect_public_key(public.read_text(encoding="utf-8"), public)
            if _normalise(info.fingerprint_md5) in wanted:
                return _normalise(info.fingerprint_md5), ""
        except OnboardError:
            pass  # judged from the private key below
    keygen = shutil.which(
        ctx.settings.platform.executable("ssh-keygen"), path=ctx.env().get("PATH")
    )
    if keygen is None:
        return None, f"cannot derive the public key of {private} (no ssh-keygen)"
    ran = run_bounded([keygen, "-y", "-P", "", "-f", str(private)], ctx.env(), ctx.live_timeout)
    if not ran.ok:
        return None, f"{private}: ssh-keygen -y cannot read it ({ran.problem(ctx.live_timeout)})"
    try:
        derived = _normalise(inspect_public_key(ran.stdout, private).fingerprint_md5)
    except OnboardError as exc:
        return None, f"{private}: {exc.what}"
    why = "missing" if not public.exists() else "not this key's"
    return derived, f" ({public.name} beside it is {why}; compared with ssh-keygen -y)"


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


def check_identity_file_in_use(ctx: DoctorContext) -> Finding:
    """`check_identity_file`, a warning when this clone's remotes do not use SSH."""
    return not_in_use(ctx, check_identity_file(ctx))


def check_algorithms_in_use(ctx: DoctorContext) -> Finding:
    """`check_algorithms`, a warning when this clone's remotes do not use SSH."""
    return not_in_use(ctx, check_algorithms(ctx))


CHECKS = (
    CheckSpec("ssh.config", check_config),
    CheckSpec("ssh.key_id", check_key_id),
    CheckSpec("ssh.identity_file", check_identity_file_in_use),
    CheckSpec("ssh.algorithms", check_algorithms_in_use),
    CheckSpec("ssh.known_hosts", check_known_hosts),
)
