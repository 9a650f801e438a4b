"""The content tab: each asset, the themes it answers, and the ones that answer nothing."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from analysis.browse import AssetRow, asset_table
from gaplens.store import Store
from tui.format import percent, shorten
from tui.widgets import LazyPane, show_empty_state


def render_asset(a: AssetRow):
    parts = [Text(a.title, style="bold")]
    facts = " · ".join(
        x
        for x in (
            a.type,
            a.stage,
            f"updated {a.updated}" if a.updated else None,
            f"{a.passages} passages",
        )
        if x
    )
    parts.append(Text(facts, style="dim"))
    if a.url:
        parts.append(Text(a.url, style="underline dim"))
    if a.themes:
        parts.append(Text(f"\nAnswers {len(a.themes)} themes ({a.notes} notes):", style="bold"))
        for _, label, cov in a.themes:
            parts.append(Text(f"  {percent(cov):>4}  {label}"))
    else:
        parts.append(
            Text(
                "\nAnswers nothing anyone asks about: no theme in the current analysis is "
                "covered by it. A candidate to retire, update or re-aim.",
                style="yellow",
            )
        )
    return Group(*parts)


class ContentPane(LazyPane):
    BINDINGS = [Binding("u", "toggle_unused", "Unused only", id="unused")]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[AssetRow] = []
        self.unused_only = False

    def compose(self) -> ComposeResult:
        yield Static("", id="content-status", classes="status-line")
        yield Static("", id="content-empty", classes="empty")
        yield DataTable(id="assets", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="asset-detail"):
            yield Static("", id="asset-body")

    def on_mount(self) -> None:
        table = self.query_one("#assets", DataTable)
        table.add_column("Title", key="title", width=44)
        table.add_column("Type", key="type", width=12)
        table.add_column("Stage", key="stage", width=6)
        table.add_column("Updated", key="updated", width=10)
        table.add_column("Themes", key="themes", width=6)
        table.add_column("Notes", key="notes", width=6)
        table.add_column("Best answers", key="best", width=40)
        self.query_one("#content-empty").display = False

    def read(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="content-load", exit_on_error=False)
    def load(self) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            rows = asset_table(store)
            analysed = store.latest_run() is not None
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_rows, rows, analysed)

    def show_rows(self, rows: list[AssetRow], analysed: bool) -> None:
        self.rows = rows
        empty = self.query_one("#content-empty", Static)
        table = self.query_one("#assets", DataTable)
        show_empty_state(
            empty,
            table,
            self.query_one("#asset-detail"),
            None
            if rows
            else "No content yet — press i and import your blog posts, case studies, battlecards "
            "and FAQs (Markdown, text or HTML files, or a content inventory CSV).",
        )
        if rows:
            self.fill(analysed)

    def fill(self, analysed: bool = True) -> None:
        table = self.query_one("#assets", DataTable)
        table.clear()
        shown = [r for r in self.rows if r.unused or not self.unused_only]
        for r in shown:
            table.add_row(
                shorten(r.title, 44),
                r.type or "",
                r.stage or "",
                r.updated or "",
                Text(str(len(r.themes)), justify="right"),
                Text(str(r.notes), justify="right"),
                Text(shorten(r.themes[0][1], 40)) if r.themes else Text("nothing", style="yellow"),
                key=r.asset_id,
            )
        unused = sum(r.unused for r in self.rows)
        status = Text(f"{len(self.rows)} assets · ")
        status.append(f"{unused} answer nothing anyone asks", style="yellow" if unused else "")
        status.append(" · u: " + ("show all" if self.unused_only else "only those"), style="dim")
        if not analysed:
            status.append("  (run the analysis to match content to themes)", style="dim")
        self.query_one("#content-status", Static).update(status)
        body = self.query_one("#asset-body", Static)
        body.update(render_asset(shown[0]) if shown else "")

    @on(DataTable.RowHighlighted, "#assets")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None:
            return
        row = next((r for r in self.rows if r.asset_id == event.row_key.value), None)
        if row:
            self.query_one("#asset-body", Static).update(render_asset(row))

    def action_toggle_unused(self) -> None:
        self.unused_only = not self.unused_only
        self.fill()
