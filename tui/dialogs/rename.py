"""Rename a theme: returns the new name, or None when cancelled."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class RenameDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, auto_label: str | None = None) -> None:
        super().__init__()
        self.current = current
        self.auto_label = auto_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Rename theme", classes="dialog-title")
            yield Label("A name the team will recognise, e.g. “SSO / SAML support”.")
            yield Input(self.current, id="name", placeholder="theme name")
            if self.auto_label and self.auto_label != self.current:
                yield Label(f"The analysis called it: {self.auto_label}", classes="hint")
            yield Label("", id="error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        name = " ".join(self.query_one("#name", Input).value.split())
        if not name:
            self.query_one("#error", Label).update("A theme needs a name.")
            return
        self.dismiss(name)

    def action_cancel(self) -> None:
        self.dismiss(None)
