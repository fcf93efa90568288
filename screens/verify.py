"""Step 6: the policy verdict for this user, then a live `git ls-remote`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Button, Static

from onboard.aws.files import SavedSession, read_session_profile, session_profile_name
from onboard.git.config import clone_url
from onboard.mfa.session import session_age
from onboard.policy.target import GitTarget
from onboard.walkthrough.admin import AdminRequest, build_admin_request
from onboard.walkthrough.facts import expiry_utc
from onboard.walkthrough.saved_session import load_saved_session
from onboard.walkthrough.steps import GIT_METHOD_TITLES, configured_method
from onboard.walkthrough.verify import (
    AgeProblem,
    LiveCheck,
    PolicyVerdict,
    live_check,
    mfa_age_problem,
    policy_verdict,
)
from screens.step import StepScreen

if TYPE_CHECKING:
    from onboard.aws.gateway import Gateway
    from onboard.aws.models import SessionCredentials


@dataclass(frozen=True)
class Judgement:
    """The verdict, the request it makes, and a saved session Verify found and used."""

    verdict: PolicyVerdict
    admin: AdminRequest | None
    saved: SessionCredentials | None = field(default=None, repr=False)
    gateway: Gateway | None = None
    """The gateway over the saved session, for the rest of the run."""
    age_problem: AgeProblem | None = None
    """The session's MFA is older than the policy accepts (git-remote-codecommit fails)."""
    ended: SavedSession | None = None
    """A saved session profile that has expired (renew it with one code)."""


def short_refs(output: str) -> str:
    """`ls-remote` lines as `refs/heads/main  b6b3efa`: readable in a narrow panel."""
    lines = []
    for line in output.splitlines():
        sha, _, ref = line.partition("\t")
        lines.append(f"  {ref}  {sha[:7]}" if ref else line)
    return "\n".join(lines)


