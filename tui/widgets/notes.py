"""The notes tab: every note, searchable, with similar notes for the selected one."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from analysis.browse import (
    NOTE_LIMIT,
    UNCLUSTERED,
    NoteFilter,
    NotePage,
    NoteRow,
    parse_period,
    search_notes,
)
from gaplens.store import Store
from tui.format import said_by, shorten
from tui.widgets import LazyPane, show_empty_state
from tui.widgets.themes import KIND_OPTIONS, TYPING_PAUSE

NOT_ANALYSED = "(not analysed yet)"

# (header, key, width): the table's columns, and in triage (the unclustered notes) instead
COLUMNS = [
    ("Date", "date", 10),
    ("Kind", "kind", 11),
    ("Theme", "theme", 24),
    ("Deal", "deal", 10),
    ("Rep", "rep", 13),
    ("Note", "text", 40),
]
TRIAGE_COLUMNS = [
    ("Date", "date", 10),
    ("Kind", "kind", 11),
    ("Status", "status", 11),
    ("Closest theme", "theme", 24),
    ("Sim", "sim", 4),
    ("Note", "text", 40),
]


def theme_name(row: NoteRow) -> str:
    if row.cluster_id is None:
        return NOT_ANALYSED
    if row.cluster_id == UNCLUSTERED:
        return "(emerging)" if row.emerging else "(unclustered)"
    return row.cluster_label or str(row.cluster_id)


def render_note(row: NoteRow, similar: list[tuple[NoteRow, float]] | None = None, note: str = ""):
    parts = [Text(row.text)]
    facts = said_by(row, f"theme: {theme_name(row)}", f"id {row.note_id}")
    parts.append(Text(facts, style="dim"))
    if row.original:
        parts.append(Text(f"\nThe whole note ({row.source}):", style="bold"))
        whole = Text(row.original.strip(), style="dim")
        at = whole.plain.find(row.text)
        if at >= 0:  # the mention itself stands out
            whole.stylize("not dim bold", at, at + len(row.text))
        parts.append(whole)
    if row.cluster_id == UNCLUSTERED:
        line = Text()
        if row.emerging:
            line.append("Emerging: ", style="bold cyan")
            line.append("it arrived after the analysis and fits no theme yet. ")
        if row.nearest_id is not None:
            line.append("Closest theme: ")
            line.append(row.nearest_label or str(row.nearest_id), style="bold")
            if row.similarity is not None:
                line.append(f" (similarity {row.similarity:.2f})")
            line.append("  c: assign it there · t: pick a theme", style="dim")
        else:
            line.append("t: pick a theme for it", style="dim")
        parts.append(line)
    if similar:
        parts.append(Text("\nSimilar notes", style="bold"))
        for other, sim in similar:
            line = Text(f"{sim:.2f} ", style="cyan")
            line.append(shorten(other.text, 160))
            line.append(f"  {theme_name(other)}", style="dim")
            parts.append(line)
    elif note:
        parts.append(Text("\n" + note, style="dim"))
    else:
        parts.append(Text("\nm: similar notes", style="dim"))
    return Group(*parts)


class NotesPane(LazyPane):
    BINDINGS = [
        Binding("m", "similar", "Similar notes", id="similar"),
        Binding("t", "move", "Move to theme", id="move", tooltip="Put the note in another theme"),
        Binding(
            "c",
            "assign_closest",
            "To closest theme",
            id="assign_closest",
            tooltip="Put a note without a theme in the theme closest to it",
        ),
        Binding("escape", "clear_theme", "All themes", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.page: NotePage | None = None
        self.theme: int | None = None
        self.theme_options: list[tuple[str, int]] = []
        self._typing: Timer | None = None
        self.triage = False  # the table lists the notes without a theme, with their closest
        self.keep_cursor = False  # the next reload keeps the cursor's row (after a move)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filters"):
            yield Input(id="note-search", placeholder="/ search the notes' text", classes="search")
            yield Select(KIND_OPTIONS, prompt="All kinds", id="note-kind", classes="kind")
            yield Select([], prompt="All themes", id="note-theme", classes="theme")
            yield Select([], prompt="All reps", id="note-rep", classes="rep")
            yield Input(id="note-period", placeholder="period", classes="period-short")
        yield Static("", id="notes-status", classes="status-line")
        yield Static("", id="notes-empty", classes="empty")
        yield DataTable(id="notes", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="note-detail"):
            yield Static("", id="note-body")

    def on_mount(self) -> None:
        self.set_columns(False)
        self.query_one("#notes-empty").display = False

    def set_columns(self, triage: bool) -> None:
        table = self.query_one("#notes", DataTable)
        table.clear(columns=True)
        for header, key, width in TRIAGE_COLUMNS if triage else COLUMNS:
            table.add_column(header, key=key, width=width)
        self.triage = triage

    def set_choices(self, themes: list[tuple[str, int]], reps: tuple[str, ...], quarters) -> None:
        """Fill the theme and rep filters (after each analysis or import)."""
        theme_select = self.query_one("#note-theme", Select)
        current = theme_select.value
        options = [("(unclustered)", UNCLUSTERED)] + themes
        self.theme_options = options
        with self.prevent(Select.Changed):
            theme_select.set_options(options)
            if current in {v for _, v in options}:
                theme_select.value = current
        rep_select = self.query_one("#note-rep", Select)
        rep_now = rep_select.value
        with self.prevent(Select.Changed):
            rep_select.set_options([(r, r) for r in reps])
            if rep_now in reps:
                rep_select.value = rep_now
        self.query_one("#note-period", Input).suggester = SuggestFromList(
            list(quarters), case_sensitive=False
        )

    def show_theme(self, cluster_id: int | None) -> None:
        """Narrow the list to one theme (from the themes tab)."""
        select = self.query_one("#note-theme", Select)
        with self.prevent(Select.Changed):
            if cluster_id is None:
                select.clear()
            else:
                if cluster_id not in {v for _, v in self.theme_options}:
                    self.theme_options.append((f"theme {cluster_id}", cluster_id))
                    select.set_options(self.theme_options)
                select.value = cluster_id
        self.theme = cluster_id
        self.reload()

    def current_filter(self) -> NoteFilter | None:
        period_input = self.query_one("#note-period", Input)
        try:
            period = parse_period(period_input.value)
        except ValueError as exc:
            period_input.set_class(True, "-invalid")
            self.query_one("#notes-status", Static).update(Text(str(exc), style="yellow"))
            return None
        period_input.set_class(False, "-invalid")
        kind = self.query_one("#note-kind", Select).value
        rep = self.query_one("#note-rep", Select).value
        return NoteFilter(
            kinds=(kind,) if isinstance(kind, str) else (),
            period=period,
            rep=rep if isinstance(rep, str) else None,
            text=self.query_one("#note-search", Input).value,
        )

    def read(self) -> None:
        flt = self.current_filter()
        if flt is not None:
            theme = self.query_one("#note-theme", Select).value
            self.load(flt, theme if isinstance(theme, int) else None)

    @work(thread=True, exclusive=True, group="notes-load", exit_on_error=False)
    def load(self, flt: NoteFilter, theme: int | None) -> None:
        worker = get_current_worker()
        with Store(self.app.db_path) as store:
            page = search_notes(store, flt, theme)
            total = store.count_notes()
        if not worker.is_cancelled:
            self.app.call_from_thread(self.show_page, page, total, theme == UNCLUSTERED)

    def show_page(self, page: NotePage, total: int, triage: bool = False) -> None:
        self.page = page
        table = self.query_one("#notes", DataTable)
        keep = table.cursor_row if self.keep_cursor and triage == self.triage else 0
        self.keep_cursor = False
        if triage != self.triage:
            self.set_columns(triage)
        empty = self.query_one("#notes-empty", Static)
        status = self.query_one("#notes-status", Static)
        show_empty_state(
            empty,
            table,
            self.query_one("#note-detail"),
            None if total else "No notes yet — press i to import a CSV or n to add one.",
        )
        if total == 0:
            status.update("")
            return
        table.clear()
        room = max(30, self.size.width - 90)  # the note column takes what the others leave
        column = table.columns["text"]
        column.width, column.auto_width = room, False
        for r in page.rows:
            if triage:
                table.add_row(
                    r.date or "",
                    r.kind,
                    Text("emerging", style="cyan") if r.emerging else Text("unclustered"),
                    shorten(r.nearest_label or "", 24),
                    Text("" if r.similarity is None else f"{r.similarity:.2f}", justify="right"),
                    shorten(r.text, room),
                    key=r.note_id,
                )
                continue
            table.add_row(
                r.date or "",
                r.kind,
                shorten(theme_name(r), 24),
                shorten(r.deal, 10),
                shorten(r.rep, 13),
                shorten(r.text, room),
                key=r.note_id,
            )
        shown = len(page.rows)
        if triage:
            many = "notes" if page.total != 1 else "note"
            text = Text(f"{page.total} {many} without a theme, most similar to one first")
            if page.total > shown:
                text.append(f" (the first {NOTE_LIMIT})", style="dim")
            text.append(" · c: assign to the closest theme · t: pick a theme", style="dim")
        else:
            text = Text(f"{page.total} of {total} notes match")
            if page.total > shown:
                text.append(f" · showing the newest {NOTE_LIMIT}: search to narrow", style="dim")
        status.update(text)
        body = self.query_one("#note-body", Static)
        if page.rows:
            keep = min(keep, len(page.rows) - 1)
            if keep:
                table.move_cursor(row=keep, animate=False)
            body.update(render_note(page.rows[keep]))
        else:
            body.update(Text("No note matches the filters.", style="dim"))

    def selected_note(self) -> NoteRow | None:
        if not self.page or not self.page.rows:
            return None
        table = self.query_one("#notes", DataTable)
        row = table.cursor_row
        return self.page.rows[row] if 0 <= row < len(self.page.rows) else None

    @on(DataTable.RowHighlighted, "#notes")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = self.selected_note()
        if row:
            self.query_one("#note-body", Static).update(render_note(row))

    @on(Input.Changed, "#note-search")
    def _search(self, event: Input.Changed) -> None:
        if self._typing is not None:
            self._typing.stop()
        self._typing = self.set_timer(TYPING_PAUSE, self.reload)

    @on(Input.Changed, "#note-period")
    @on(Select.Changed, "#note-kind")
    @on(Select.Changed, "#note-rep")
    def _filters(self, event) -> None:
        self.reload()

    @on(Select.Changed, "#note-theme")
    def _theme(self, event: Select.Changed) -> None:
        self.theme = event.value if isinstance(event.value, int) else None
        self.reload()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one("#notes", DataTable).focus()

    def action_clear_theme(self) -> None:
        if self.theme is not None:
            self.show_theme(None)

    def action_similar(self) -> None:
        row = self.selected_note()
        if row is None:
            return
        if row.cluster_id is None:
            self.query_one("#note-body", Static).update(
                render_note(
                    row,
                    note="This note arrived after the last analysis: press a to analyse it first.",
                )
            )
            return
        self.query_one("#note-body", Static).update(render_note(row, note="Finding similar notes…"))
        self.app.find_similar(row, self.show_similar)

    def show_similar(self, row: NoteRow, similar: list, message: str = "") -> None:
        current = self.selected_note()
        if current and current.note_id == row.note_id:
            self.query_one("#note-body", Static).update(render_note(row, similar, message))

    def action_move(self) -> None:
        row = self.selected_note()
        if row is not None:
            self.app.move_note(row)

    def action_assign_closest(self) -> None:
        row = self.selected_note()
        if row is not None:
            self.app.assign_to_closest(row)
