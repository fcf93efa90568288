"""Step 5: choose how git signs in to CodeCommit, with the policy's recommendation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from onboard.aws.credentials import helper_needs_cli
from onboard.policy.target import GitTarget
from onboard.walkthrough.admin import AdminRequest, build_admin_request
from onboard.walkthrough.facts import (
    CredentialSlotsFull,
    GitSetup,
    apply_git_method,
    codecommit_host,
)
from onboard.walkthrough.steps import GIT_METHOD_TITLES, Change, GitMethod
from onboard.walkthrough.switch import Removal, remove_method
from onboard.walkthrough.tools import MissingTool, require_tool
from onboard.walkthrough.verify import (
    PolicyVerdict,
    Tools,
    caching_helpers,
    installed_tools,
    policy_verdict,
)
from screens.modals import ConfirmModal, SecretModal
from screens.step import StepScreen
from screens.widgets.method_choice import (
    METHOD_NOTES,
    METHOD_ORDER,
    SHORT_TITLES,
    denied_question,
    method_label,
    recommended,
    verdict_lines,
)
from screens.widgets.tick_box import Choice


@dataclass(frozen=True)
class GitPrep:
    """What the choice depends on: repositories, the policy verdict, installed tools."""

    repos: tuple[str, ...]
    verdict: PolicyVerdict
    tools: Tools
    caching: tuple[str, ...]
    """Password-caching helpers git asks before the AWS helper (scoped out by https-helper)."""
    admin: AdminRequest | None = None
    """What to ask the administrator when the verdict blocks a method."""


class GitScreen(StepScreen):
    """Recommends a method, configures git for it, and shows the clone URL."""

    STEP = "git"
    HELP = (
        "HTTPS with the AWS CLI credential helper signs each request with your "
        "access key (nothing stored). HTTPS Git credentials are a user name and "
        "password that git's credential store keeps. SSH uses the key from step 4. "
        "git-remote-codecommit uses codecommit:// URLs and an AWS profile. The "
        "recommendation follows your account's policy and what is installed."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "apply", "Configure git"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.prep: GitPrep | None = None
        self.setup: GitSetup | None = None
        self.recommended: GitMethod | None = None

    def compose_body(self) -> ComposeResult:
        yield Static("", id="git-info", classes="panel", markup=False)
        with RadioSet(id="method"):
            for method in METHOD_ORDER:
                yield Choice(SHORT_TITLES[method], id=f"m-{method}")
        yield Static("", id="method-about", classes="hint", markup=False)
        with Horizontal(classes="field-row"):
            yield Label("Repository", classes="field-label")
            yield Select[str]([], id="repo", prompt="pick a repository", allow_blank=True)
        with Horizontal(classes="field-row"):
            yield Label("or its name", classes="field-label")
            yield Input(placeholder="repository name", id="repo-name")
        yield Static("", id="git-result", classes="panel hidden", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Configure git", id="apply", variant="primary")
            yield Button("Continue", id="continue", variant="primary", classes="hidden")

    def on_mount(self) -> None:
        self.refresh_checklist()
        gateway, identity = self.state.best_gateway, self.state.identity
        if gateway is None or identity is None:
            return
        user, region = self.state.user_name, self.state.region
        env, mfa = self.state.settings.env(), self.state.mfa_gateway is not None
        platform = self.state.settings.platform
        preferred = self.state.repo or self.state.settings.repo
        expiry = self.state.session.expiration if self.state.session else None
        duration = self.state.session_duration

        def prepare() -> GitPrep:
            repos = tuple(gateway.list_repositories())
            repo = preferred or (repos[0] if repos else "my-repo")
            verdict = policy_verdict(
                gateway,
                identity.account,
                user,
                region,
                repo,
                mfa=mfa,
                mfa_session_duration=duration,
            )
            caching = tuple(caching_helpers(env, platform, region))
            target = GitTarget(identity.account, user, region, repo)
            admin = build_admin_request(verdict, target, verdict.policies, session_expiry=expiry)
            return GitPrep(repos, verdict, installed_tools(env), caching, admin)

        self.run_task("prepare", prepare, busy="Reading your policies and repositories…")

    # -- choosing ----------------------------------------------------------------

    @on(RadioSet.Changed, "#method")
    def method_changed(self) -> None:
        method = self.chosen_method()
        about = self.query_one("#method-about", Static)
        text = f"{GIT_METHOD_TITLES[method]}: {METHOD_NOTES[method]}" if method else ""
        if method == "grc" and self.state.session_profile is None:
            # Its codecommit:// URL names a profile; only a saved session carries MFA.
            text += (
                "\nIt signs with the profile in its URL: to use the MFA session, save it "
                "as a profile in step 3 first (escape twice), or it uses your access key."
            )
        about.update(text)

    def chosen_method(self) -> GitMethod | None:
        pressed = self.query_one("#method", RadioSet).pressed_button
        if pressed is None or pressed.id is None:
            return None
        method = pressed.id.removeprefix("m-")
        return next((m for m in METHOD_ORDER if m == method), None)

    def chosen_repo(self) -> str:
        typed = self.query_one("#repo-name", Input).value.strip()
        if typed:
            return typed
        selected = self.query_one("#repo", Select).value
        return selected if isinstance(selected, str) else ""

    @on(Button.Pressed, "#apply")
    @on(Input.Submitted, "#repo-name")
    def action_apply(self) -> None:
        self.apply(confirmed=False)

    def apply(self, *, confirmed: bool, reset_id: str | None = None) -> None:
        """Configure the chosen method; a method the verdict denies is asked about first."""
        method, repo = self.chosen_method(), self.chosen_repo()
        if method is None or not repo:
            self.set_status("Pick a method and a repository first.", "error")
            return
        if method == "ssh" and not self.state.ssh_key_id:
            self.set_status("SSH needs the key from step 4 (escape to go back).", "error")
            return
        same = self.setup is not None and (self.setup.method, self.state.repo) == (method, repo)
        if same and reset_id is None:
            # Again with the same choice: nothing to redo (Git credentials would
            # otherwise be created a second time; IAM allows two per user).
            self.set_status(f"✓ Already set up for {GIT_METHOD_TITLES[method]}.", "ok")
            self.query_one("#continue", Button).focus()
            return
        if not confirmed and self.prep and self.prep.verdict.outcome(method).works is False:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.apply(confirmed=True)

            question = ConfirmModal(
                f"Configure {SHORT_TITLES[method]}?",
                denied_question(method, self.prep.verdict),
                yes="Configure anyway",
                no="Choose another",
            )
            self.app.push_screen(question, answered)
            return
        gateway = self.state.mfa_gateway or self.state.gateway
        settings, region, user = self.state.settings, self.state.region, self.state.user_name
        profile = self.state.session_profile or settings.profile
        previous = self.state.git_method or self.state.configured_method()

        def work() -> tuple[Removal | None, GitSetup, bool]:
            env = settings.env()
            require_tool(method, env)  # before anything is written
            removal = None
            if previous is not None:
                removal = remove_method(previous, method, settings, codecommit_host(region))
            setup = apply_git_method(
                method,
                settings=settings,
                region=region,
                repo=repo,
                gateway=gateway,
                user=user,
                aws_profile=profile,
                reset_id=reset_id,
            )
            return removal, setup, reset_id is not None

        self.run_task("apply", work, busy=f"Configuring git: {GIT_METHOD_TITLES[method]}…")

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    # -- results ---------------------------------------------------------------

    def task_done(self, task: str, result: Any) -> None:
        if task == "prepare":
            self.show_choices(result)
        elif task == "apply":
            removal, setup, reset = result
            if removal is not None:
                self.removed(removal)
            self.applied(setup, reset=reset)

    def task_failed(self, task: str, error: BaseException) -> bool:
        if isinstance(error, CredentialSlotsFull):
            self.offer_reset(error)
            return True
        if isinstance(error, MissingTool):
            # Said here, with the install command: never later as a signing or policy error.
            self.query_one("#git-result", Static).update(
                f"✗ {error.what}\n{error.why}.\nNext: {error.next_step}"
            )
            self.query_one("#git-result", Static).set_classes("panel panel-error")
            self.set_status(f"✗ {error.what}", "error")
            self.refresh_labels()
            return True
        return False

    def offer_reset(self, full: CredentialSlotsFull) -> None:
        """Both Git-credential slots are used: offer a new password for the oldest."""
        oldest = full.oldest
        self.set_status(f"✗ {full.what}.", "error")
        created = f", created {oldest.create_date:%Y-%m-%d}" if oldest.create_date else ""

        def answered(reset: bool | None) -> None:
            if reset:
                self.apply(confirmed=True, reset_id=oldest.id)

        detail = (
            f"IAM keeps at most 2 HTTPS Git credentials per user. Reset {oldest.username} "
            f"({oldest.id}{created})? It gets a new password, shown once and given to git; "
            "a machine that still uses the old password will be refused."
        )
        self.app.push_screen(
            ConfirmModal("Both Git-credential slots are used", detail, yes="Reset it", no="Keep"),
            answered,
        )

    def removed(self, removal: Removal) -> None:
        """Record what switching away from the previous method removed."""
        where = self.state.show(self.state.settings.home.gitconfig)
        what = f"removed the {SHORT_TITLES[self.method_of(removal.method)]} settings from {where}"
        if removal.erased_password:
            what += " and asked git's credential store to forget the Git password"
        if removal.backup:
            what += f" (backup: {self.state.show(Path(removal.backup))})"
        self.state.record(Change("machine", what))

    @staticmethod
    def method_of(name: str) -> GitMethod:
        return next(m for m in METHOD_ORDER if m == name)

    def refresh_labels(self) -> None:
        """Labels from the verdict and the tools installed now (an install clears its hint)."""
        if self.prep is None:
            return
        env, prep = self.state.settings.env(), self.prep
        self.prep = prep = GitPrep(
            prep.repos, prep.verdict, installed_tools(env), prep.caching, prep.admin
        )
        for method in METHOD_ORDER:
            self.query_one(f"#m-{method}", RadioButton).label = method_label(
                method,
                prep.verdict,
                prep.tools,
                chosen=method == self.recommended,
                has_ssh_key=bool(self.state.ssh_key_id),
            )

    def show_choices(self, prep: GitPrep) -> None:
        self.prep = prep
        self.recommended = recommended(prep.verdict, prep.tools, bool(self.state.ssh_key_id))
        self.refresh_labels()
        if self.recommended is not None:
            self.query_one(f"#m-{self.recommended}", RadioButton).value = True
        self.show_admin_request(prep.admin)
        lines = verdict_lines(prep.verdict, prep.caching, prep.admin)
        # No AWS CLI: say the helper needs it, with this platform's install command.
        needs_cli = helper_needs_cli(self.state.settings.platform, prep.tools.aws_cli)
        lines += [needs_cli] if needs_cli else []
        self.query_one("#git-info", Static).update("\n".join(lines))
        select = self.query_one("#repo", Select)
        select.set_options([(name, name) for name in prep.repos])
        wanted = self.state.repo or self.state.settings.repo
        if wanted in prep.repos or (wanted is None and prep.repos):
            select.value = wanted or prep.repos[0]
        self.set_status("Pick a method and the repository, then Configure git.")
        # Focus once the pre-selection has settled: focusing first highlights the top
        # method, and a quick enter would pick that one instead of the recommended.
        # Two refreshes: the first lays out the verdict's new height, the second scrolls.
        self.call_after_refresh(self.call_after_refresh, self.ready_to_choose)

    def ready_to_choose(self) -> None:
        """Buttons and status on screen (32 rows), then the method list takes the focus."""
        self.show_actions()
        self.set_timer(0.2, self.show_actions)  # again once a slow layout has caught up
        self.query_one("#method", RadioSet).focus(scroll_visible=False)

    def applied(self, setup: GitSetup, *, reset: bool = False) -> None:
        self.setup = setup
        self.refresh_labels()  # a tool installed since the list was drawn loses its hint
        method: GitMethod = next(m for m in METHOD_ORDER if m == setup.method)
        self.state.git_method = method
        self.state.repo = self.chosen_repo()
        self.state.clone_url = setup.clone_url
        if setup.commands:
            gitconfig_path = self.state.show(self.state.settings.home.gitconfig)
            what = (
                "scoped the AWS CLI credential helper to CodeCommit URLs"
                if method == "https-helper"
                else "made git's password store the credential helper for CodeCommit URLs"
            )
            self.state.record(
                Change(
                    "machine",
                    f"{what} in {gitconfig_path} ({len(setup.commands)} git config commands)",
                )
            )
        if setup.credential_id:
            verb = "reset the password of" if reset else "created"
            self.state.record(Change("account", f"{verb} HTTPS Git credentials {setup.username}"))
            self.state.record(Change("machine", f"gave the Git credentials to git ({setup.note})"))
        result = self.query_one("#git-result", Static)
        result.update(f"Clone URL: {setup.clone_url}" + (f"\n{setup.note}" if setup.note else ""))
        result.set_classes("panel panel-ok")
        self.mark_done()
        self.set_status(f"✓ git is set up for {GIT_METHOD_TITLES[method]}.", "ok")
        self.query_one("#continue", Button).remove_class("hidden")
        # After the refresh that shows it: a hidden button cannot take the focus, and the
        # password dialog below returns the focus to whatever this screen held.
        self.call_after_refresh(self.focus_continue)
        if setup.password is not None and setup.username is not None:
            self.app.push_screen(
                SecretModal(
                    "Your HTTPS Git credentials (shown once)",
                    [("User name", setup.username), ("Password", setup.password)],
                    f"git already has them ({setup.note}). Save the password in your "
                    "password manager if you use git on other machines (c copies it): "
                    "AWS cannot show it again.",
                    copyable=setup.password,
                    settings=self.state.settings,
                ),
                self.focus_continue,
            )

    def focus_continue(self, _closed: None = None) -> None:
        """Back from the password dialog, enter continues (not a press on the method list)."""
        self.query_one("#continue", Button).focus()
