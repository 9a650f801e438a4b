"""The main screen: the tabs over the workspace and the analysis progress bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, ProgressBar, TabbedContent, TabPane

from tui.widgets import LazyPane
from tui.widgets.content import ContentPane
from tui.widgets.notes import NotesPane
from tui.widgets.plan import PlanPane
from tui.widgets.rejects import RejectsPane
from tui.widgets.themes import ThemesPane
from tui.widgets.trends import TrendsPane

TABS = ("themes", "notes", "content", "rejects", "plan", "trends")


class AnalysisBar(Horizontal):
    """Shown while an analysis or an import runs: the stage, a progress bar, how to cancel."""

    def compose(self) -> ComposeResult:
        yield Label("", id="analysis-stage")
        yield ProgressBar(id="analysis-progress", show_eta=False)
        yield Label("x cancels", id="analysis-hint")

    def set_hint(self, hint: str) -> None:
        self.query_one("#analysis-hint", Label).update(hint)

    def update_progress(self, stage: str, done: int, total: int | None) -> None:
        label = stage if total is None else f"{stage} {done}/{total}"
        self.query_one("#analysis-stage", Label).update(label)
        self.query_one("#analysis-progress", ProgressBar).update(total=total, progress=done)


class MainScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with TabbedContent(id="tabs", initial="tab-themes"):
            with TabPane("1 Themes & gaps", id="tab-themes"):
                yield ThemesPane(id="themes-pane")
            with TabPane("2 Notes", id="tab-notes"):
                yield NotesPane(id="notes-pane")
            with TabPane("3 Content", id="tab-content"):
                yield ContentPane(id="content-pane")
            with TabPane("4 Rejected rows", id="tab-rejects"):
                yield RejectsPane(id="rejects-pane")
            with TabPane("5 Plan", id="tab-plan"):
                yield PlanPane(id="plan-pane")
            with TabPane("6 Trends", id="tab-trends"):
                yield TrendsPane(id="trends-pane")
        yield AnalysisBar(id="analysis-bar")
        yield Footer()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        for pane in event.pane.query(LazyPane):
            pane.ensure_loaded()

    def on_mount(self) -> None:
        self.query_one(AnalysisBar).display = False
        self.query_one("#themes").focus()
        self.app.refresh_header()
