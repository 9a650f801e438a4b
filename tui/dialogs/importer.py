"""Import files from the TUI: a path (with completion), notes or content, an optional kind,
and whether to keep emails and phone numbers in the notes (masked by default)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from tui.dialogs.note import KEEP_PII, KEEP_PII_TIP, KIND_CHOICES


@dataclass(frozen=True)
class ImportRequest:
    paths: tuple[str, ...]
    role: str  # notes | assets
    kind: str | None  # forces every note's kind; None reads it from the file
    keep_pii: bool = False  # notes only: store emails and phone numbers as written


class PathSuggester(Suggester):
    """Completes the last path typed with the first matching entry on disk."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.endswith(" "):
            return None
        head, _, last = value.rpartition(" ")
        expanded = os.path.expanduser(last)
        folder, prefix = os.path.split(expanded)
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                full = os.path.join(folder, name) if folder else name
                if os.path.isdir(full):
                    full += os.sep
                if last.startswith("~"):
                    full = "~" + full[len(os.path.expanduser("~")) :]
                return (head + " " if head else "") + full
        return None


class ImportDialog(ModalScreen[ImportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="import-form"):
            yield Static("Import files", classes="dialog-title")
            yield Label("Files or folders (separate with spaces; → completes a path)")
            yield Input(
                id="paths",
                placeholder="e.g. ~/exports/lost_deals.csv notes/",
                suggester=PathSuggester(),
            )
            yield Label("", id="paths-error", classes="error-text")
            yield Label("What they hold")
            yield Select(
                [
                    ("Notes: call notes, objections, lost-deal reasons", "notes"),
                    ("Content: blog posts, case studies, FAQs, an inventory CSV", "assets"),
                ],
                value="notes",
                allow_blank=False,
                id="role",
            )
            yield Label("Kind of every note (optional: otherwise read from a kind column)")
            yield Select(
                [("From the file", "")] + KIND_CHOICES, value="", allow_blank=False, id="kind"
            )
            yield Checkbox(KEEP_PII, value=False, id="keep-pii", tooltip=KEEP_PII_TIP)
            yield Static(
                "CSV, JSON, JSONL, .txt and .md for notes (a running log of dated sections gives "
                "one note each); .md, .txt, .html and an inventory CSV for content. Rows that "
                "cannot be used are kept under Rejected rows.",
                classes="hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Import", variant="primary", id="import")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#paths", Input).focus()

    @on(Select.Changed, "#role")
    def _role(self, event: Select.Changed) -> None:
        self.query_one("#kind", Select).disabled = event.value != "notes"
        self.query_one("#keep-pii", Checkbox).disabled = event.value != "notes"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "import":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        raw = self.query_one("#paths", Input).value.split()
        error = self.query_one("#paths-error", Label)
        if not raw:
            error.update("Type the path of a file or folder to import.")
            return
        paths = [os.path.expanduser(p) for p in raw]
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            error.update("Not found: " + ", ".join(missing))
            return
        role = self.query_one("#role", Select).value
        kind = self.query_one("#kind", Select).value if role == "notes" else ""
        keep = role == "notes" and self.query_one("#keep-pii", Checkbox).value
        self.dismiss(ImportRequest(tuple(paths), role, kind or None, keep))

    def action_cancel(self) -> None:
        self.dismiss(None)
