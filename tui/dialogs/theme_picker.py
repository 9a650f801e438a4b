"""Pick a theme of the current analysis from a searchable list: returns its id, or None."""

from __future__ import annotations

from rich.text import Text
from textual.widgets.option_list import Option

from analysis.browse import ThemeChoice
from tui.dialogs.picker import SearchPicker
from tui.format import shorten


def choice_text(c: ThemeChoice) -> Text:
    line = Text(f"{c.size:>6} ", style="cyan")
    line.append(shorten(c.label, 60))
    line.append(f"  [{c.cluster_id}]", style="dim")
    return line


class ThemePicker(SearchPicker[ThemeChoice, int]):
    """Type to narrow the list (by name or id); ↑ ↓ choose, Enter picks, Escape cancels."""

    DIALOG_ID = "theme-picker"
    PLACEHOLDER = "type to narrow: words of a name, or an id"
    HEADER = "notes  theme  [id]"

    def matches(self, c: ThemeChoice, words: list[str]) -> bool:
        return all(w in c.label.lower() or w == str(c.cluster_id) for w in words)

    def option(self, c: ThemeChoice) -> Option:
        return Option(choice_text(c), id=str(c.cluster_id))

    def value(self, option_id: str) -> int:
        return int(option_id)
