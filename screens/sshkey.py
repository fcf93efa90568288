"""Step 4: pick or generate an RSA key, upload it with the MFA session, write the ssh config."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from onboard.aws.errors import AccessDenied, LimitExceeded
from onboard.errors import InvalidInput, OnboardError
from onboard.ssh import keys as sshkeys
from onboard.walkthrough.facts import (
    KeyUpload,
    expand_user_path,
    oldest_key,
    read_public_key,
    remove_key,
    upload_key,
)
from onboard.walkthrough.ssh_derive import derive_public_key, free_key_name
from onboard.walkthrough.steps import Change
from onboard.walkthrough.verify import MethodOutcome, policy_verdict
from screens.modals import ConfirmModal
from screens.step import StepScreen
from screens.widgets.key_list import key_label, orphan_hint, scan_keys, ssh_denied_text


class SshKeyScreen(StepScreen):
    """Lists the keys in the ssh folder, generates codecommit_rsa, uploads the chosen key."""

    STEP = "sshkey"
    HELP = (
        "CodeCommit takes only RSA keys of 2048 bits or more (ed25519 and ECDSA are "
        "refused by IAM). Pick one of your keys, type the path of another .pub file, "
        "or generate a dedicated `codecommit_rsa` (RSA 4096). The public half is "
        "uploaded to IAM with your MFA session; its key ID becomes your SSH user "
        "name, written into ~/.ssh/config for CodeCommit hosts only."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "generate", "Generate key"),
        Binding("d", "derive", "Derive .pub"),
        Binding("ctrl+s", "skip", "Skip (HTTPS)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[sshkeys.KeyInfo] = []
        self.orphans: list[Path] = []
        """Private keys whose .pub is missing (d derives it)."""
        self.last_attempt: tuple[sshkeys.KeyInfo | None, Path | None] | None = None
        """The key last sent to IAM, to try again after making room."""

    def compose_body(self) -> ComposeResult:
        yield Static("", id="ssh-info", classes="panel", markup=False)
        yield Static("", id="ssh-denied", classes="panel panel-error hidden", markup=False)
        with Vertical(id="pick"):
            yield OptionList(id="keys", classes="hidden")
            with Horizontal(classes="field-row"):
                yield Label("Other .pub file", classes="field-label")
                yield Input(placeholder="path of a public key file", id="path")
            with Horizontal(classes="field-row"):
                yield Label("Passphrase", classes="field-label")
                yield Input(placeholder="optional, for a new key", password=True, id="passphrase")
            yield Static("", id="key-problem", classes="field-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Upload", id="upload", variant="primary")
                yield Button("Generate key", id="generate")
                yield Button("Skip (HTTPS)", id="skip")
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary", classes="hidden")
            yield Button("Use another key", id="another", classes="hidden")

    def on_mount(self) -> None:
        self.refresh_checklist()
        self.scan()
        self.judge_ssh()

    def scan(self) -> None:
        home = self.state.settings.home
        if self.state.ssh_key_id:
            self.show_uploaded(self.state.ssh_key_id, reused=True, edit_changed=False)
        self.run_task("scan", lambda: scan_keys(home), busy="Looking at your SSH keys…")

    def judge_ssh(self) -> None:
        """Ask the policy about git over SSH before anything is uploaded."""
        gateway, identity = self.state.best_gateway, self.state.identity
        if gateway is None or identity is None or self.state.ssh_key_id:
            return
        user, region, wanted = self.state.user_name, self.state.region, self.state.settings.repo
        mfa = self.state.mfa_gateway is not None

        def judge() -> MethodOutcome:
            repos = [] if wanted else gateway.list_repositories()
            repo = wanted or (repos[0] if repos else "my-repo")
            verdict = policy_verdict(gateway, identity.account, user, region, repo, mfa=mfa)
            return verdict.outcome("ssh")

        self.run_task("verdict", judge)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Generate and skip belong to choosing a key; letters type while a field has focus."""
        if action in ("generate", "derive") and self.typing():
            return False
        if action == "derive" and not self.orphans:
            return False
        if action in ("generate", "skip", "derive"):
            return not any(pick.has_class("hidden") for pick in self.query("#pick"))
        return super().check_action(action, parameters)

    # -- actions -------------------------------------------------------------

    def selected_key(self) -> sshkeys.KeyInfo | None:
        option_list = self.query_one("#keys", OptionList)
        index = option_list.highlighted
        if index is None or not 0 <= index < len(self.keys):
            return None
        return self.keys[index]

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#upload")
    def upload_pressed(self) -> None:
        path_text = self.query_one("#path", Input).value.strip()
        chosen = None if path_text else self.selected_key()
        if not path_text and chosen is None:
            self.problem("Pick a key from the list, type the path of a .pub file, or press g.")
            return
        home = self.state.settings.home
        self.upload(chosen, expand_user_path(path_text, home) if path_text else None)

    @on(OptionList.OptionSelected, "#keys")
    def option_selected(self) -> None:
        self.query_one("#path", Input).value = ""
        self.upload_pressed()

    def upload(self, key: sshkeys.KeyInfo | None, path: Path | None) -> None:
        gateway = self.state.best_gateway
        if gateway is None:
            return
        user, home, env = self.state.user_name, self.state.settings.home, self.state.settings.env()
        self.last_attempt = (key, path)

        def work() -> KeyUpload:
            chosen = key if key is not None else read_public_key(path or Path())
            return upload_key(gateway, user, chosen, home, env)

        self.problem("")
        self.run_task("upload", work, busy="Uploading the public key to IAM…")

    def action_generate(self) -> None:
        if self.state.best_gateway is None or self.query_one("#pick").has_class("hidden"):
            return
        home = self.state.settings.home
        passphrase = self.query_one("#passphrase", Input).value
        settings = self.state.settings
        self.run_task(
            "generate",
            lambda: sshkeys.generate_key(
                home,
                free_key_name(home),  # codecommit_rsa, or _2... when that name is taken
                passphrase=passphrase,
                platform=settings.platform,
                env=settings.env(),
            ),
            busy="Generating an RSA 4096 key with ssh-keygen…",
        )

    def action_derive(self) -> None:
        """Write the missing .pub of the first orphan private key (as `ssh-keygen -y`)."""
        if not self.orphans or self.state.best_gateway is None:
            return
        private = self.orphans[0]
        passphrase = self.query_one("#passphrase", Input).value
        self.run_task(
            "derive",
            lambda: derive_public_key(private, passphrase),
            busy=f"Deriving {private.name}.pub from the private key…",
        )

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#generate")
    def generate_pressed(self) -> None:
        self.action_generate()

    @on(Button.Pressed, "#skip")
    def action_skip(self) -> None:
        self.mark_skipped()
        self.action_continue()

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    # -- results ---------------------------------------------------------------

    def problem(self, text: str) -> None:
        self.query_one("#key-problem", Static).update(text)

    def task_done(self, task: str, result: Any) -> None:
        if task == "scan":
            keys, self.orphans = result
            self.show_keys(keys)
            self.refresh_bindings()
        elif task == "verdict":
            self.show_ssh_verdict(result)
        elif task == "derive":
            self.state.record(
                Change("machine", f"derived {self.state.show(result.path)} from its private key")
            )
            self.orphans = self.orphans[1:]
            self.upload(result, None)
        elif task == "generate":
            self.state.record(
                Change(
                    "machine",
                    f"generated the SSH key {self.state.show(result.private_key_path)} (RSA 4096)",
                )
            )
            self.upload(result, None)
        elif task == "upload":
            self.uploaded(result)
        elif task == "remove" and self.last_attempt is not None:
            self.notify("Old key removed: uploading again.")
            self.upload(*self.last_attempt)

    def show_keys(self, keys: list[sshkeys.KeyInfo]) -> None:
        self.keys = keys
        option_list = self.query_one("#keys", OptionList)
        option_list.clear_options()
        option_list.add_options([Option(key_label(key), disabled=not key.usable) for key in keys])
        option_list.set_class(not keys, "hidden")
        usable = [index for index, key in enumerate(keys) if key.usable]
        if usable:
            option_list.highlighted = usable[0]
        if self.state.ssh_key_id:
            return
        folder = self.state.show(self.state.settings.home.ssh_dir)
        home = self.state.settings.home
        orphan = orphan_hint(self.orphans[0], free_key_name(home)) if self.orphans else ""
        if usable:
            self.info(
                f"Keys in {folder}: pick one (enter), or generate a new one (g).{orphan}",
                self.ssh_warning,
            )
            option_list.focus()
        else:
            self.info(
                f"No RSA key IAM accepts in {folder}. Press g to generate "
                f"{free_key_name(home)} (RSA 4096), or type the path of another public key."
                f"{orphan}",
                self.ssh_warning,
            )
            self.query_one("#path", Input).focus()  # typing a path goes straight in
        self.set_status("")

    def info(self, text: str, kind: str = "") -> None:
        panel = self.query_one("#ssh-info", Static)
        panel.update(text)
        panel.set_classes(f"panel {kind}".strip())

    ssh_warning = ""
    """The panel class while the policy denies SSH ("panel-warn")."""

    def show_ssh_verdict(self, outcome: MethodOutcome) -> None:
        """Say before any upload that the policy denies git over SSH."""
        if outcome.works is not False or self.state.ssh_key_id:
            return
        self.ssh_warning = "panel-warn"
        denied = self.query_one("#ssh-denied", Static)
        denied.update(ssh_denied_text(outcome.message))
        denied.remove_class("hidden")

    def uploaded(self, result: KeyUpload) -> None:
        self.state.ssh_key_id = result.key_id
        self.state.ssh_identity_file = result.identity_file
        if not result.reused:
            self.state.record(
                Change("account", f"uploaded SSH public key {result.key_id} to your IAM user")
            )
        if result.ssh_config.changed:
            backup = (
                f" (backup: {self.state.show(result.ssh_config.backup)})"
                if result.ssh_config.backup
                else ""
            )
            self.state.record(
                Change(
                    "machine",
                    f"added the CodeCommit block to {self.state.show(result.ssh_config.path)}"
                    f"{backup}",
                )
            )
        self.show_uploaded(result.key_id, result.reused, result.ssh_config.changed)

    def show_uploaded(self, key_id: str, reused: bool, edit_changed: bool) -> None:
        verb = "was already uploaded" if reused else "is uploaded"
        self.info(
            f"Your key {verb}: SSH key ID {key_id} (your SSH user name for CodeCommit).\n"
            f"{self.state.show(self.state.settings.home.ssh_config)} has the CodeCommit block"
            + (" (updated)." if edit_changed else "."),
            "panel-ok",
        )
        self.mark_done()
        self.set_status("✓ SSH key ready.", "ok")
        self.query_one("#pick").add_class("hidden")
        self.refresh_bindings()
        self.query_one("#another", Button).remove_class("hidden")
        continue_button = self.query_one("#continue", Button)
        continue_button.remove_class("hidden")
        continue_button.focus()

    @on(Button.Pressed, "#another")
    def another_key(self) -> None:
        """Show the key choices again (e.g. to switch to another key)."""
        self.query_one("#pick").remove_class("hidden")
        self.refresh_bindings()
        self.query_one("#another", Button).add_class("hidden")
        self.query_one("#continue", Button).add_class("hidden")
        home = self.state.settings.home
        self.run_task("scan", lambda: scan_keys(home), busy="Looking at your SSH keys…")

    def task_failed(self, task: str, error: BaseException) -> bool:
        if isinstance(error, AccessDenied):
            self.problem(
                f"{error.what}\nWhy: your account allows uploading SSH keys only with an "
                "MFA session.\nNext: press escape to go back to step 3 and get one."
            )
            self.set_status("✗ IAM refused the upload.", "error")
            return True
        if isinstance(error, LimitExceeded):
            self.offer_removal()
            return True
        if isinstance(error, InvalidInput | OnboardError):
            lines = [error.what]
            if error.why:
                lines.append(f"Why: {error.why}")
            if error.next_step:
                lines.append(f"Next: {error.next_step}")
            self.problem("\n".join(lines))
            self.set_status("✗ That key cannot be used.", "error")
            return True
        return False

    def offer_removal(self) -> None:
        gateway, user = self.state.best_gateway, self.state.user_name
        if gateway is None:
            return
        self.set_status("✗ You already have 5 SSH keys, IAM's limit.", "error")

        def ask() -> None:
            keys = gateway.list_ssh_public_keys(user)
            victim = oldest_key(keys)
            if victim is None:
                return
            detail = (
                "IAM keeps at most 5 SSH public keys per user, active or not. "
                f"Remove {victim.key_id} ({victim.status}, uploaded "
                f"{victim.upload_date:%Y-%m-%d})? It is deactivated, then deleted; a "
                "machine that still uses it will stop working with CodeCommit."
                if victim.upload_date
                else f"Remove {victim.key_id} ({victim.status})?"
            )
            self.app.call_from_thread(self.confirm_removal, victim.key_id, detail)

        self.run_task("limit", ask)

    def confirm_removal(self, key_id: str, detail: str) -> None:
        gateway, user = self.state.best_gateway, self.state.user_name

        def answered(remove: bool | None) -> None:
            if remove and gateway is not None:
                self.run_task(
                    "remove",
                    lambda: remove_key(gateway, user, key_id),
                    busy=f"Removing {key_id}…",
                )

        self.app.push_screen(
            ConfirmModal("SSH key limit reached", detail, yes="Remove it", no="Keep"), answered
        )
