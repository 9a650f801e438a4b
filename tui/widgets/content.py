"""The content tab: each asset, the themes it answers, and the ones that answer nothing.

People's say shows here too: the assets marked outdated (o marks one, or clears the
mark) and the themes someone linked an asset to, or unlinked it from, by hand.
"""

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
from analysis.overrides import LinkRow, link_rows, mark_outdated, outdated_assets
from analysis.results import NoAnalysis
from gaplens.store import Store
from tui.format import percent, shorten
from tui.messages import WorkspaceChanged
from tui.widgets import LazyPane, show_empty_state


def render_asset(
    a: AssetRow,
    outdated: bool = False,
    reason: str | None = None,
    said: tuple[LinkRow, ...] = (),
):
    parts = [Text(a.title, style="bold")]
    if outdated:
        mark = Text("Marked outdated", style="bold yellow")
        if reason:
            mark.append(f": {reason}")
        mark.append(" — it counts for half its coverage; o marks it up to date again", style="dim")
        parts.append(mark)
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
    linked = [r for r in said if r.action == "link"]
    unlinked = [r for r in said if r.action == "unlink"]
    for rows, what in ((linked, "Linked by hand to"), (unlinked, "Unlinked by hand from")):
        if rows:
            parts.append(Text(f"\n{what}:", style="bold"))
            for r in rows:
                line = Text(f"  {r.label or f'theme {r.theme_id} (not in this analysis)'}")
                line.append(f"  {r.who}, {r.at[:10]}", style="dim")
                parts.append(line)
    return Group(*parts)


class ContentPane(LazyPane):
    BINDINGS = [
        Binding("u", "toggle_unused", "Unused only", id="unused"),
        Binding(
            "o",
            "toggle_outdated",
            "Outdated",
            id="outdated",
            tooltip="Mark the asset outdated, or up to date again",
        ),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[AssetRow] = []
        self.unused_only = False
        self.outdated: dict[str, str | None] = {}  # asset id -> the reason given
        self.said: dict[str, tuple[LinkRow, ...]] = {}  # asset id -> people's links, unlinks

    def compose(self) -> ComposeResult:
        yield Static("", id="content-status", classes="status-line")
        yield Static("", id="content-empty", classes="empty")
        yield DataTable(id="assets", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="asset-detail"):
            yield Static("", id="asset-body")

    def on_mount(self) -> None:
        table = self.query_one("#assets", DataTable)
        table.add_column("Title", key="title", width=40)
        table.add_column("Type", key="type", width=12)
        table.add_column("Stage", key="stage", width=6)
        table.add_column("Updated", key="updated", width=10)
        table.add_column("Outdated", key="outdated", width=8)
        table.add_column("Themes", key="themes", width=6)
        table.add_column("Notes", key="notes", width=6)
        table.add_column("Best answers", key="best", width=30)
        self.query_one("#content-empty").display = False

    def read(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="content-load", exit_on_error=False)
    def load(self) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            rows = asset_table(store)
            analysed = store.latest_run() is not None
            outdated = outdated_assets(store)
            said: dict[str, list[LinkRow]] = {}
            for r in link_rows(store):
                said.setdefault(r.asset_id, []).append(r)
        if not worker.is_cancelled:
            self.app.call_from_thread(
                self.show_rows, rows, analysed, outdated, {a: tuple(r) for a, r in said.items()}
            )

    def show_rows(
        self,
        rows: list[AssetRow],
        analysed: bool,
        outdated: dict[str, str | None] | None = None,
        said: dict[str, tuple[LinkRow, ...]] | None = None,
    ) -> None:
        self.rows = rows
        self.outdated = outdated or {}
        self.said = said or {}
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
        keep = self.cursor_asset()
        table.clear()
        shown = [r for r in self.rows if r.unused or not self.unused_only]
        for r in shown:
            table.add_row(
                shorten(r.title, 40),
                r.type or "",
                r.stage or "",
                r.updated or "",
                Text("outdated", style="yellow") if r.asset_id in self.outdated else "",
                Text(str(len(r.themes)), justify="right"),
                Text(str(r.notes), justify="right"),
                Text(shorten(r.themes[0][1], 30)) if r.themes else Text("nothing", style="yellow"),
                key=r.asset_id,
            )
        if keep is not None and keep in table.rows:
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        unused = sum(r.unused for r in self.rows)
        status = Text(f"{len(self.rows)} assets · ")
        status.append(f"{unused} answer nothing anyone asks", style="yellow" if unused else "")
        status.append(" · u: " + ("show all" if self.unused_only else "only those"), style="dim")
        if self.outdated:
            status.append(f" · {len(self.outdated)} marked outdated", style="yellow")
        status.append(" · o: mark outdated", style="dim")
        if not analysed:
            status.append("  (run the analysis to match content to themes)", style="dim")
        self.query_one("#content-status", Static).update(status)
        current = self.cursor_asset()
        row = next((r for r in shown if r.asset_id == current), shown[0] if shown else None)
        self.show_asset(row)

    def cursor_asset(self) -> str | None:
        table = self.query_one("#assets", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

    def show_asset(self, row: AssetRow | None) -> None:
        body = self.query_one("#asset-body", Static)
        if row is None:
            body.update("")
            return
        body.update(
            render_asset(
                row,
                row.asset_id in self.outdated,
                self.outdated.get(row.asset_id),
                self.said.get(row.asset_id, ()),
            )
        )

    @on(DataTable.RowHighlighted, "#assets")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is None:
            return
        row = next((r for r in self.rows if r.asset_id == event.row_key.value), None)
        if row:
            self.show_asset(row)

    def action_toggle_unused(self) -> None:
        self.unused_only = not self.unused_only
        self.fill()

    def action_toggle_outdated(self) -> None:
        asset_id = self.cursor_asset()
        if asset_id is None:
            return
        self.outdated_worker(asset_id, asset_id not in self.outdated)

    @work(thread=True, group="content-mark", exit_on_error=False)
    def outdated_worker(self, asset_id: str, outdated: bool) -> None:
        try:
            with Store(self.app.db_path) as store:
                summary, error = mark_outdated(store, asset_id, outdated).summary, None
        except NoAnalysis as exc:
            summary, error = None, str(exc)
        self.app.call_from_thread(self._marked, outdated, summary, error)

    def _marked(self, outdated: bool, summary: str | None, error: str | None) -> None:
        if error:
            self.app.notify(error, title="Not marked", severity="warning")
            return
        title = "Marked outdated" if outdated else "Marked up to date"
        self.app.notify(summary[:1].upper() + summary[1:] + ".", title=title)
        self.post_message(WorkspaceChanged("outdated"))
