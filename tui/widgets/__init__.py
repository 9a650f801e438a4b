"""The panes of the main screen and the widgets they share."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Tabs


def hide_keeping_focus(widget: Widget) -> None:
    """Hide a widget; if it had the focus, hand it to the tab bar.

    Otherwise Textual moves the focus to the next focusable widget, which may sit
    in another tab, and the tabbed content would follow it there.
    """
    if widget.has_focus:
        widget.screen.query_one(Tabs).focus()
    widget.display = False
