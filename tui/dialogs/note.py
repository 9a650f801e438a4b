"""A rep's note: the form, then what to send the prospect today."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
    TextArea,
)

from analysis.browse import Suggestion
from gaplens.models import NOTE_KINDS, Note
from ingest.errors import IngestError
from ingest.values import parse_amount, parse_date
from tui.format import percent, shorten, status_text

if TYPE_CHECKING:  # the placement module loads the analysis libraries: not at start-up
    from analysis.incremental import Placement

# Cosine similarity to a theme's centre from which a new note is shown as belonging to it.
# On the demo data with the bundled MiniLM, 98% of clustered notes are at least this close to
# their own theme's centre (5% under 0.51), and 16% of unclustered notes are not.
CLOSE_ENOUGH = 0.45

KIND_CHOICES = [
    ("Objection", "objection"),
    ("Question", "question"),
    ("Loss reason", "loss-reason"),
    ("Call note", "call-note"),
]
assert {v for _, v in KIND_CHOICES} == set(NOTE_KINDS)

# The keep-PII switch of the note form and the import dialog (--keep-pii on the command line).
KEEP_PII = "Keep emails and phone numbers"
KEEP_PII_TIP = (
    "Off (the default): emails and phone numbers in the note text are stored as [email] "
    "and [phone]. On: the text is stored as written."
)


def masked_text(what: str, where: str) -> Text:
    """'Masked <what> as [email] / [phone] ...', said after a note or an import that masked
    some (a Text: the brackets are not markup). The switch is for the next note or file:
    the same one again would have the same id with another text, and be refused."""
    return Text(f"Masked {what} as [email] / [phone] ({where} “{KEEP_PII}” keeps them).")


class NoteDialog(ModalScreen[Note | None]):
    """Text, kind, deal, account, rep, amount, date, and whether to keep emails and phone
    numbers in the text (masked by default). Ctrl+S saves, Escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save note"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, save: Callable[[dict], Note], rep: str | None = None) -> None:
        super().__init__()
        self._save_note = save
        self._rep = rep or ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="note-form"):
            yield Static("Add a note from a call", classes="dialog-title")
            yield Label("What did the prospect ask, object to, or give as a reason? (their words)")
            yield TextArea(id="text", soft_wrap=True, tab_behavior="focus")
            yield Label("", id="text-error", classes="error-text")
            with Grid(id="note-fields"):
                yield Label("Kind")
                yield Select(KIND_CHOICES, value="objection", allow_blank=False, id="kind")
                yield Label("Deal")
                yield Input(id="deal", placeholder="e.g. D-2041")
                yield Label("Account")
                yield Input(id="account", placeholder="company name")
                yield Label("Rep")
                yield Input(self._rep, id="rep", placeholder="your name")
                yield Label("Amount")
                yield Input(id="amount", placeholder="deal value, e.g. 48000 or 48k")
                yield Label("Date")
                yield Input(id="date", placeholder="today (or YYYY-MM-DD)")
            yield Checkbox(KEEP_PII, value=False, id="keep-pii", tooltip=KEEP_PII_TIP)
            yield Label("", id="form-error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="save")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def values(self) -> dict:
        def field(name: str) -> str | None:
            return self.query_one(f"#{name}", Input).value.strip() or None

        return {
            "text": self.query_one("#text", TextArea).text.strip(),
            "kind": self.query_one("#kind", Select).value,
            "deal": field("deal"),
            "account": field("account"),
            "rep": field("rep"),
            "amount": field("amount"),
            "date": field("date"),
            "keep_pii": self.query_one("#keep-pii", Checkbox).value,
        }

    def validate(self, values: dict) -> dict[str, str]:
        """Field -> what is wrong with it."""
        problems = {}
        if len(values["text"]) < 3:
            problems["text"] = "Write what the prospect said (at least a few words)."
        if values["amount"]:
            try:
                parse_amount(values["amount"])
            except ValueError:
                problems["amount"] = f"'{values['amount']}' is not an amount: write 48000 or 48k."
        if values["date"]:
            try:
                parse_date(values["date"])
            except ValueError:
                problems["date"] = f"'{values['date']}' is not a date: write YYYY-MM-DD."
        return problems

    def action_save(self) -> None:
        values = self.values()
        problems = self.validate(values)
        for name in ("amount", "date", "deal", "account", "rep"):
            self.query_one(f"#{name}", Input).set_class(name in problems, "-invalid")
        self.query_one("#text-error", Label).update(problems.pop("text", ""))
        self.query_one("#form-error", Label).update(" ".join(problems.values()))
        if problems or self.query_one("#text-error", Label).render().plain:
            return
        try:
            note = self._save_note(values)
        except IngestError as exc:
            self.query_one("#form-error", Label).update(f"Not saved: {exc}")
            return
        self.dismiss(note)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SuggestionDialog(ModalScreen[int | None]):
    """Shown once a note is saved: the theme it was placed in (or that it is emerging), and
    the content that answers that theme.

    Dismisses with the theme's id when the rep asks to open it.
    """

    BINDINGS = [
        Binding("escape,enter", "close", "Close"),
        Binding("o", "open_theme", "Open theme"),
    ]

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note
        self.best: Suggestion | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="suggestion"):
            yield Static("Note saved", classes="dialog-title")
            yield Static(Text(f"“{shorten(self.note.text, 300)}”", style="italic"))
            if self.note.masked:
                n = self.note.masked
                what = f"{n} email or phone number" if n == 1 else f"{n} emails or phone numbers"
                yield Static(masked_text(what, "the form's"), id="masked", classes="hint")
            with VerticalScroll(classes="dialog-body"):
                yield LoadingIndicator(id="suggest-loading")
                yield Static(
                    "Placing it in a theme (the first time loads the model, a few seconds)…",
                    id="suggest-body",
                )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open theme  o", id="open", disabled=True)
                yield Button("Close", variant="primary", id="close")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def show(
        self,
        suggestions: list[Suggestion] | None,
        message: str | None = None,
        placement: Placement | None = None,
        due: str | None = None,
    ) -> None:
        """``placement``: where the note was put (``assign_new_notes``); None: not placed,
        then the closest theme is shown when it is close enough."""
        if not self.is_attached:
            return  # closed before the model answered
        self.query_one("#suggest-loading").display = False
        body = self.query_one("#suggest-body", Static)
        if not suggestions:
            body.update(message or "No theme yet: the next analysis will place this note.")
            return
        best = suggestions[0]
        parts: list = []
        if placement is not None:
            placed = next((s for s in suggestions if s.cluster_id == placement.theme_id), None)
            close = placed is not None
            best = placed or best
        else:
            close = best.similarity >= CLOSE_ENOUGH
        if close:
            self.best = best
            self.query_one("#open", Button).disabled = False
            if placement is not None:
                head = Text("Placed in theme: ", style="bold")
                head.append(best.label, style="bold cyan")
                head.append(f"  (confidence {percent(placement.confidence)}, ")
            else:
                head = Text("Closest theme: ", style="bold")
                head.append(best.label, style="bold cyan")
                head.append("  (")
            head.append(f"similarity {best.similarity:.2f}, ")
            head.append_text(status_text(best.status))
            head.append(")")
            parts.append(head)
            if best.asset_title and best.status != "no content":
                send = Text("\nSend the prospect: ", style="bold")
                send.append(best.asset_title, style="bold green")
                send.append(f"  (covers the theme {percent(best.coverage)})")
                parts.append(send)
                if best.asset_url:
                    parts.append(Text(best.asset_url, style="underline"))
                if best.passage:
                    parts.append(Text("\n" + shorten(best.passage, 600), style="dim"))
            elif best.asset_title:
                gap = Text(
                    "\nNo content answers this theme well yet (it is a gap). Closest: ",
                    style="bold",
                )
                gap.append(f"{best.asset_title} ({percent(best.coverage)})")
                parts.append(gap)
            else:
                parts.append(
                    Text("\nNo content answers this theme yet (it is a gap).", style="bold")
                )
        elif placement is not None:
            head = Text("Emerging: ", style="bold cyan")
            head.append(
                f"it fits no theme yet (closest: {best.label}, similarity {best.similarity:.2f}). "
                "It waits in the emerging pool; the next full analysis may find a new theme "
                "for it, or c in the notes tab (unclustered) assigns it by hand."
            )
            parts.append(head)
        else:
            parts.append(
                Text(
                    f"No close theme yet (nearest: {best.label}, "
                    f"similarity {best.similarity:.2f}). "
                    "It waits for the next analysis, which may find a new theme.",
                )
            )
        others = [
            s for s in suggestions if s is not best and s.similarity >= CLOSE_ENOUGH and close
        ]
        if others:
            parts.append(Text("\nAlso close: " + ", ".join(s.label for s in others), style="dim"))
        if due:
            parts.append(Text(f"\nA full analysis is due: {due}. Press a.", style="yellow"))
        if message:
            parts.append(Text("\n" + message, style="dim"))
        body.update(Group(*parts))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "open":
            self.action_open_theme()
        else:
            self.dismiss(None)

    def action_open_theme(self) -> None:
        if self.best:
            self.dismiss(self.best.cluster_id)

    def action_close(self) -> None:
        self.dismiss(None)
