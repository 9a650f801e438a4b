"""Pick a content asset from a searchable list: returns its id, or None."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.format import shorten


@dataclass(frozen=True)
class AssetChoice:
    asset_id: str
    title: str
    type: str | None = None
    outdated: bool = False
    note: str = ""  # what the list says of it for this theme: "61% match", "linked by you"


def choice_text(c: AssetChoice) -> Text:
    line = Text(f"{shorten(c.type or '–', 12):<12} ", style="cyan")
    line.append(shorten(c.title, 56))
    if c.outdated:
        line.append("  outdated", style="yellow")
    if c.note:
        line.append(f"  {c.note}", style="dim")
    return line


class AssetPicker(ModalScreen[str | None]):
    """Type to narrow the list (words of a title or type, or an id); ↑ ↓ choose, Enter
    picks, Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]

    def __init__(
        self,
        title: str,
        choices: list[AssetChoice],
        hint: str = "",
        action: str = "Pick",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="asset-picker"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(
                id="asset-search", placeholder="type to narrow: words of a title or type, or an id"
            )
            yield Label(Text("type         title", style="dim"), id="asset-header")
            yield OptionList(id="asset-list")
            if self.hint:
                yield Label(self.hint, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.action_label}  enter", variant="primary", id="pick")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.fill("")
        self.query_one("#asset-search", Input).focus()

    def matching(self, text: str) -> list[AssetChoice]:
        words = text.lower().split()
        return [
            c
            for c in self.choices
            if all(
                w in c.title.lower() or w in (c.type or "").lower() or w == c.asset_id.lower()
                for w in words
            )
        ]

    def fill(self, text: str) -> None:
        options = self.query_one("#asset-list", OptionList)
        options.clear_options()
        found = self.matching(text)
        options.add_options([Option(choice_text(c), id=c.asset_id) for c in found])
        if found:
            options.highlighted = 0
        self.query_one("#pick", Button).disabled = not found

    @on(Input.Changed, "#asset-search")
    def _typed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#asset-list", OptionList)
        if options.option_count:
            now = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, now + step))

    @on(Input.Submitted, "#asset-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pick()

    @on(OptionList.OptionSelected, "#asset-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.pick()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "pick":
            self.pick()
        else:
            self.dismiss(None)

    def pick(self) -> None:
        options = self.query_one("#asset-list", OptionList)
        if options.highlighted is None or not options.option_count:
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    def action_cancel(self) -> None:
        self.dismiss(None)
