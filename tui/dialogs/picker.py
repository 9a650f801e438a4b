"""A searchable list to pick one thing from: the shape the theme and asset pickers share.

Type to narrow the list; ↑ ↓ choose, Enter picks, Escape cancels. A subclass says
what its choices are (``matches``, ``option``, ``value``) and names its widgets.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

C = TypeVar("C")  # a choice
V = TypeVar("V")  # what picking it returns


class SearchPicker(ModalScreen[V | None], Generic[C, V]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("pagedown", "move(10)", show=False),
        Binding("pageup", "move(-10)", show=False),
    ]
    # the widgets' ids (tests and styles find them by these), the search box's
    # placeholder and the column header above the list
    DIALOG_ID = "picker"
    SEARCH_ID = "pick-search"
    HEADER_ID = "pick-header"
    LIST_ID = "pick-list"
    PLACEHOLDER = "type to narrow"
    HEADER = ""

    def __init__(self, title: str, choices: list[C], hint: str = "", action: str = "Pick"):
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.action_label = action

    # -- what a subclass says --------------------------------------------------

    def matches(self, choice: C, words: list[str]) -> bool:
        raise NotImplementedError

    def option(self, choice: C) -> Option:
        raise NotImplementedError

    def value(self, option_id: str) -> V:
        return option_id  # type: ignore[return-value]

    # -- the shared behaviour --------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id=self.DIALOG_ID):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(id=self.SEARCH_ID, placeholder=self.PLACEHOLDER)
            yield Label(Text(self.HEADER, style="dim"), id=self.HEADER_ID)
            yield OptionList(id=self.LIST_ID)
            if self.hint:
                yield Label(self.hint, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.action_label}  enter", variant="primary", id="pick")
                yield Button("Cancel  esc", id="cancel")

    def on_mount(self) -> None:
        self.fill("")
        self.query_one(f"#{self.SEARCH_ID}", Input).focus()

    def matching(self, text: str) -> list[C]:
        words = text.lower().split()
        return [c for c in self.choices if self.matches(c, words)]

    def _list(self) -> OptionList:
        return self.query_one(f"#{self.LIST_ID}", OptionList)

    def fill(self, text: str) -> None:
        options = self._list()
        options.clear_options()
        found = self.matching(text)
        options.add_options([self.option(c) for c in found])
        if found:
            options.highlighted = 0
        self.query_one("#pick", Button).disabled = not found

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.fill(event.value)

    def action_move(self, step: int) -> None:
        options = self._list()
        if options.option_count:
            now = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, now + step))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.pick()

    @on(OptionList.OptionSelected)
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
        options = self._list()
        if options.highlighted is None or not options.option_count:
            return
        self.dismiss(self.value(options.get_option_at_index(options.highlighted).id))

    def action_cancel(self) -> None:
        self.dismiss(None)
