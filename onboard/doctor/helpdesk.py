"""Helpdesk actions on another user's account, each confirmed and shown as an AWS CLI command.

Every action is checked against what the account really holds before it
runs (a device to delete must be unassigned and not the root user's; a key
must belong to the user), so a typo cannot delete someone else's device.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from onboard.errors import InvalidInput

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway

ROOT_DEVICE_MARKER = "root-account-mfa-device"


@dataclass(frozen=True)
class Secret:
    """A secret AWS shows only once (a reset HTTPS Git password): for the helpdesk's eyes."""

    username: str
    password: str = field(repr=False)

    def to_json(self) -> dict[str, str]:
        """The secret as JSON: only for `--json --show-secret`, never for a report."""
        return {"username": self.username, "password": self.password}


@dataclass(frozen=True)
class Action:
    """One change to make: what it does, the equivalent AWS CLI command, and how."""

    name: str
    description: str
    argv: tuple[str, ...]
    perform: Callable[[Gateway], Secret | None] = field(repr=False, compare=False)
    """Runs the change; returns a secret to show once (reset Git password) or None."""
    then: tuple[tuple[str, ...], ...] = ()
    """Further AWS CLI commands the same action runs, in order (one confirmation)."""

    @property
    def cli_command(self) -> str:
        """The AWS CLI command(s) that do the same (for the ticket, or to run by hand)."""
        return " && ".join(shlex.join(argv) for argv in (self.argv, *self.then))


@dataclass(frozen=True)
class ActionResult:
    """What happened to an action: done or declined, and a secret to show once."""

    action: Action
    done: bool
    secret: Secret | None = field(default=None, repr=False)


def delete_stale_device(gateway: Gateway, user: str, serial: str | None = None) -> list[Action]:
    """Delete unassigned virtual MFA devices named after `user` (or the given serial)."""
    unassigned = gateway.list_virtual_mfa_devices("Unassigned")
    stale = [
        d.serial
        for d in unassigned
        if ROOT_DEVICE_MARKER not in d.serial
        and (d.serial == serial if serial else d.serial.rsplit("/", 1)[-1] == user)
    ]
    if not stale:
        raise InvalidInput(
            f"no stale unassigned MFA device {f'with serial {serial}' if serial else f'of {user}'}",
            "only unassigned, never-enabled virtual devices can be deleted this way",
            f"run `onboard doctor --user {user}` to list the devices",
        )
    return [_delete_device(s) for s in stale]


def _delete_device(serial: str) -> Action:
    def perform(g: Gateway) -> None:
        g.delete_virtual_mfa_device(serial)

    return Action(
        "delete-stale-device",
        f"delete the unassigned virtual MFA device {serial}",
        ("aws", "iam", "delete-virtual-mfa-device", "--serial-number", serial),
        perform,
    )


def deactivate_mfa_device(gateway: Gateway, user: str, serial: str) -> Action:
    """A lost device of `user`: deactivate it and delete the virtual device, in one action.

    Deactivating alone leaves the virtual device holding the user's device name:
    enrolling again would fail with EntityAlreadyExists. A hardware device (no
    `:mfa/` serial) is only deactivated.
    """
    serials = [d.serial for d in gateway.list_mfa_devices(user)]
    if serial not in serials:
        raise InvalidInput(
            f"{serial} is not an MFA device of {user}",
            f"{user}'s devices: {', '.join(serials) or 'none'}",
            "copy the serial from `onboard doctor --user NAME`",
        )
    virtual = ":mfa/" in serial and ROOT_DEVICE_MARKER not in serial

    def perform(g: Gateway) -> None:
        g.deactivate_mfa_device(user, serial)
        if virtual:
            g.delete_virtual_mfa_device(serial)

    then = (("aws", "iam", "delete-virtual-mfa-device", "--serial-number", serial),)
    return Action(
        "deactivate-mfa-device",
        f"deactivate {user}'s MFA device {serial}"
        + (" and delete the virtual device, so they can enroll a new one" if virtual else ""),
        ("aws", "iam", "deactivate-mfa-device", "--user-name", user, "--serial-number", serial),
        perform,
        then if virtual else (),
    )