class VerifyScreen(StepScreen):
    """Judges the chosen method with the policy engine, then tries it for real."""

    STEP = "verify"
    HELP = (
        "First the policy: onboard reads your effective IAM policies (with the MFA "
        "session) and judges the chosen git method, naming the statement that "
        "decides. Then it runs `git ls-remote` with the real configured "
        "credentials. If something fails, the message says what to fix; "
        "`onboard doctor` digs deeper."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", "Verify again"),
        Binding("enter", "continue", "Continue"),
    ]

    def compose_body(self) -> ComposeResult:
        yield Static("", id="policy", classes="panel", markup=False)
        yield Static("", id="live", classes="panel", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Verify again", id="run")
            yield Button("Continue", id="continue", variant="primary")

    def on_mount(self) -> None:
        self.refresh_checklist()
        self.action_run()

    def action_run(self) -> None:
        state = self.state
        gateway, identity = state.best_gateway, state.identity
        if gateway is None or identity is None:
            return
        if state.git_method is None and state.facts is not None:
            state.git_method = configured_method(state.facts)  # set up by an earlier run
        if state.git_method is None:
            self.query_one("#policy", Static).update(
                "git is not configured yet: go back to step 5 (escape)."
            )
            return
        if state.repo is None or state.clone_url is None:
            self.run_task(
                "repo", lambda: gateway.list_repositories(), busy="Finding your repository…"
            )
            return
        user, region, repo = state.user_name, state.region, state.repo
        account, held = identity.account, state.mfa_gateway
        long_term = state.gateway or gateway
        home, profile, now = state.settings.home, state.settings.profile, self.onboard_app.clock()
        expiry = state.session.expiration if state.session else None
        duration = state.session_duration
        age = session_age(expiry, duration, now) if expiry else None

        def judge() -> Judgement:
            # The session this run holds, else the one saved as <profile>-mfa: the same
            # MFA the user's AWS CLI and git-remote-codecommit have.
            saved = None if held is not None else load_saved_session(home, profile, now)
            judged_with = held or (long_term.with_session(saved) if saved else long_term)
            mfa = held is not None or saved is not None
            verdict = policy_verdict(
                judged_with, account, user, region, repo, mfa=mfa, mfa_session_duration=duration
            )
            target = GitTarget(account, user, region, repo)
            until = expiry or (saved.expiration if saved else None)
            admin = build_admin_request(verdict, target, verdict.policies, session_expiry=until)
            ended = None
            if held is None and saved is None:
                ended = read_session_profile(home, profile)  # saved, but no longer valid
            return Judgement(
                verdict,
                admin,
                saved,
                judged_with if saved else None,
                mfa_age_problem(verdict, age),
                ended,
            )

        self.query_one("#policy", Static).update("Judging your policy…")
        self.query_one("#live", Static).update("git ls-remote runs after the policy verdict.")
        self.run_task("policy", judge, busy="Reading your policies…")

    @on(Button.Pressed, "#run")
    def run_pressed(self) -> None:
        self.action_run()

    @on(Button.Pressed, "#continue")
    def continue_pressed(self) -> None:
        self.action_continue()

    def task_done(self, task: str, result: Any) -> None:
        if task == "repo":
            repo = self.state.settings.repo or (result[0] if result else None)
            if repo is None or self.state.git_method is None:
                self.set_status("No repository found: pick one in step 5 (escape).", "error")
                return
            self.state.repo = repo
            profile = self.state.session_profile or self.state.saved_session_profile()
            self.state.clone_url = clone_url(
                self.state.region, repo, self.state.git_method, profile
            )
            self.action_run()
        elif task == "policy":
            self.adopt(result)
            self.show_verdict(result.verdict, result)
            url, env = self.state.clone_url, self.state.settings.env()
            if url is not None:
                self.query_one("#live", Static).update(f"Running git ls-remote {url}…")
                self.run_task(
                    "live", lambda: live_check(url, env), busy=f"Running git ls-remote {url}…"
                )
        elif task == "live":
            self.show_live(result)

    def adopt(self, judgement: Judgement) -> None:
        """Take over a saved session, and keep the checklist's step 3 true to what Verify knows."""
        state = self.state
        if judgement.saved is not None and judgement.gateway is not None:
            state.session = judgement.saved
            state.mfa_gateway = judgement.gateway
            state.session_profile = session_profile_name(state.settings.profile)
            state.done.add("session")
        elif state.session is None and judgement.verdict.source == "unknown":
            state.done.discard("session")  # Verify is about to say a session is needed
        self.refresh_checklist()
        self.show_admin_request(judgement.admin)

    def show_verdict(self, verdict: PolicyVerdict, judgement: Judgement | None = None) -> None:
        method = self.state.git_method or "https-helper"
        outcome = verdict.outcome(method)
        works = outcome.works
        aged = judgement.age_problem if judgement and method == "grc" else None
        if aged is not None:
            works = False  # judged with the session's real MFA age, not a fresh one
        mark = {True: "✓ allowed", False: "✗ denied", None: "? unknown"}[works]
        lines = [f"Policy: {GIT_METHOD_TITLES[method]}: {mark}"]
        if aged is not None:
            lines.append(f"  {aged.message()}")
        if judgement is not None and judgement.ended is not None:
            ended = judgement.ended
            when = f" at {expiry_utc(ended.expiration)}" if ended.expiration else ""
            lines.append(
                f"Your saved MFA session “{ended.profile}” ended{when}: renew it with one "
                "code (ctrl+p, “Step 3: MFA session”, keep Save ticked) or run "
                "`onboard mfa session`."
            )
        if verdict.source == "unknown":
            lines.append(verdict.note)
            if self.state.mfa_gateway is None:
                # A re-run skips step 3; with a session the user can read them after all.
                lines.append(
                    "Or read them yourself with an MFA session: ctrl+p, “Step 3: MFA "
                    "session”, then come back here."
                )
        else:
            lines.append(f"  ({verdict.note})")
            if outcome.message and outcome.works is not True:
                lines.append(f"  {outcome.message}")
            if outcome.deciding:
                lines.append(f"  Deciding: {outcome.deciding}")
        if self.state.admin_request is not None:
            lines.append(self.state.admin_request.sentence())
        panel = self.query_one("#policy", Static)
        panel.update("\n".join(lines))
        kind = {True: "panel-ok", False: "panel-error", None: "panel-warn"}[works]
        panel.set_classes(f"panel {kind}")

    def show_live(self, check: LiveCheck) -> None:
        panel = self.query_one("#live", Static)
        if check.ok:
            panel.update(f"✓ git ls-remote {check.url} works:\n{short_refs(check.output)}")
            panel.set_classes("panel panel-ok")
            self.mark_done()
            self.set_status("✓ git works with CodeCommit.", "ok")
            self.query_one("#continue", Button).focus()
            return
        hint = ""
        if self.state.git_method == "grc" and self.state.session_profile is None:
            # The engine judged grc with the MFA session; this URL names no saved one.
            hint = (
                "git-remote-codecommit signed with your access key, without MFA: save "
                "the MFA session as a profile (ctrl+p, “Step 3: MFA session”, Save as "
                "profile), then configure git again in step 5.\n"
            )
        panel.update(
            f"✗ git ls-remote {check.url} failed:\n{check.output}\n{hint}"
            "Next: press ctrl+d for the doctor, which explains this output and checks "
            "your setup; or go back (escape) and choose another method."
        )
        panel.set_classes("panel panel-error")
        self.mark_failed()
        self.set_status("✗ git cannot reach the repository yet.", "error")
