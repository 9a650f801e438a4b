"""Edit a plan item: returns the changed fields (a dict for ``update_item``), or None."""

from __future__ import annotations

from datetime import date

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Select, Static

from analysis.plan import FORMATS, STATUSES, PlanError, PlanItem, normalize_quarter


def coming_quarters(today: date | None = None, n: int = 4) -> list[str]:
    """This quarter and the ``n - 1`` after it: what a plan usually targets."""
    today = today or date.today()
    index = today.year * 4 + (today.month - 1) // 3
    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index, index + n)]


class PlanItemDialog(ModalScreen[dict | None]):
    """Status, owner, target quarter, format and comment of one plan item."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, item: PlanItem) -> None:
        super().__init__()
        self.item = item

    def compose(self) -> ComposeResult:
        item = self.item
        with Vertical(classes="dialog", id="plan-form"):
            yield Static(f"Plan item {item.id}: {item.label}", classes="dialog-title")
            with Grid(id="plan-fields"):
                yield Label("Status")
                yield Select(
                    [(s, s) for s in STATUSES], value=item.status, allow_blank=False, id="status"
                )
                yield Label("Owner")
                yield Input(item.owner or "", id="owner", placeholder="who writes it")
                yield Label("Quarter")
                yield Input(
                    item.quarter or "",
                    id="quarter",
                    placeholder="target quarter, e.g. " + coming_quarters()[1],
                    suggester=SuggestFromList(coming_quarters(), case_sensitive=False),
                )
                yield Label("Format")
                yield Input(
                    item.format or "",
                    id="format",
                    placeholder=", ".join(FORMATS[:3]) + "…",
                    suggester=SuggestFromList(FORMATS, case_sensitive=False),
                )
                yield Label("Comment")
                yield Input(
                    item.comment or "", id="comment", placeholder="anything the team should know"
                )
            yield Label("", id="plan-error", classes="error-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save  ctrl+s", variant="primary", id="save")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#owner", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        quarter_box = self.query_one("#quarter", Input)
        try:
            quarter = normalize_quarter(quarter_box.value)
        except PlanError as exc:
            quarter_box.add_class("-invalid")
            quarter_box.focus()
            self.query_one("#plan-error", Label).update(str(exc))
            return
        quarter_box.remove_class("-invalid")

        def text(box: str) -> str | None:
            return " ".join(self.query_one(f"#{box}", Input).value.split()) or None

        status = self.query_one("#status", Select).value
        wanted = {
            "status": status if isinstance(status, str) else self.item.status,
            "owner": text("owner"),
            "quarter": quarter,
            "format": text("format"),
            "comment": text("comment"),
        }
        self.dismiss({k: v for k, v in wanted.items() if v != getattr(self.item, k)})

    def action_cancel(self) -> None:
        self.dismiss(None)
