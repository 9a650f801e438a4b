"""Pick a theme of the current analysis from a searchable list: returns its id, or None."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from analysis.browse import ThemeChoice
from tui.format import shorten


def choice_text(c: ThemeChoice) -> Text:
    line = Text(f"{c.size:>6} ", style="cyan")
    line.append(shorten(c.label, 60))
    line.append(f"  [{c.cluster_id}]", style="dim")
    return line


class ThemePicker(ModalScreen[int | None]):
    """Type to narrow the list (by name or id); ↑ ↓ choose, Enter picks, Escape cancels."""

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
        choices: list[ThemeChoice],
        hint: str = "",
        action: str = "Pick",
    ) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="theme-picker"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(id="pick-search", placeholder="type to narrow: words of a name, or an id")
            yield Label(Text("notes  theme  [id]", style="dim"), id="pick-header")
            yield OptionList(id="pick-list")
            if self.hint:
                yield Label(self.hint, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.action_label}  enter", variant="primary", id="pick")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.fill("")
        self.query_one("#pick-search", Input).focus()

    def matching(self, text: str) -> list[ThemeChoice]:
        words = text.lower().split()
        return [
            c
            for c in self.choices
            if all(w in c.label.lower() or w == str(c.cluster_id) for w in words)
        ]

    def fill(self, text: str) -> None:
        options = self.query_one("#pick-list", OptionList)
        options.clear_options()
        found = self.matching(text)
        options.add_options([Option(choice_text(c), id=str(c.cluster_id)) for c in found])
        if found:
            options.highlighted = 0
        self.query_one("#pick", Button).disabled = not found

    @on(Input.Changed, "#pick-search")
    def _typed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.option_count:
            now = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, now + step))

    @on(Input.Submitted, "#pick-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pick()

    @on(OptionList.OptionSelected, "#pick-list")
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
        options = self.query_one("#pick-list", OptionList)
        if options.highlighted is None or not options.option_count:
            return
        self.dismiss(int(options.get_option_at_index(options.highlighted).id))

    def action_cancel(self) -> None:
        self.dismiss(None)
