"""Pick a content asset from a searchable list: returns its id, or None."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets.option_list import Option

from tui.dialogs.picker import SearchPicker
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


class AssetPicker(SearchPicker[AssetChoice, str]):
    """Type to narrow the list (words of a title or type, or an id); ↑ ↓ choose, Enter
    picks, Escape cancels."""

    DIALOG_ID = "asset-picker"
    SEARCH_ID = "asset-search"
    HEADER_ID = "asset-header"
    LIST_ID = "asset-list"
    PLACEHOLDER = "type to narrow: words of a title or type, or an id"
    HEADER = "type         title"

    def matches(self, c: AssetChoice, words: list[str]) -> bool:
        return all(
            w in c.title.lower() or w in (c.type or "").lower() or w == c.asset_id.lower()
            for w in words
        )

    def option(self, c: AssetChoice) -> Option:
        return Option(choice_text(c), id=c.asset_id)