def _ssh_key(gateway: Gateway, user: str, key_id: str) -> None:
    ids = [k.key_id for k in gateway.list_ssh_public_keys(user)]
    if key_id not in ids:
        raise InvalidInput(
            f"{key_id} is not an SSH key of {user}",
            f"{user}'s keys: {', '.join(ids) or 'none'}",
            "copy the key ID from `onboard doctor --user NAME`",
        )


def deactivate_ssh_key(gateway: Gateway, user: str, key_id: str) -> Action:
    """Mark an SSH key Inactive (reversible)."""
    _ssh_key(gateway, user, key_id)

    def perform(g: Gateway) -> None:
        g.update_ssh_public_key(user, key_id, "Inactive")

    return Action(
        "deactivate-ssh-key",
        f"deactivate SSH key {key_id} of {user}",
        (
            "aws",
            "iam",
            "update-ssh-public-key",
            "--user-name",
            user,
            "--ssh-public-key-id",
            key_id,
            "--status",
            "Inactive",
        ),
        perform,
    )


def delete_ssh_key(gateway: Gateway, user: str, key_id: str) -> Action:
    """Delete an SSH key (not reversible: the user uploads a key again)."""
    _ssh_key(gateway, user, key_id)

    def perform(g: Gateway) -> None:
        g.delete_ssh_public_key(user, key_id)

    return Action(
        "delete-ssh-key",
        f"delete SSH key {key_id} of {user}",
        ("aws", "iam", "delete-ssh-public-key", "--user-name", user, "--ssh-public-key-id", key_id),
        perform,
    )


def reset_git_credentials(gateway: Gateway, user: str, credential_id: str | None) -> Action:
    """Reset the password of the user's HTTPS Git credentials (shown once)."""
    credentials = gateway.list_service_specific_credentials(user)
    ids = [c.id for c in credentials]
    if not ids and credential_id is None:
        return _create_git_credentials(user)
    if credential_id is None and len(ids) == 1:
        credential_id = ids[0]
    if credential_id not in ids:
        raise InvalidInput(
            f"{credential_id or 'which'} HTTPS Git credential of {user}?",
            f"{user}'s credentials: {', '.join(ids) or 'none'}",
            "give the credential ID (--reset-git-credentials ID)",
        )
    chosen = str(credential_id)

    def perform(g: Gateway) -> Secret | None:
        reset = g.reset_service_specific_credential(user, chosen)
        return Secret(reset.username, reset.password.reveal()) if reset.password else None

    return Action(
        "reset-git-credentials",
        f"reset the password of {user}'s HTTPS Git credential {chosen}",
        (
            "aws",
            "iam",
            "reset-service-specific-credential",
            "--user-name",
            user,
            "--service-specific-credential-id",
            chosen,
        ),
        perform,
    )


def _create_git_credentials(user: str) -> Action:
    """No Git credentials (never made, or deleted): create new ones (a reset needs an ID)."""

    def perform(g: Gateway) -> Secret | None:
        made = g.create_service_specific_credential(user)
        return Secret(made.username, made.password.reveal()) if made.password else None

    return Action(
        "create-git-credentials",
        f"create new HTTPS Git credentials for {user} (they have none)",
        (
            "aws",
            "iam",
            "create-service-specific-credential",
            "--user-name",
            user,
            "--service-name",
            "codecommit.amazonaws.com",
        ),
        perform,
    )


def apply(
    actions: list[Action], gateway: Gateway, confirm: Callable[[Action], bool]
) -> list[ActionResult]:
    """Run each action that `confirm` accepts; declined ones are reported, not run."""
    results = []
    for action in actions:
        if not confirm(action):
            results.append(ActionResult(action, False))
            continue
        results.append(ActionResult(action, True, action.perform(gateway)))
    return results
