"""The panes of the main screen and the widgets they share."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static, Tabs


class LazyPane(Vertical):
    """A tab's pane that reads the workspace on the tab's first visit, then on ``reload``.

    Opening the app then reads only the home tab. Subclasses read in ``read``.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.loaded = False

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        self.loaded = True
        self.read()

    def read(self) -> None:
        raise NotImplementedError


def show_empty_state(empty: Static, table: Widget, detail: Widget, message: str | None) -> None:
    """Show ``message`` in place of a pane's table and detail, or (None) the table and detail."""
    if message is None:
        empty.display = False
        table.display = detail.display = True
        return
    empty.update(message)
    empty.display = True
    hide_keeping_focus(table)
    detail.display = False


def hide_keeping_focus(widget: Widget) -> None:
    """Hide a widget; if it had the focus, hand it to the tab bar.

    Otherwise Textual moves the focus to the next focusable widget, which may sit
    in another tab, and the tabbed content would follow it there.
    """
    if widget.has_focus:
        widget.screen.query_one(Tabs).focus()
    widget.display = False
