"""Ask before a change that makes a new version of the themes: yes (True) or no (False)."""

from __future__ import annotations

from rich.console import RenderableType
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from analysis.curate import MAX_SPLIT_PARTS


class ConfirmDialog(ModalScreen[bool]):
    """Title, body, a yes button (Enter) and Cancel (Escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("enter", "confirm", "Confirm")]

    def __init__(self, title: str, body: RenderableType, yes: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Static(self.body, id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes}  enter", variant="primary", id="yes")
                yield Button("Cancel  esc", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class SplitDialog(ModalScreen[int | None]):
    """Split a theme: returns the number of parts (0: the clearest split), None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, label: str, size: int) -> None:
        super().__init__()
        self.label = label
        self.notes = size

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="split-form"):
            yield Static(f"Split “{self.label}” ({self.notes} notes)", classes="dialog-title")
            yield Static(
                "Its notes are grouped again into parts; the largest part keeps the theme's id "
                "and name, the others become new themes. The change is recorded and kept "
                "through later analyses.\n"
            )
            yield Label(f"Parts (2 to {MAX_SPLIT_PARTS}; empty: the clearest split)")
            yield Input(id="parts", placeholder="automatic", restrict=r"[0-9]*", max_length=1)
            yield Label("", id="parts-error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Split  enter", variant="primary", id="split")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#parts", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._split()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "split":
            self._split()
        else:
            self.dismiss(None)

    def _split(self) -> None:
        text = self.query_one("#parts", Input).value.strip()
        if not text:
            self.dismiss(0)
            return
        parts = int(text)
        if not 2 <= parts <= MAX_SPLIT_PARTS:
            self.query_one("#parts-error", Label).update(
                f"A theme splits into 2 to {MAX_SPLIT_PARTS} parts."
            )
            return
        self.dismiss(parts)

    def action_cancel(self) -> None:
        self.dismiss(None)
