"""Step 1's form for a first access key: import the console's CSV or type the key, then save.

The form only collects and shows; the identity screen runs the checks (in
thread workers) and calls `show_checked` / `show_problem` / `show_saved`
back down. The secret is typed into a password field and never drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import Function
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from onboard.aws.keyfile import COMMON_REGIONS, FORMAT_TITLES, validate_key_id, validate_secret
from onboard.secret import Secret

if TYPE_CHECKING:
    from onboard.walkthrough.first_key import KeyCheck

INTRO = (
    "Start from the access key your administrator gave you: usually a .csv file "
    "the IAM console downloaded (…_accessKeys.csv or credentials.csv), or a key "
    "ID and secret sent to you. onboard checks it with AWS before saving anything."
)


class KeyForm(Vertical):
    """Import the CSV or type the key; after AWS accepted it, pick a profile and a region."""

    @dataclass
    class CheckRequested(Message):
        """Check this key: a CSV path as typed, or a typed key ID and secret."""

        csv_path: str | None
        key_id: str = ""
        secret: Secret = field(default_factory=lambda: Secret(""), repr=False)
        """A `Secret`, never shown in a repr or log: messages can be logged."""

    @dataclass
    class SaveRequested(Message):
        """Save the checked key under this profile and region."""

        profile: str
        region: str | None

    def __init__(self) -> None:
        super().__init__(id="key-form")
        self.check: KeyCheck | None = None

    def compose(self) -> ComposeResult:
        yield Static(INTRO, classes="hint key-entry", markup=False)
        with RadioSet(id="key-source", classes="key-entry"):
            yield RadioButton("The CSV file from the IAM console", id="src-csv", value=True)
            yield RadioButton("Type the key ID and secret", id="src-typed")
        with Horizontal(classes="field-row key-entry", id="csv-row"):
            yield Label("CSV file", classes="field-label")
            yield Input(placeholder="~/Downloads/you_accessKeys.csv", id="csv-path")
        with Horizontal(classes="field-row key-entry hidden", id="key-id-row"):
            yield Label("Access key ID", classes="field-label")
            yield Input(
                placeholder="AKIA…",
                id="key-id",
                validators=[Function(lambda v: validate_key_id(v) is None)],
                validate_on=["submitted"],
            )
        with Horizontal(classes="field-row key-entry hidden", id="secret-row"):
            yield Label("Secret key", classes="field-label")
            yield Input(
                placeholder="40 characters, not shown",
                id="secret",
                password=True,
                validators=[Function(lambda v: validate_secret(v) is None)],
                validate_on=["submitted"],
            )
        yield Static("", id="key-problem", classes="field-error", markup=False)
        with Horizontal(classes="buttons key-entry", id="check-buttons"):
            yield Button("Check key", id="check-key", variant="primary")
        with Vertical(id="save-form", classes="hidden"):
            yield Static("", id="key-owner", classes="panel panel-ok", markup=False)
            with Horizontal(classes="field-row"):
                yield Label("Save as profile", classes="field-label")
                yield Input(id="profile-name")
            with Horizontal(classes="field-row"):
                yield Label("Region", classes="field-label")
                yield Select[str](
                    [(region, region) for region in COMMON_REGIONS],
                    id="region",
                    allow_blank=False,
                )
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save-key", variant="primary")

    # -- the user's side -------------------------------------------------------

    @property
    def typing(self) -> bool:
        """True when the user chose to type the key rather than import the CSV."""
        return self.query_one("#src-typed", RadioButton).value

    @on(RadioSet.Changed, "#key-source")
    def source_changed(self) -> None:
        typing = self.typing
        self.query_one("#csv-row").set_class(typing, "hidden")
        self.query_one("#key-id-row").set_class(not typing, "hidden")
        self.query_one("#secret-row").set_class(not typing, "hidden")
        self.query_one("#key-problem", Static).update("")
        self.query_one("#key-id" if typing else "#csv-path", Input).focus()

    @on(Input.Submitted, "#key-id")
    def key_id_entered(self) -> None:
        self.query_one("#secret", Input).focus()

    @on(Button.Pressed, "#check-key")
    @on(Input.Submitted, "#csv-path")
    @on(Input.Submitted, "#secret")
    def request_check(self) -> None:
        problem = self.input_problem()
        self.query_one("#key-problem", Static).update(problem or "")
        if problem:
            return
        if self.typing:
            key_id = self.query_one("#key-id", Input).value
            secret = Secret(self.query_one("#secret", Input).value)
            self.post_message(self.CheckRequested(None, key_id, secret))
        else:
            self.post_message(self.CheckRequested(self.query_one("#csv-path", Input).value))

    def input_problem(self) -> str | None:
        """What is missing or malformed before AWS is asked (never quoting the secret)."""
        if not self.typing:
            if not self.query_one("#csv-path", Input).value.strip():
                return "Type the path of the CSV file (~ is your home folder)."
            return None
        return validate_key_id(self.query_one("#key-id", Input).value) or validate_secret(
            self.query_one("#secret", Input).value
        )

    @on(Button.Pressed, "#save-key")
    @on(Input.Submitted, "#profile-name")
    def request_save(self) -> None:
        if self.check is None:
            return
        region = self.query_one("#region", Select).value
        self.post_message(
            self.SaveRequested(
                self.query_one("#profile-name", Input).value.strip(),
                region if isinstance(region, str) else None,
            )
        )

    # -- called by the screen ------------------------------------------------------

    def show_problem(self, text: str) -> None:
        """A problem with the key or the file (shown under the fields)."""
        self.query_one("#key-problem", Static).update(text)

    def show_checked(self, check: KeyCheck) -> None:
        """AWS accepted the key: who it is, then the profile and region to save it as."""
        self.check = check
        identity, key = check.checked.identity, check.checked.key
        lines = [
            f"✓ AWS accepted the key {key.access_key_id}",
            f"  User     {identity.user_name}",
            f"  Account  {identity.account}",
            f"  From     {FORMAT_TITLES[key.source]}",
        ]
        if key.user_name and key.user_name != identity.user_name:
            # A file made for someone else (or renamed user): say so before it is saved.
            lines.append(f"  ! the file names the user {key.user_name}: is it yours?")
        if check.repository_regions:
            found = ", ".join(check.repository_regions)
            lines.append(f"  CodeCommit repositories in {found}")
        self.query_one("#key-owner", Static).update("\n".join(lines))
        self.query_one("#key-problem", Static).update("")
        # The entry fields make way for the save form (the whole step fits 80x24).
        self.query("#key-form > .key-entry").add_class("hidden")
        self.query_one("#save-form").remove_class("hidden")
        self.query_one("#profile-name", Input).value = check.profile
        select = self.query_one("#region", Select)
        select.set_options([(region, region) for region in check.regions])
        select.value = check.regions[0]
        self.query_one("#save-key", Button).focus()

    def reset(self) -> None:
        """Back to entering a key (another file, or typing), forgetting the checked one."""
        self.forget_secret()
        self.query_one("#save-form").add_class("hidden")
        for widget in self.query("#key-form > .key-entry"):
            widget.remove_class("hidden")
        self.source_changed()

    def forget_secret(self) -> None:
        """Clear the typed secret once it is saved (or abandoned)."""
        self.query_one("#secret", Input).value = ""
        self.check = None
