"""The rejected-rows tab: every row an import could not use, with why."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from analysis.results import reject_rows
from gaplens.store import Store
from tui.format import shorten
from tui.widgets import LazyPane, show_empty_state


class RejectsPane(LazyPane):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="rejects-status", classes="status-line")
        yield Static("", id="rejects-empty", classes="empty")
        yield DataTable(id="rejects", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="reject-detail"):
            yield Static("", id="reject-body")

    def on_mount(self) -> None:
        table = self.query_one("#rejects", DataTable)
        table.add_column("File", key="file", width=30)
        table.add_column("Line", key="line", width=5)
        table.add_column("Reason", key="reason", width=44)
        table.add_column("Row as written", key="raw", width=60)
        self.query_one("#rejects-empty").display = False

    def read(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="rejects-load", exit_on_error=False)
    def load(self) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            rows = reject_rows(store)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        empty = self.query_one("#rejects-empty", Static)
        table = self.query_one("#rejects", DataTable)
        show_empty_state(
            empty,
            table,
            self.query_one("#reject-detail"),
            None if rows else "No rejected rows: every row imported so far was usable.",
        )
        if not rows:
            self.query_one("#rejects-status", Static).update("")
            return
        table.clear()
        for i, r in enumerate(rows):
            table.add_row(
                shorten(r["file"], 30),
                str(r["line"] or ""),
                shorten(r["reason"], 44),
                shorten(r["raw"], 200),
                key=str(i),
            )
        files = len({r["file"] for r in rows})
        self.query_one("#rejects-status", Static).update(
            Text(
                f"{len(rows)} rows from {files} files could not be used. Fix them in the file and "
                "import it again: rows already imported are not added twice.",
            )
        )
        self.show_reject(rows[0])

    def show_reject(self, r: dict) -> None:
        self.query_one("#reject-body", Static).update(
            Group(
                Text(f"{r['file']}, line {r['line']}" if r["line"] else r["file"], style="bold"),
                Text(r["reason"], style="yellow"),
                Text(r["raw"] or "(empty)"),
            )
        )

    @on(DataTable.RowHighlighted, "#rejects")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.show_reject(self.rows[int(event.row_key.value)])
