"""Step 5: choose how git signs in to CodeCommit, with the policy's recommendation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from onboard.walkthrough.facts import GitSetup, apply_git_method
from onboard.walkthrough.steps import GIT_METHOD_TITLES, Change, GitMethod, recommend_method
from onboard.walkthrough.verify import (
    PolicyVerdict,
    Tools,
    caching_helpers,
    installed_tools,
    policy_verdict,
)
from screens.modals import SecretModal
from screens.step import StepScreen

METHOD_ORDER: tuple[GitMethod, ...] = ("https-helper", "https-git-credentials", "ssh", "grc")

METHOD_NOTES: dict[GitMethod, str] = {
    "https-helper": "git asks the AWS CLI to sign each request; nothing is stored.",
    "https-git-credentials": "a user name and password from IAM, kept by git's credential "
    "store (shown once).",
    "ssh": "your key from step 4; no AWS call when git runs.",
    "grc": "codecommit:// URLs that use an AWS profile (the saved MFA session works).",
}

# Radio labels short enough to keep "recommended" visible at 80x24; the long
# title of the chosen method is shown under the list.
SHORT_TITLES: dict[GitMethod, str] = {
    "https-helper": "AWS CLI helper (HTTPS)",
    "https-git-credentials": "Git credentials (HTTPS)",
    "ssh": "SSH key",
    "grc": "git-remote-codecommit",
}


@dataclass(frozen=True)
class GitPrep:
    """What the choice depends on: repositories, the policy verdict, installed tools."""

    repos: tuple[str, ...]
    verdict: PolicyVerdict
    tools: Tools
    caching: tuple[str, ...]
    """Password-caching helpers git asks before the AWS helper (scoped out by https-helper)."""


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

    def compose_body(self) -> ComposeResult:
        yield Static("", id="git-info", classes="panel", markup=False)
        with RadioSet(id="method"):
            for method in METHOD_ORDER:
                yield RadioButton(SHORT_TITLES[method], id=f"m-{method}")
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

        def prepare() -> GitPrep:
            repos = tuple(gateway.list_repositories())
            repo = preferred or (repos[0] if repos else "my-repo")
            verdict = policy_verdict(gateway, identity.account, user, region, repo, mfa=mfa)
            caching = tuple(caching_helpers(env, platform, region))
            return GitPrep(repos, verdict, installed_tools(env), caching)

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
        method, repo = self.chosen_method(), self.chosen_repo()
        if method is None or not repo:
            self.set_status("Pick a method and a repository first.", "error")
            return
        if method == "ssh" and not self.state.ssh_key_id:
            self.set_status("SSH needs the key from step 4 (escape to go back).", "error")
            return
        if self.setup is not None and (self.setup.method, self.state.repo) == (method, repo):
            # Again with the same choice: nothing to redo (Git credentials would
            # otherwise be created a second time; IAM allows two per user).
            self.set_status(f"✓ Already set up for {GIT_METHOD_TITLES[method]}.", "ok")
            self.query_one("#continue", Button).focus()
            return
        gateway = self.state.mfa_gateway or self.state.gateway
        settings, region, user = self.state.settings, self.state.region, self.state.user_name
        profile = self.state.session_profile or settings.profile
        self.run_task(
            "apply",
            lambda: apply_git_method(
                method,
                settings=settings,
                region=region,
                repo=repo,
                gateway=gateway,
                user=user,
                aws_profile=profile,
            ),
            busy=f"Configuring git: {GIT_METHOD_TITLES[method]}…",
        )

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    # -- results ---------------------------------------------------------------

    def task_done(self, task: str, result: Any) -> None:
        if task == "prepare":
            self.show_choices(result)
        elif task == "apply":
            self.applied(result)

    def show_choices(self, prep: GitPrep) -> None:
        self.prep = prep
        verdict = prep.verdict
        recommended = recommend_method(
            [m for m in METHOD_ORDER if verdict.outcome(m).works is not False],
            aws_cli=prep.tools.aws_cli,
            grc=prep.tools.grc,
        )
        if not self.state.ssh_key_id and recommended == "ssh":
            recommended = "https-helper" if prep.tools.aws_cli else "https-git-credentials"
        if self.state.ssh_key_id and verdict.outcome("ssh").works is not False:
            recommended = "ssh"  # the user set up a key in step 4: that is their choice
        for method in METHOD_ORDER:
            outcome = verdict.outcome(method)
            mark = {True: "✓", False: "✗", None: "?"}[outcome.works]
            extra = " · recommended" if method == recommended else ""
            if method == "ssh" and not self.state.ssh_key_id:
                extra += " · no key yet"
            if method == "https-helper" and not prep.tools.aws_cli:
                extra += " · no aws CLI"
            if method == "grc" and not prep.tools.grc:
                extra += " · not found"
            button = self.query_one(f"#m-{method}", RadioButton)
            button.label = f"{mark} {SHORT_TITLES[method]}{extra}"
            if method == recommended:
                button.value = True
        denied = [m for m in METHOD_ORDER if verdict.outcome(m).works is False]
        allowed = [m for m in METHOD_ORDER if verdict.outcome(m).works is True]
        if verdict.source == "unknown":
            lines = [verdict.note]
        elif not denied and len(allowed) == len(METHOD_ORDER):
            lines = [f"Policy verdict ({verdict.note}): all four methods are allowed."]
        else:
            lines = [f"Policy verdict ({verdict.note}):"]
            # Methods denied for the same reason share one line (often the same statement).
            reasons: dict[str, list[GitMethod]] = {}
            for m in denied:
                reasons.setdefault(verdict.outcome(m).message, []).append(m)
            for message, methods in reasons.items():
                names = ", ".join(SHORT_TITLES[m] for m in methods)
                lines.append(f"  ✗ {names}: {message}")
            if allowed:
                lines.append(f"  ✓ {', '.join(SHORT_TITLES[m] for m in allowed)}: allowed")
        if prep.caching:
            lines.append(
                f"git would ask {', '.join(prep.caching)} before the AWS helper and replay "
                "an expired password (HTTP 403 after ~15 minutes): the AWS CLI helper "
                "method scopes them out for CodeCommit URLs only."
            )
        self.query_one("#git-info", Static).update("\n".join(lines))
        select = self.query_one("#repo", Select)
        select.set_options([(name, name) for name in prep.repos])
        wanted = self.state.repo or self.state.settings.repo
        if wanted in prep.repos or (wanted is None and prep.repos):
            select.value = wanted or prep.repos[0]
        self.set_status("Pick a method and the repository, then Configure git.")
        self.query_one("#method", RadioSet).focus()

    def applied(self, setup: GitSetup) -> None:
        self.setup = setup
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
            self.state.record(Change("account", f"created HTTPS Git credentials {setup.username}"))
            self.state.record(Change("machine", f"gave the Git credentials to git ({setup.note})"))
        result = self.query_one("#git-result", Static)
        result.update(f"Clone URL: {setup.clone_url}" + (f"\n{setup.note}" if setup.note else ""))
        result.set_classes("panel panel-ok")
        self.mark_done()
        self.set_status(f"✓ git is set up for {GIT_METHOD_TITLES[method]}.", "ok")
        self.query_one("#continue", Button).remove_class("hidden")
        self.query_one("#continue", Button).focus()
        if setup.password is not None and setup.username is not None:
            self.app.push_screen(
                SecretModal(
                    "Your HTTPS Git credentials (shown once)",
                    [("User name", setup.username), ("Password", setup.password)],
                    "git already has them in its credential store. Save the password "
                    "in your password manager if you use git on other machines: AWS "
                    "cannot show it again.",
                )
            )
